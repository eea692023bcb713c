/**
 * @module A client of the local channel, used by `nanokimi chat` and by tests. It keeps every
 * message until the daemon says it is stored, re-sends after a reconnect, and shows each reply once.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ClientFrame } from './client-frames.ts';
import { lineReader, parseServerFrame } from './protocol.ts';

export type ChatClientOptions = {
  socketPath: string;
  group: string;
  name?: string;
  onReply: (text: string) => void;
  /** The daemon has the message with this id (send's return value) in its database. */
  onStored?: (id: string) => void;
  /** The daemon refused something; `fatal` means the client gave up (e.g. an unknown group). */
  onError?: (message: string, fatal: boolean) => void;
  onConnected?: (assistant: string) => void;
  onDisconnected?: () => void;
  /** Keep trying to reach the daemon (it may be restarting). */
  reconnect?: boolean;
};

export type ChatClient = {
  send(text: string): string;
  /** Messages sent but not yet confirmed as stored by the daemon. */
  unstored(): number;
  close(): void;
};

export function connectChat(opts: ChatClientOptions): ChatClient {
  const pending: { id: string; text: string }[] = [];
  const seen = new Set<string>();
  let socket: net.Socket | undefined;
  let ready = false;
  let closed = false;
  let delay = 100;

  const write = (frame: ClientFrame) => socket?.write(`${JSON.stringify(frame)}\n`);

  function connect(): void {
    if (closed) return;
    const s = net.createConnection(opts.socketPath);
    socket = s;
    s.on('connect', () => { delay = 100; write({ type: 'hello', group: opts.group, ...(opts.name ? { name: opts.name } : {}) }); });
    s.on('data', lineReader((value) => {
      const f = parseServerFrame(value);
      if (!f) return;
      if (f.type === 'welcome') {
        ready = true;
        opts.onConnected?.(f.assistant);
        for (const m of pending) write({ type: 'message', id: m.id, text: m.text });
      } else if (f.type === 'stored') {
        const i = pending.findIndex((m) => m.id === f.id);
        if (i >= 0) { pending.splice(i, 1); opts.onStored?.(f.id); }
      } else if (f.type === 'reply') {
        // Acknowledge every copy, show it once: a reply can arrive again if our ack was lost.
        write({ type: 'ack', key: f.key });
        if (!seen.has(f.key)) { seen.add(f.key); opts.onReply(f.text); }
      } else {
        const fatal = !ready;
        opts.onError?.(f.message, fatal);
        if (fatal) closed = true;
      }
    }, () => undefined));
    s.on('error', () => undefined);
    s.on('close', () => {
      const was = ready;
      ready = false;
      if (was) opts.onDisconnected?.();
      if (closed) return;
      if (!opts.reconnect) { closed = true; opts.onError?.(`cannot reach the daemon at ${opts.socketPath}; is it running?`, true); return; }
      setTimeout(connect, delay);
      // A try at a unix socket that is not there costs nothing: after a restart the terminal is
      // back within half a second of the daemon, however long the daemon was down.
      delay = Math.min(delay * 2, 500);
    });
  }

  connect();
  return {
    send(text) {
      const id = randomUUID();
      pending.push({ id, text });
      if (ready) write({ type: 'message', id, text });
      return id;
    },
    unstored: () => pending.length,
    close() { closed = true; socket?.destroy(); },
  };
}
