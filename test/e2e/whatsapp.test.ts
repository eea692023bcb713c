/**
 * The WhatsApp channel behind the real daemon, with a fake socket fed real-shaped v7 messages:
 * each fixture ends in exactly the expected trigger decision and exactly one reply, or none.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import type { WAMessage } from '@whiskeysockets/baileys';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteAuthState } from '../../src/channels/whatsapp/auth-store.ts';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/channel.ts';
import { createWaStore } from '../../src/channels/whatsapp/wa-store.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { createRecorder, settled, type Recorder } from '../fixtures/event-recorder.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import * as fx from '../fixtures/whatsapp/messages.ts';
import { FAST_PACE, fakeSocketFactory, type FakeSocket } from '../fixtures/whatsapp/fake-socket.ts';
import { startMediaServer, withMedia, type MediaServer } from '../fixtures/whatsapp/media-server.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
let events: Recorder;
afterEach(async () => { await daemon?.stop(); daemon = undefined; tree.cleanup(); });

/** A linked device (creds saved as after `nanokimi login`) and one registered group. */
async function start(opts: { sharesOwnerNumber?: boolean; delayMs?: number; mediaFetch?: RequestInit; env?: Record<string, string> } = {}) {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  const auth = createSqliteAuthState(db);
  auth.state.creds.me = { id: fx.BOT_USER_ID, lid: fx.BOT_USER_LID, name: 'Kai' };
  auth.state.creds.registered = true;
  auth.saveCreds();
  // Messages the bot sent before: their echoes and quotes must be recognised.
  const sent = createWaStore(db);
  for (const id of fx.SENT_IDS) sent.recordSent(id, fx.BOT_PHONE_JID, 'an earlier reply');
  registerGroup({ groups: createStores(db).groups, groupsDir: tree.groupsDir, assistantName: 'Kai' },
    { jid: fx.GROUP_JID, name: 'Family', folder: 'family' });
  db.close();

  const sockets = fakeSocketFactory();
  const timers: { ms: number; fn: () => void }[] = [];
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '1', ...opts.env }, tree.root);
  const agent = createFileAgent({ delayMs: opts.delayMs ?? 0 });
  events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit,
    channels: [(stores, emit) => createWhatsAppChannel({ emit,
      db: stores.db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: opts.sharesOwnerNumber ?? false,
      log: silentLogger(), recordChat: stores.groups.recordGroupChat, now: () => fx.NOW_MS, pace: FAST_PACE,
      ...(opts.mediaFetch ? { mediaFetch: opts.mediaFetch } : {}),
      setTimer: (fn, ms) => { timers.push({ ms, fn }); return { cancel: () => undefined }; },
      bindMainChat: (jid) => { const main = stores.groups.list().find((g) => g.isMain)!; if (main.jid !== jid) stores.groups.setJid(main.folder, jid); },
    })] });
  const sock = sockets.last();
  sock.groups = { [fx.GROUP_JID]: { id: fx.GROUP_JID, subject: 'Family' } };
  sock.open();
  return { sock, sockets, timers, agent };
}

/**
 * Delivers, then waits until everything the delivery set in motion is over: the upsert went through
 * the router, every group it woke is idle again and every reply was tried. So "no reply" is a fact.
 */
async function deliverAndSettle(sock: FakeSocket, msgs: WAMessage[], type: 'notify' | 'append' = 'notify') {
  const before = events.events.length;
  const ids = JSON.stringify(msgs.map((m) => m.key?.id ?? ''));
  sock.deliver(msgs, type);
  await events.next('upsert-handled', (e) => events.events.indexOf(e) >= before && JSON.stringify(e.ids) === ids);
  await settled(events);
}

