/**
 * A photo from WhatsApp in the product's agent image: the daemon keeps it in the group's folder, the
 * container sees it at /workspace/group/media/..., and the real Kimi Code CLI inside hands it to the
 * (fake) model as an image, beside its path in the text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerAgent } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/channel.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createRecorder } from '../fixtures/event-recorder.ts';
import { FAST_PACE, fakeSocketFactory, linkDevice } from '../fixtures/whatsapp/fake-socket.ts';
import { startMediaServer, withMedia, type MediaServer } from '../fixtures/whatsapp/media-server.ts';
import * as fx from '../fixtures/whatsapp/messages.ts';
import { AGENT_IMAGE, dockerReady, installFakeLogin, makeProjectTree, startFakeApiContainer, TEST_USER,
  type FakeApiContainer, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

describe.skipIf(!ready)('a WhatsApp photo in the real agent container', () => {
  let tree: ProjectTree | undefined;
  let api: FakeApiContainer | undefined;
  let media: MediaServer | undefined;
  let daemon: Daemon | undefined;
  afterAll(async () => { await daemon?.stop(); await api?.stop(); await media?.close(); tree?.cleanup(); });

  it('reaches the model as an image block, and its container path in the text', async () => {
    api = await startFakeApiContainer();
    media = await startMediaServer();
    tree = makeProjectTree(['main']);
    fs.rmSync(path.join(tree.dataDir, 'nanokimi.db'));
    installFakeLogin(tree);
    const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
    linkDevice(db);
    db.close();
    const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', CONTAINER_IMAGE: AGENT_IMAGE,
      CONTAINER_USER: TEST_USER, CONTAINER_NETWORK: api.network, AGENT_IDLE_SECONDS: '1' }, tree.root);
    const log = silentLogger();
    const agent = createDockerAgent({ engine: createDockerEngine(), log,
      paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir }, image: config.containerImage,
      user: config.containerUser, limits: config.containerLimits, network: config.containerNetwork, assistantName: 'Kai',
      timeZone: 'UTC', mountAllowlist: config.mountAllowlist });
    const sockets = fakeSocketFactory();
    const events = createRecorder();
    daemon = await startDaemon({ config, log, agent, events: events.emit, channels: [(stores) => createWhatsAppChannel({
      db: stores.db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false, log,
      recordChat: stores.groups.recordGroupChat, pace: FAST_PACE, mediaFetch: media!.fetchOptions, now: () => fx.NOW_MS,
      bindMainChat: (jid) => { const main = stores.groups.list().find((g) => g.isMain)!; if (main.jid !== jid) stores.groups.setJid(main.folder, jid); },
    })] });
    const sock = sockets.last();
    sock.open();

    const photo = { key: { remoteJid: fx.BOT_PHONE_JID, fromMe: true, id: '3A5E1F2C3D4B5A6978AB' }, messageTimestamp: fx.SENT_AT_S,
      pushName: 'Owner', message: { imageMessage: { mimetype: 'image/png', caption: 'what is this?' } } };
    sock.deliver([withMedia(photo, 'imageMessage', await media.publish(PNG, 'image'))]);
    // WhatsApp accepted it: the outbox marks a reply sent only then.
    await events.next('reply-sent', (e) => e.chatJid === fx.BOT_PHONE_JID, 90_000);

    const chat = api.requests().find((r) => String(r.path).endsWith('/chat/completions'))!;
    const parts = (chat.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user')
      .flatMap((m) => (Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content }])) as
      { type: string; text?: string; image_url?: { url: string } }[];
    expect(parts.some((p) => p.text?.includes('what is this?<attachment kind="image" type="image/png" ' +
      'path="/workspace/group/media/2025-11-22/3A5E1F2C3D4B5A6978AB.png"'))).toBe(true);
    expect(parts.filter((p) => p.type === 'image_url').map((p) => p.image_url!.url)).toEqual([`data:image/png;base64,${PNG.toString('base64')}`]);
  });
});
