/**
 * @module The local channel's wire format: JSON lines over the daemon's unix socket. A client says
 * hello for a group, sends messages (each acknowledged once stored), and acknowledges each reply.
 */
import { z } from 'zod';

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), group: z.string().min(1).max(64), name: z.string().min(1).max(64).optional() }),
  z.strictObject({ type: z.literal('message'), id: z.string().min(1).max(100), text: z.string().min(1).max(64_000) }),
  z.strictObject({ type: z.literal('ack'), key: z.string().min(1).max(100) }),
]);

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('welcome'), group: z.string(), assistant: z.string() }),
  /** The message is in the database: the client may forget it. */
  z.strictObject({ type: z.literal('stored'), id: z.string() }),
  /** `key` is stable across re-sends of the same reply, so the client can drop duplicates. */
  z.strictObject({ type: z.literal('reply'), key: z.string(), text: z.string() }),
  z.strictObject({ type: z.literal('error'), message: z.string() }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ServerFrame = z.infer<typeof serverFrameSchema>;

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