describe('inbound WhatsApp messages through the router', () => {
  it.each([
    ['a native LID mention in a group', fx.lidMention, fx.GROUP_JID, "echo: @Kai what's the weather?"],
    ['a typed @Kai', fx.typedKai, fx.GROUP_JID, 'echo: @Kai what time is the match?'],
    ['a reply to the bot', fx.replyToBot, fx.GROUP_JID, 'echo: and tomorrow?'],
    ['a reply quoting one of the bot\'s messages', fx.replyByStanza, fx.GROUP_JID, 'echo: thanks!'],
    ['a disappearing-messages wrapper', fx.ephemeral, fx.GROUP_JID, 'echo: @Kai remind me to call mum'],
    ['a view-once caption', fx.viewOnceImage, fx.GROUP_JID, 'echo: @Kai what plant is this?'],
    ['the owner\'s self-chat (main)', fx.selfChat, fx.BOT_PHONE_JID, "echo: what's on my calendar today?"],
  ])('%s gets exactly one reply, in the chat it came from', async (_name, msg, jid, text) => {
    const { sock } = await start();
    await deliverAndSettle(sock, [msg]);
    expect(sock.sent.map((s) => ({ jid: s.jid, text: s.text }))).toEqual([{ jid, text }]);
  });

  it.each([
    ['group chatter', fx.plainChatter],
    ['our own echo', fx.ownEcho],
    ['fromMe in a group', fx.fromMeInGroup],
    ['a decrypt-failure stub', fx.decryptStub],
    ['a reaction', fx.reaction],
    ['a revoke', fx.revoke],
  ])('%s gets no reply', async (_name, msg) => {
    const { sock } = await start();
    await deliverAndSettle(sock, [msg]);
    expect(sock.sent).toEqual([]);
  });

  it('in a group that lists who may wake it, only they do; the others\' words still reach the agent', async () => {
    const { sock } = await start();
    // As `nanokimi groups set family --senders +15559876543` leaves it: Bob may, Alice may not.
    daemon!.stores.groups.setAllowedSenders('family', ['+15559876543']);
    await deliverAndSettle(sock, [fx.lidMention, fx.typedKai]);
    expect(sock.sent.filter((s) => s.jid === fx.GROUP_JID)).toEqual([]);
    await deliverAndSettle(sock, [fx.pnMention]);
    expect(sock.sent.filter((s) => s.jid === fx.GROUP_JID)).toHaveLength(1);
    // The owner hears once that Alice tried (not once per try).
    const told = sock.sent.filter((s) => s.jid === fx.BOT_PHONE_JID).map((s) => s.text);
    expect(told).toEqual(['Alice (15557654321) tried to wake Kai in "Family", where only +15559876543 may. To let them: ' +
      'nanokimi groups set family --senders +15559876543,15557654321']);
    const stored = daemon!.stores.messages.after('family', 0).map((m) => ({ sender: m.senderId, triggers: m.triggers }));
    expect(stored).toEqual([
      { sender: fx.ALICE_LID, triggers: false }, { sender: fx.ALICE_LID, triggers: false }, { sender: fx.BOB_PHONE_JID, triggers: true }]);
  });

  it('a direct message from someone unknown is asked about in main; once allowed there, it is answered', async () => {
    const { sock } = await start();
    await deliverAndSettle(sock, [fx.lidDm]);
    const question = sock.sent.find((s) => s.jid === fx.BOT_PHONE_JID)?.text ?? '';
    expect(question).toContain('Alice (15557654321) wrote to Kai directly: "are you coming tonight?"');
    const code = /"allow ([a-z0-9]{6})"/.exec(question)?.[1];
    expect(code).toBeDefined();
    expect(sock.sent.filter((s) => s.jid === fx.ALICE_LID)).toEqual([]);
    // A second message from them does not ask again.
    await deliverAndSettle(sock, [{ ...fx.lidDm, key: { ...fx.lidDm.key, id: 'AC1D1D1D1D1D1D1D1D1D1D1D1D1D1D2E' } }]);
    expect(sock.sent.filter((s) => s.jid === fx.BOT_PHONE_JID)).toHaveLength(1);

    await deliverAndSettle(sock, [{ ...fx.selfChat, key: { ...fx.selfChat.key, id: '3A5E1F2C3D4B5A6978FF' }, message: { conversation: `allow ${code}` } }]);
    expect(events.of('reply-sent', (e) => e.chatJid === fx.ALICE_LID)).toHaveLength(1);
    expect(sock.sent.find((s) => s.jid === fx.ALICE_LID)!.text).toBe('echo: are you coming tonight?');
    expect(sock.sent.filter((s) => s.jid === fx.BOT_PHONE_JID).map((s) => s.text)).toContainEqual('Kai now talks with Alice (group folder dm-15557654321), starting with what they already wrote.');
    expect(daemon!.stores.groups.get('dm-15557654321')).toMatchObject({ jid: fx.ALICE_LID, requiresTrigger: false });
    // The owner's answer was for NanoKimi, not a message for main's agent.
    expect(sock.sent.some((s) => s.text.startsWith('echo: allow'))).toBe(false);
  });

  it('a denied direct chat is never asked about again and never answered', async () => {
    const { sock } = await start();
    await deliverAndSettle(sock, [fx.lidDm]);
    const code = /"deny ([a-z0-9]{6})"/.exec(sock.sent[0]!.text)![1];
    await deliverAndSettle(sock, [{ ...fx.selfChat, key: { ...fx.selfChat.key, id: '3A5E1F2C3D4B5A6978FE' }, message: { conversation: `deny ${code}` } }]);
    expect(sock.sent.at(-1)!.text).toBe('Kai will not answer Alice, and you will not be asked about them again.');
    const before = sock.sent.length;
    await deliverAndSettle(sock, [{ ...fx.lidDm, key: { ...fx.lidDm.key, id: 'AC1D1D1D1D1D1D1D1D1D1D1D1D1D1D3F' } }]);
    expect(sock.sent).toHaveLength(before);
  });

  it('a duplicate delivery is answered once', async () => {
    const { sock } = await start();
    await deliverAndSettle(sock, [fx.typedKai, fx.typedKai]);
    await deliverAndSettle(sock, [fx.typedKai], 'append');
    expect(sock.sent).toHaveLength(1);
  });

  it('after a reconnect, a recent append is answered and an old one is not', async () => {
    const { sock, sockets, timers } = await start();
    sock.close(428);
    expect(timers).toHaveLength(1);
    timers[0]!.fn();
    const again = sockets.last();
    expect(again).not.toBe(sock);
    again.open();
    await deliverAndSettle(again, [fx.oldAppend, fx.recentAppend], 'append');
    expect(again.sent.map((s) => s.text)).toEqual(['echo: @Kai are you back?']);
  });

  it('with a shared number, replies carry "Kai: " and that prefix never wakes the bot', async () => {
    const { sock } = await start({ sharesOwnerNumber: true });
    await deliverAndSettle(sock, [fx.selfChat]);
    await deliverAndSettle(sock, [fx.prefixedSelfChat]);
    expect(sock.sent.map((s) => s.text)).toEqual(["Kai: echo: what's on my calendar today?"]);
  });
});

