/**
 * @module The local channel: `nanokimi chat` talks to the running daemon through a unix socket
 * (mode 0600, so only the owner can), reaching groups through the same router, queue and outbox as
 * WhatsApp. Its chats are `local:<folder>`.
 */
import fs from 'node:fs';
import net from 'node:net';
import { LOCAL_JID_PREFIX, localJid } from '../../domain.ts';
import type { Logger } from '../../logger.ts';
import { ChannelUnavailable, type Channel, type ChannelEvents } from '../channel.ts';
import { clientFrameSchema } from './client-frames.ts';
import { lineReader, type ServerFrame } from './protocol.ts';

export type LocalChannelDeps = {
  socketPath: string;
  assistantName: string;
  /** Registered group folders, for the hello check. */
  groupExists: (folder: string) => boolean;
  log: Logger;
  ackTimeoutMs?: number;
};

type Client = { socket: net.Socket; folder: string; name: string };

export function createLocalChannel(deps: LocalChannelDeps): Channel {
  const clients = new Set<Client>();
  const waitingAcks = new Map<string, () => void>();
  let server: net.Server | undefined;

  const write = (socket: net.Socket, frame: ServerFrame) => socket.write(`${JSON.stringify(frame)}\n`);

  function serve(socket: net.Socket, events: ChannelEvents): void {
    let client: Client | undefined;
    // Each frame is taken up as it arrives, in order: a message's store begins at once (the router
    // asks for it before anything it awaits, and the group commit keeps that order), so a burst of
    // messages commits together; what the terminal hears back goes out in the same order.
    let chain = Promise.resolve();
    /** Acts on a frame; for a message, resolves with the answer to send once it is stored. */
    const onFrame = async (value: unknown): Promise<ServerFrame | undefined> => {
      const parsed = clientFrameSchema.safeParse(value);
      if (!parsed.success) { write(socket, { type: 'error', message: 'unreadable frame: ' + parsed.error.message }); return; }
      const frame = parsed.data;
      if (frame.type === 'hello') {
        if (!deps.groupExists(frame.group)) {
          write(socket, { type: 'error', message: `no registered group has the folder "${frame.group}"; see \`nanokimi groups\`` });
          socket.end();
          return;
        }
        client = { socket, folder: frame.group, name: frame.name ?? 'you' };
        clients.add(client);
        write(socket, { type: 'welcome', group: frame.group, assistant: deps.assistantName });
        events.onReady();
        return;
      }
      if (!client) { write(socket, { type: 'error', message: 'say hello with a group first' }); return; }
      if (frame.type === 'ack') { waitingAcks.get(frame.key)?.(); return; }
      const { name } = client;
      await events.onMessage({
        chatJid: localJid(client.folder), id: frame.id, senderId: `local:${name}`, senderName: name,
        text: frame.text, sentAt: Date.now(),
      });
      return { type: 'stored', id: frame.id };
    };
    socket.on('data', lineReader(
      (v) => {
        const handled = onFrame(v);
        chain = chain.then(() => handled).then((answer) => { if (answer) write(socket, answer); }).catch((err: unknown) => {
          deps.log.error({ err }, 'Local chat message could not be stored');
          write(socket, { type: 'error', message: `not stored: ${String(err)}` });
        });
      },
      () => write(socket, { type: 'error', message: 'each line must be one JSON object' }),
    ));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => { if (client) clients.delete(client); });
  }

  return {
    name: 'local',
    owns: (jid) => jid.startsWith(LOCAL_JID_PREFIX),

    async send(chatJid, reply, key, { file } = {}) {
      // A terminal shows no files: it says which one was sent.
      const text = file ? `${reply ? `${reply}\n` : ''}[${file.kind}: ${file.fileName}, ${file.bytes} bytes]` : reply;
      const folder = chatJid.slice(LOCAL_JID_PREFIX.length);
      const targets = [...clients].filter((c) => c.folder === folder);
      if (targets.length === 0) throw new ChannelUnavailable(`no terminal is connected to group "${folder}"`);
      await new Promise<void>((resolve, reject) => {
        let open = targets.length;
        const done = (err?: Error) => {
          clearTimeout(timer);
          waitingAcks.delete(key);
          for (const c of targets) c.socket.off('close', onClose);
          if (err) reject(err); else resolve();
        };
        // Without this a reply written to a terminal that just left would wait out the whole ack timeout.
        const onClose = () => { if (--open === 0) done(new ChannelUnavailable('the terminal left before confirming the reply')); };
        const timer = setTimeout(() => done(new ChannelUnavailable('the terminal did not confirm the reply')),
          deps.ackTimeoutMs ?? 10_000);
        waitingAcks.set(key, () => done());
        for (const c of targets) { c.socket.once('close', onClose); write(c.socket, { type: 'reply', key, text }); }
      });
    },

    async start(events) {
      // A socket file left by a killed daemon would make listen() fail with EADDRINUSE.
      fs.rmSync(deps.socketPath, { force: true });
      server = net.createServer((s) => serve(s, events));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        // Owner-only from the first instant: the umask applies when the socket file is created.
        // listen() binds a unix socket synchronously, so the umask is restored before any other file is made.
        const old = process.umask(0o177);
        try { server!.listen(deps.socketPath, resolve); } finally { process.umask(old); }
      });
      fs.chmodSync(deps.socketPath, 0o600);
      deps.log.info({ socket: deps.socketPath }, 'Local chat listening');
    },

    async stop() {
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      fs.rmSync(deps.socketPath, { force: true });
    },
  };
}
