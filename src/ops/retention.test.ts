import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../domain.ts';
import { silentLogger } from '../logger.ts';
import { openDb, type Db } from '../store/db.ts';
import { createStores, type Stores } from '../store/stores.ts';
import { pruneOnce, startRetention } from './retention.ts';

const DAY = 24 * 60 * 60_000;
const NOW = Date.UTC(2026, 11, 2, 12);
let root: string;
let db: Db;
let stores: Stores;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-retention-'));
  db = openDb(':memory:');
  stores = createStores(db);
  stores.groups.insert({ folder: 'family', jid: 'f@g.us', name: 'Family', requiresTrigger: true, isMain: false, container: {}, createdAt: 0 });
});
afterEach(() => { db.close(); fs.rmSync(root, { recursive: true, force: true }); });

const msg = (chatJid: string, id: string, ageDays: number): InboundMessage =>
  ({ chatJid, id, senderId: 's@s.whatsapp.net', senderName: 'S', text: id, sentAt: NOW - ageDays * DAY });
const prune = (days = 30) => pruneOnce({ db, days, folders: () => ['family'], groupsDir: path.join(root, 'groups'),
  ipcDir: path.join(root, 'ipc'), log: silentLogger(), now: () => NOW });
const ids = () => (db.prepare('SELECT msg_id FROM messages ORDER BY seq').all() as { msg_id: string }[]).map((r) => r.msg_id);

describe('retention', () => {
  it('drops old text of unregistered chats and old answered messages, never an unanswered one', async () => {
    stores.messages.insert(msg('stranger@s.whatsapp.net', 'old-unregistered', 31), null, false);
    stores.messages.insert(msg('stranger@s.whatsapp.net', 'new-unregistered', 29), null, false);
    const answered = stores.messages.insert(msg('f@g.us', 'old-answered', 40), 'family', true)!;
    stores.groups.advanceCursor('family', answered);
    stores.messages.insert(msg('f@g.us', 'old-unanswered', 40), 'family', true);
    stores.messages.insert(msg('f@g.us', 'new-unanswered', 1), 'family', false);

    expect(await prune()).toMatchObject({ messages: 2 });
    expect(ids()).toEqual(['new-unregistered', 'old-unanswered', 'new-unanswered']);
    // The prompt is built from what follows the cursor: all of it is still there.
    expect(stores.messages.after('family', stores.groups.cursor('family')).map((m) => m.msgId)).toEqual(['old-unanswered', 'new-unanswered']);
  });

  it('drops old sent replies and sent WhatsApp ids, never a pending or dead reply', async () => {
    for (const [key, status, ageDays] of [['sent-old', 'sent', 31], ['sent-new', 'sent', 2], ['pending-old', 'pending', 31], ['dead-old', 'dead', 31]] as const) {
      db.prepare(`INSERT INTO outbox (source_key, group_folder, chat_jid, text, status, created_at, sent_at)
        VALUES (?, 'family', 'f@g.us', 'x', ?, ?, ?)`).run(key, status, NOW - ageDays * DAY, status === 'sent' ? NOW - ageDays * DAY : null);
    }
    db.prepare("INSERT INTO wa_sent (id, chat_jid, message, sent_at) VALUES ('a', 'f@g.us', '{}', ?), ('b', 'f@g.us', '{}', ?)")
      .run(NOW - 31 * DAY, NOW - DAY);
    expect(await prune()).toMatchObject({ replies: 1, sentIds: 1 });
    expect((db.prepare('SELECT source_key FROM outbox ORDER BY id').all() as { source_key: string }[]).map((r) => r.source_key))
      .toEqual(['sent-new', 'pending-old', 'dead-old']);
    expect(db.prepare('SELECT id FROM wa_sent').all()).toEqual([{ id: 'b' }]);
  });

  it('drops old run logs and refused IPC files, following no link and entering no directory', async () => {
    const logs = path.join(root, 'groups', 'family', 'logs');
    const errors = path.join(root, 'ipc', 'family', 'errors');
    fs.mkdirSync(logs, { recursive: true });
    fs.mkdirSync(errors, { recursive: true });
    const old = (file: string) => { const t = (NOW - 31 * DAY) / 1000; fs.lutimesSync(file, t, t); };
    const hostFile = path.join(root, 'host-file.log');
    fs.writeFileSync(hostFile, 'keep');
    old(hostFile);
    for (const f of ['container-old.log', 'container-new.log', 'notes.txt']) fs.writeFileSync(path.join(logs, f), f);
    old(path.join(logs, 'container-old.log'));
    old(path.join(logs, 'notes.txt'));
    fs.symlinkSync(hostFile, path.join(logs, 'planted.log'));
    old(path.join(logs, 'planted.log'));
    fs.writeFileSync(path.join(errors, 'x.json'), 'x');
    fs.writeFileSync(path.join(errors, 'x.json.reason'), 'bad\n');
    old(path.join(errors, 'x.json'));
    old(path.join(errors, 'x.json.reason'));
    fs.mkdirSync(path.join(errors, 'a-dir'));
    old(path.join(errors, 'a-dir'));

    const day = path.join(root, 'groups', 'family', 'media', '2026-10-01');
    fs.mkdirSync(day, { recursive: true });
    fs.writeFileSync(path.join(day, 'A.jpg'), 'photo');
    old(path.join(day, 'A.jpg'));
    const today = path.join(root, 'groups', 'family', 'media', '2026-12-02');
    fs.mkdirSync(today);
    fs.writeFileSync(path.join(today, 'B.jpg'), 'photo');

    expect(await prune()).toMatchObject({ runLogs: 2, refusedFiles: 2, mediaFiles: 1 });
    expect(fs.readdirSync(path.join(root, 'groups', 'family', 'media'))).toEqual(['2026-12-02']);
    expect(fs.readdirSync(logs).sort()).toEqual(['container-new.log', 'notes.txt']);
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('keep');
    expect(fs.readdirSync(errors)).toEqual(['a-dir']);
  });

  it('keeps what is younger than RETENTION_DAYS, to the day', async () => {
    stores.messages.insert(msg('stranger@s.whatsapp.net', 'almost', 29.9), null, false);
    expect(await prune(30)).toMatchObject({ messages: 0 });
    expect(await prune(29)).toMatchObject({ messages: 1 });
  });

  it('prunes at start-up, and never with RETENTION_DAYS=0', async () => {
    stores.messages.insert(msg('stranger@s.whatsapp.net', 'old', 400), null, false);
    const opts = { db, folders: () => [], groupsDir: root, ipcDir: root, log: silentLogger(), now: () => NOW };
    await startRetention({ ...opts, days: 0 }).stop();
    expect(ids()).toEqual(['old']);
    await startRetention({ ...opts, days: 30 }).stop();
    expect(ids()).toEqual([]);
  });
});
