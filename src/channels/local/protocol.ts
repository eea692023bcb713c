/**
 * @module The local channel's wire format: JSON lines over the daemon's unix socket. A client says
 * hello for a group, sends messages (each acknowledged once stored), and acknowledges each reply.
 * The frames a client sends are in client-frames.ts; this module holds what the client loads, without
 * zod, which would add some 60 ms before `nanokimi chat` is ready.
 */

/** What the daemon sends: each frame's type and its fields, all strings, no others. */
const serverFrameFields = {
  welcome: ['group', 'assistant'],
  /** The message is in the database: the client may forget it. */
  stored: ['id'],
  /** `key` is stable across re-sends of the same reply, so the client can drop duplicates. */
  reply: ['key', 'text'],
  error: ['message'],
} as const;

type ServerFrames = typeof serverFrameFields;
export type ServerFrame = { [T in keyof ServerFrames]: { type: T } & Record<ServerFrames[T][number], string> }[keyof ServerFrames];

/** The frame `value` is, or undefined when it is not one the daemon sends. */
export function parseServerFrame(value: unknown): ServerFrame | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { type, ...rest } = value as Record<string, unknown>;
  if (typeof type !== 'string' || !Object.hasOwn(serverFrameFields, type)) return undefined;
  const fields: readonly string[] = serverFrameFields[type as keyof ServerFrames];
  const keys = Object.keys(rest);
  const exact = keys.length === fields.length && fields.every((f) => typeof rest[f] === 'string');
  return exact ? (value as ServerFrame) : undefined;
}

/** Splits a byte stream into JSON lines and hands each parsed line on; bad lines are reported, not fatal. */
export function lineReader(onLine: (value: unknown) => void, onBad: (line: string) => void) {
  let buffer = '';
  return (chunk: Buffer | string) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      let value: unknown;
      try { value = JSON.parse(line); } catch { onBad(line); continue; }
      onLine(value);
    }
  };
}