describe('outbound to WhatsApp', () => {
  it('a reply waits in the outbox while disconnected and goes out after the reconnect, once', async () => {
    const { sock, sockets, timers } = await start({ delayMs: 300 });
    sock.deliver([fx.typedKai]);
    await events.next('run-started'); // the agent has the message and answers in 300 ms
    sock.close(408);
    // Not sent, counted as an attempt, kept pending: not as a refusal, which would count towards setting it aside.
    expect(await events.next('reply-deferred')).toMatchObject({ chatJid: fx.GROUP_JID, refused: false,
      error: expect.stringMatching(/^ChannelUnavailable: WhatsApp is connecting/) });
    timers.at(-1)!.fn();
    const again = sockets.last();
    again.open();
    await events.next('reply-sent');
    expect(again.sent).toHaveLength(1);
    expect(sock.sent).toEqual([]);
    expect(again.sent[0]).toMatchObject({ jid: fx.GROUP_JID, text: 'echo: @Kai what time is the match?' });
  });

  it('a send WhatsApp rejects is not marked sent and is retried', async () => {
    const { sock } = await start();
    sock.failSends = true;
    sock.deliver([fx.typedKai]);
    expect(await events.next('reply-deferred')).toMatchObject({ refused: true });
    // Refused while connected: counted towards setting it aside, unlike a send while disconnected.
    expect((daemon!.stores.db.prepare('SELECT refusals, last_error AS e FROM outbox').get() as { refusals: number; e: string }))
      .toMatchObject({ refusals: 1, e: expect.stringMatching(/^ChannelRefused: WhatsApp refused the message/) });
    sock.failSends = false;
    sock.open(); // a channel "ready" wakes the outbox at once
    await events.next('reply-sent');
    expect(sock.sent).toHaveLength(1);
    expect(daemon!.stores.outbox.sent()).toHaveLength(1);
  });

  it('with ACK_REACTION, reacts to each message that wakes the assistant, and to nothing else', async () => {
    const { sock } = await start({ env: { ACK_REACTION: '👀' } });
    await deliverAndSettle(sock, [fx.plainChatter, fx.typedKai]);
    expect(sock.reactions).toEqual([{ jid: fx.GROUP_JID, text: '👀',
      key: { remoteJid: fx.GROUP_JID, id: fx.typedKai.key.id, fromMe: false, participant: fx.ALICE_LID } }]);
    expect(sock.sent).toHaveLength(1);
  });

  it('quotes the question when others wrote before the answer came (REPLY_QUOTE=auto), not when it follows at once', async () => {
    const { sock } = await start({ delayMs: 400 });
    sock.deliver([fx.typedKai]);
    await events.next('run-started'); // the agent answers in 400 ms: the chatter comes before
    await deliverAndSettle(sock, [fx.plainChatter]);
    expect(sock.sent).toHaveLength(1);
    expect(sock.sent[0]!.quoted).toEqual({ key: { remoteJid: fx.GROUP_JID, id: fx.typedKai.key.id, fromMe: false, participant: fx.ALICE_LID },
      message: { conversation: '@Kai what time is the match?' } });

    const again = { ...fx.typedKai, key: { ...fx.typedKai.key, id: 'A5F1C2D3E4B5A6978812345678ABCDE1' } };
    await deliverAndSettle(sock, [again]);
    expect(sock.sent).toHaveLength(2);
    expect(sock.sent[1]!.quoted).toBeUndefined();
  });

  it('a message that arrives while the database is locked past busy_timeout is stored once the lock is gone, and answered once', async () => {
    const { sock } = await start();
    const other = new Database(path.join(tree.dataDir, 'nanokimi.db'));
    other.exec('BEGIN IMMEDIATE');
    sock.deliver([fx.typedKai]);
    // The daemon blocks for busy_timeout (5 s), fails and waits a second to try again: the lock goes meanwhile.
    expect(await events.next('message-store-retry', undefined, 10_000)).toMatchObject({ msgId: fx.typedKai.key.id, attempt: 1 });
    other.exec('COMMIT');
    other.close();
    await events.next('reply-sent', undefined, 20_000);
    await settled(events);
    expect(sock.sent.map((s) => s.text)).toEqual(['echo: @Kai what time is the match?']);
    expect(events.of('message-stored')).toHaveLength(1);
  });

  it('a reply cut off by the connection dropping mid-send goes on after the reconnect: every part once, in order', async () => {
    const { sock, sockets, timers } = await start();
    const long = { ...fx.typedKai, key: { ...fx.typedKai.key, id: 'A5F1C2D3E4B5A6978812345678ABCDE2' },
      message: { conversation: `@Kai ${Array.from({ length: 3 }, (_, i) => `${'word '.repeat(700)}part ${i}`).join('\n\n')}` } };
    sock.dropAfterSends = 1;
    await deliverAndSettle(sock, [long]);
    expect(sock.sent).toHaveLength(1);
    // The reconnect is scheduled (the typing refresh, 10 s, shares the timer port).
    const reconnect = timers.filter((t) => t.ms < 5_000);
    expect(reconnect).toHaveLength(1);
    reconnect[0]!.fn();
    const next = sockets.last();
    expect(next).not.toBe(sock);
    next.open();
    await events.next('reply-sent');
    expect(next.sent).toHaveLength(2);
    const parts = [...sock.sent, ...next.sent].map((s) => s.text.match(/part (\d)$/)?.[1]);
    expect(parts).toEqual(['0', '1', '2']);
    expect(new Set([...sock.sent, ...next.sent].map((s) => s.id)).size).toBe(3);
  });

  it('turns the agent\'s Markdown into WhatsApp formatting', async () => {
    const { sock } = await start();
    const markdown = { ...fx.typedKai, key: { ...fx.typedKai.key, id: 'A5F1C2D3E4B5A6978812345678ABCDE0' },
      message: { conversation: '@Kai **total:** ~~12~~ [see](https://x.y)' } };
    await deliverAndSettle(sock, [markdown]);
    expect(sock.sent.map((s) => s.text)).toEqual(['echo: @Kai *total:* ~12~ see (https://x.y)']);
  });

  it('shows "composing" while the agent works, then "paused"', async () => {
    const { sock } = await start({ delayMs: 200 });
    await deliverAndSettle(sock, [fx.typedKai]);
    expect(sock.presences[0]).toEqual({ type: 'composing', jid: fx.GROUP_JID });
    expect(sock.presences.at(-1)).toEqual({ type: 'paused', jid: fx.GROUP_JID });
  });

  it('main follows the owner\'s self-chat once WhatsApp is connected', async () => {
    await start();
    expect(daemon!.stores.groups.get('main')?.jid).toBe(fx.BOT_PHONE_JID);
    expect(daemon!.stores.groups.groupChats()).toEqual([expect.objectContaining({ jid: fx.GROUP_JID, name: 'Family', folder: 'family' })]);
  });
});

