/** @module Registered groups, and the per-group cursor and session id. */
import type { Db } from './db.ts';
import type { ContainerSettings, Group } from '../domain.ts';

type Row = {
  folder: string; jid: string; name: string; requires_trigger: number; is_main: number;
  container_config: string; allowed_senders: string | null; created_at: number;
};

const toGroup = (r: Row): Group => ({
  folder: r.folder, jid: r.jid, name: r.name, requiresTrigger: r.requires_trigger === 1,
  isMain: r.is_main === 1, container: JSON.parse(r.container_config) as ContainerSettings, createdAt: r.created_at,
  ...(r.allowed_senders ? { allowedSenders: JSON.parse(r.allowed_senders) as string[] } : {}),
});

export function createGroupStore(db: Db, now: () => number = Date.now) {
  const byFolder = db.prepare('SELECT * FROM groups WHERE folder = +?');
  const byJid = db.prepare('SELECT * FROM groups WHERE jid = +?');
  const all = db.prepare('SELECT * FROM groups ORDER BY is_main DESC, folder');
  const insert = db.prepare(`INSERT INTO groups
    (folder, jid, name, requires_trigger, is_main, container_config, allowed_senders, created_at)
    VALUES (@folder, @jid, @name, @requiresTrigger, @isMain, @container, @senders, @createdAt)`);
  const setJid = db.prepare('UPDATE groups SET jid = ? WHERE folder = +?');
  const setContainer = db.prepare('UPDATE groups SET container_config = ? WHERE folder = +?');
  const setSenders = db.prepare('UPDATE groups SET allowed_senders = ? WHERE folder = +?');
  const upsertChat = db.prepare(`INSERT INTO chats (jid, name, is_group) VALUES (?, ?, 1)
    ON CONFLICT (jid) DO UPDATE SET name = excluded.name, is_group = 1`);
  const cursor = db.prepare('SELECT seq FROM cursors WHERE group_folder = +?');
  const advance = db.prepare(`INSERT INTO cursors (group_folder, seq) VALUES (?, ?)
    ON CONFLICT (group_folder) DO UPDATE SET seq = MAX(seq, excluded.seq)`);
  const session = db.prepare('SELECT session_id FROM sessions WHERE group_folder = +?');
  const saveSession = db.prepare(`INSERT INTO sessions (group_folder, session_id, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (group_folder) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`);
  const chats = db.prepare(`SELECT c.jid, c.name, c.last_message_at AS lastMessageAt, g.folder
    FROM chats c LEFT JOIN groups g ON g.jid = c.jid WHERE c.is_group = 1 ORDER BY c.last_message_at DESC`);

  return {
    get: (folder: string) => { const r = byFolder.get(folder) as Row | undefined; return r && toGroup(r); },
    byJid: (jid: string) => { const r = byJid.get(jid) as Row | undefined; return r && toGroup(r); },
    list: () => (all.all() as Row[]).map(toGroup),
    insert(g: Group): void {
      insert.run({ ...g, requiresTrigger: g.requiresTrigger ? 1 : 0, isMain: g.isMain ? 1 : 0,
        container: JSON.stringify(g.container), senders: g.allowedSenders ? JSON.stringify(g.allowedSenders) : null });
    },
    /** Points a group at another chat (main follows the owner's self-chat once WhatsApp is linked). */
    setJid: (folder: string, jid: string) => { setJid.run(jid, folder); },
    /** Replaces the group's container overrides (limits, network, extra mounts). */
    setContainer: (folder: string, settings: ContainerSettings) => { setContainer.run(JSON.stringify(settings), folder); },
    /** Who may wake the assistant in the group; null: anyone. */
    setAllowedSenders: (folder: string, senders: readonly string[] | null) => {
      setSenders.run(senders ? JSON.stringify(senders) : null, folder);
    },
    /** A group chat a channel reported, registered or not, with its current name. */
    recordGroupChat: (jid: string, name: string) => { upsertChat.run(jid, name); },
    cursor: (folder: string) => (cursor.get(folder) as { seq: number } | undefined)?.seq ?? 0,
    /** Moves the cursor forward only; an older value never rewinds it. */
    advanceCursor: (folder: string, seq: number) => { advance.run(folder, seq); },
    session: (folder: string) => (session.get(folder) as { session_id: string } | undefined)?.session_id,
    saveSession: (folder: string, id: string) => { saveSession.run(folder, id, now()); },
    /** Group chats the channels have seen, with the folder of those already registered. */
    groupChats: () => chats.all() as { jid: string; name: string; lastMessageAt: number | null; folder: string | null }[],
  };
}
