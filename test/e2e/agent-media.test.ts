/**
 * A photo sent on WhatsApp reaches the model: the channel (fake socket, real-shaped v7 message)
 * downloads it through Baileys from a local media host, the daemon keeps it in the group's folder,
 * the real agent-runner hands it to the real Kimi Code CLI as an ACP image block, and the fake Kimi
 * API records it in what the model was sent, next to the file's path in the prompt text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/channel.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createRecorder } from '../fixtures/event-recorder.ts';
import { startKimiWorld, type KimiWorld } from '../fixtures/kimi-world.ts';
import { createProcessAgent } from '../fixtures/process-agent.ts';
import { FAST_PACE, fakeSocketFactory, linkDevice } from '../fixtures/whatsapp/fake-socket.ts';
import { startMediaServer, withMedia, type MediaServer } from '../fixtures/whatsapp/media-server.ts';
import * as fx from '../fixtures/whatsapp/messages.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let world: KimiWorld | undefined;
let media: MediaServer | undefined;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); await world?.close(); await media?.close(); tree.cleanup(); });

// The smallest valid PNG: one transparent pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

it('a photo in the self-chat reaches the model as an image, and its path in the text', async () => {
  tree = makeTree();
  world = await startKimiWorld();
  world.install(tree.dataDir);
  media = await startMediaServer();
  const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  linkDevice(db);
  db.close();

  const sockets = fakeSocketFactory();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '1' }, tree.root);
  const agent = createProcessAgent({ paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
    runDir: path.join(tree.root, 'run'), env: { KIMI_LOOP_MAX_ATTEMPTS_PER_STEP: '2' } });
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit, channels: [(stores) => createWhatsAppChannel({
    db: stores.db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false, log: silentLogger(),
    recordChat: stores.groups.recordGroupChat, pace: FAST_PACE, mediaFetch: media!.fetchOptions, now: () => fx.NOW_MS,
    bindMainChat: (jid) => { const main = stores.groups.list().find((g) => g.isMain)!; if (main.jid !== jid) stores.groups.setJid(main.folder, jid); },
  })] });
  const sock = sockets.last();
  sock.open();

  const published = await media.publish(PNG, 'image');
  const photo = { key: { remoteJid: fx.BOT_PHONE_JID, fromMe: true, id: '3A5E1F2C3D4B5A6978AA' }, messageTimestamp: fx.SENT_AT_S,
    pushName: 'Owner', message: { imageMessage: { mimetype: 'image/png', caption: 'what is in this picture?' } } };
  sock.deliver([withMedia(photo, 'imageMessage', published)]);
  // WhatsApp accepted it: the outbox marks a reply sent only then.
  await events.next('reply-sent', (e) => e.chatJid === fx.BOT_PHONE_JID, 60_000);
  expect(sock.sent.filter((s) => s.jid === fx.BOT_PHONE_JID)).toHaveLength(1);

  const file = `media/2025-11-22/3A5E1F2C3D4B5A6978AA.png`;
  expect(fs.readFileSync(path.join(tree.groupsDir, 'main', file)).equals(PNG)).toBe(true);
  const user = (world.chats()[0]!.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user');
  const parts = user.flatMap((m) => (Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content }])) as
    { type: string; text?: string; image_url?: { url: string } }[];
  expect(parts.some((p) => p.type === 'text' && p.text?.includes(`what is in this picture?<attachment kind="image" type="image/png" path="/workspace/group/${file}" bytes="${PNG.length}" shown="yes"/>`))).toBe(true);
  expect(parts.filter((p) => p.type === 'image_url').map((p) => p.image_url!.url)).toEqual([`data:image/png;base64,${PNG.toString('base64')}`]);
});
