/** Every Channel implementation against the one contract (channel.contract.ts). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WAMessage } from '@whiskeysockets/baileys';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { createLocalChannel } from '../../src/channels/local/server.ts';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/channel.ts';
import type { InboundMessage } from '../../src/domain.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { FAST_PACE, fakeSocketFactory, linkDevice } from '../fixtures/whatsapp/fake-socket.ts';
import * as fx from '../fixtures/whatsapp/messages.ts';
import { channelContract } from './channel.contract.ts';

channelContract('local (the terminal chat)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-contract-'));
  const socketPath = path.join(dir, 'nanokimi.sock');
  const channel = createLocalChannel({ socketPath, assistantName: 'Kai', groupExists: (f) => f === 'family', log: silentLogger(), ackTimeoutMs: 2000 });
  const received: InboundMessage[] = [];
  await channel.start({ onMessage: async (m) => { received.push(m); }, onReady: () => undefined });
  const shown: string[] = [];
  let client: ChatClient | undefined;
  return {
    channel, chat: 'local:family', foreign: fx.GROUP_JID, received,
    async connect() {
      // The daemon's welcome says the terminal is in; without one the test must fail, not go on.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the terminal got no welcome within 5 s')), 5_000);
        client = connectChat({ socketPath, group: 'family', onReply: (t) => shown.push(t),
          onConnected: () => { clearTimeout(timer); resolve(); } });
      });
    },
    async disconnect() { client?.close(); client = undefined; await new Promise((r) => setTimeout(r, 50)); },
    shown: () => shown,
    async write(text) { client!.send(text); },
    async close() { client?.close(); await channel.stop(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
});

channelContract('WhatsApp (Baileys behind the socket port, a fake socket)', async () => {
  const db = openDb(':memory:');
  linkDevice(db);
  const sockets = fakeSocketFactory();
  const channel = createWhatsAppChannel({ db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false,
    log: silentLogger(), bindMainChat: () => undefined, recordChat: () => undefined, pace: FAST_PACE,
    setTimer: () => ({ cancel: () => undefined }), now: () => fx.NOW_MS });
  const received: InboundMessage[] = [];
  await channel.start({ onMessage: async (m) => { received.push(m); }, onReady: () => undefined });
  let n = 0;
  return {
    channel, chat: fx.GROUP_JID, foreign: 'local:family', received,
    async connect() { sockets.last().open(); },
    async disconnect() { sockets.last().close(428); },
    // Everything any socket accepted: the channel itself must not send a recorded part again.
    shown: () => sockets.sockets.flatMap((s) => s.sent).map((s) => s.text),
    async write(text) {
      const msg: WAMessage = { ...fx.typedKai, key: { ...fx.typedKai.key, id: `AC0NTRACT${++n}` }, message: { conversation: text } };
      sockets.last().deliver([msg]);
    },
    async close() { await channel.stop(); db.close(); },
  };
});