describe('photos, documents and voice notes', () => {
  let media: MediaServer | undefined;
  afterEach(async () => { await media?.close(); media = undefined; });
  const DAY = '2025-11-22'; // fx.SENT_AT_S in UTC
  const path_ = (id: string, ext: string) => `media/${DAY}/${id}.${ext}`;

  it('keeps the file of a message in a registered group in its folder and shows it to the agent, uncaptioned photos too', async () => {
    media = await startMediaServer();
    const { sock, agent } = await start({ mediaFetch: media.fetchOptions });
    const firstBytes = randomBytes(30_000);
    const first = withMedia(fx.imageNoCaption, 'imageMessage', await media.publish(firstBytes, 'image'));
    const receipt = withMedia(fx.imageWithCaption, 'imageMessage', await media.publish(randomBytes(20_000), 'image'));
    await deliverAndSettle(sock, [first, receipt]);

    const file = path.join(tree.groupsDir, 'family', path_(fx.imageNoCaption.key.id!, 'jpg'));
    expect(fs.readFileSync(file).equals(firstBytes)).toBe(true);
    const input = agent.runs[0]!.input;
    if (input.type !== 'messages') throw new Error('expected messages');
    expect(input.text).toContain(`<message sender="Alice" time="${DAY} 08:26"><attachment kind="image" type="image/jpeg" ` +
      `path="/workspace/group/${path_(fx.imageNoCaption.key.id!, 'jpg')}" bytes="30000" shown="yes"/></message>`);
    expect(input.text).toContain('@Kai how much was the tip?<attachment kind="image"');
    expect(input.images).toEqual([
      { file: path_(fx.imageNoCaption.key.id!, 'jpg'), mimeType: 'image/jpeg' },
      { file: path_(fx.imageWithCaption.key.id!, 'jpg'), mimeType: 'image/jpeg' },
    ]);
    expect(sock.sent).toHaveLength(1);
  });

  it('does not download a file over MEDIA_MAX_MB, and the agent is told why', async () => {
    media = await startMediaServer();
    const { sock, agent } = await start({ mediaFetch: media.fetchOptions, env: { MEDIA_MAX_MB: '1' } });
    const big = withMedia(fx.documentWithCaption, 'documentMessage', { ...await media.publish(randomBytes(2 * 1024 * 1024), 'document') });
    await deliverAndSettle(sock, [big]);
    expect(media.requests).toEqual([]); // its size was known: not even fetched
    expect(agent.runs[0]!.input.text).toContain('name="Lease 2027.pdf" bytes="2097152" missing="not downloaded: 2.0 MB is too large, the limit is 1.0 MB (MEDIA_MAX_MB)"/>');
    expect(fs.existsSync(path.join(tree.groupsDir, 'family', 'media'))).toBe(false);
  });

  it('hands a voice note to TRANSCRIBE_COMMAND and the agent reads the transcript as machine-made', async () => {
    media = await startMediaServer();
    const script = path.join(os.tmpdir(), `nk-transcribe-${process.pid}.sh`);
    const given = `${script}.given`;
    fs.writeFileSync(script, `#!/bin/sh\necho "$2" > ${given}\necho "buy milk, $(wc -c < "$2") bytes, lang $1"\n`, { mode: 0o755 });
    try {
      const { sock, agent } = await start({ mediaFetch: media.fetchOptions, env: { TRANSCRIBE_COMMAND: `${script} es` } });
      const note = withMedia(fx.voiceNote, 'audioMessage', await media.publish(randomBytes(11_520), 'audio'));
      // A voice note alone wakes nobody in a group: a mention after it does, and the note is in the conversation.
      await deliverAndSettle(sock, [note, fx.typedKai]);
      expect(agent.runs[0]!.input.text).toContain(`path="/workspace/group/${path_(fx.voiceNote.key.id!, 'ogg')}" bytes="11520" seconds="7">` +
        '<transcript source="machine">buy milk, 11520 bytes, lang es</transcript></attachment>');
      // It was given a private copy, not a path into the folder the agent writes.
      expect(fs.readFileSync(given, 'utf8').startsWith(tree.groupsDir)).toBe(false);
    } finally {
      fs.rmSync(script, { force: true });
      fs.rmSync(`${script}.given`, { force: true });
    }
  });

  it('stores a file of a chat nobody registered as a note only, downloading nothing', async () => {
    media = await startMediaServer();
    const { sock } = await start({ mediaFetch: media.fetchOptions });
    const elsewhere = { ...withMedia(fx.imageNoCaption, 'imageMessage', await media.publish(randomBytes(1000), 'image')),
      key: { ...fx.imageNoCaption.key, remoteJid: '120363099999999999@g.us' } };
    await deliverAndSettle(sock, [elsewhere]);
    expect(media.requests).toEqual([]);
    const row = daemon!.stores.db.prepare('SELECT attachment FROM messages WHERE msg_id = ?').get(fx.imageNoCaption.key.id) as { attachment: string };
    expect(JSON.parse(row.attachment)).toMatchObject({ kind: 'image', missing: 'not downloaded: this chat is not a registered group' });
  });
});

describe('connection policy', () => {
  it.each([[401, 'logged-out'], [440, 'replaced'], [403, 'forbidden']])('a %i close stops reconnecting and is recorded', async (code, state) => {
    const { sock, timers, sockets } = await start();
    sock.close(code);
    expect(timers).toEqual([]);
    expect(sockets.sockets).toHaveLength(1);
    expect(createWaStore(daemon!.stores.db).status()?.state).toBe(state);
  });

  it('515 after pairing reconnects at once', async () => {
    const { sock, timers } = await start();
    sock.close(515);
    expect(timers.map((t) => t.ms)).toEqual([0]);
  });
});
