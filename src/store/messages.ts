/** @module Stored chat messages: insert with de-duplication, read a group's backlog by sequence. */
import type { Db } from './db.ts';
import { createGroupCommit, type CommitSoon } from './group-commit.ts';
import type { InboundMessage, Quoted, StoredAttachment, StoredMessage } from '../domain.ts';

type Row = {
  seq: number; chat_jid: string; group_folder: string | null; msg_id: string; sender_id: string;
  sender_name: string; text: string; sent_at: number; triggers: number; attachment: string | null; quoted: string | null;
};

const toMessage = (r: Row): StoredMessage => ({
  seq: r.seq, chatJid: r.chat_jid, groupFolder: r.group_folder, msgId: r.msg_id, senderId: r.sender_id,
  senderName: r.sender_name, text: r.text, sentAt: r.sent_at, triggers: r.triggers === 1,
  ...(r.attachment ? { attachment: JSON.parse(r.attachment) as StoredAttachment } : {}),
  ...(r.quoted ? { quoted: JSON.parse(r.quoted) as Quoted } : {}),
});

/** `commitSoon` is the database's one group commit (stores.ts), shared with every other store. */
export function createMessageStore(db: Db, commitSoon: CommitSoon = createGroupCommit(db)) {
  const insert = db.prepare(`INSERT OR IGNORE INTO messages
    (chat_jid, group_folder, msg_id, sender_id, sender_name, text, sent_at, triggers, attachment, quoted)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const nameOf = db.prepare('SELECT sender_name FROM messages WHERE chat_jid = +? AND msg_id = +?');
  const exists = db.prepare('SELECT 1 FROM messages WHERE chat_jid = +? AND msg_id = +?');
  const lastTriggerIn = db.prepare(`SELECT * FROM messages WHERE group_folder = +? AND chat_jid = +? AND seq <= ? AND triggers = 1
    ORDER BY seq DESC LIMIT 1`);
  const laterIn = db.prepare('SELECT COUNT(*) AS n FROM messages WHERE chat_jid = +? AND seq > ?');
  const after = db.prepare('SELECT * FROM messages WHERE group_folder = +? AND seq > ? ORDER BY seq');
  const triggerAfter = db.prepare(
    'SELECT seq FROM messages WHERE group_folder = +? AND seq > ? AND triggers = 1 ORDER BY seq DESC LIMIT 1');
  const adopt = db.prepare('UPDATE messages SET group_folder = ?, triggers = 1 WHERE chat_jid = +? AND group_folder IS NULL');
  const upsertChat = db.prepare(`INSERT INTO chats (jid, name, is_group, last_message_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (jid) DO UPDATE SET name = CASE WHEN excluded.name = '' THEN chats.name ELSE excluded.name END,
      is_group = excluded.is_group, last_message_at = MAX(COALESCE(chats.last_message_at, 0), excluded.last_message_at)`);

  type NewRow = { msg: InboundMessage; groupFolder: string | null; triggers: boolean; attachment: StoredAttachment | undefined };
  /** The message and its chat, inside the caller's transaction; its seq, or null for a (chat, id) already stored. */
  function insertOne({ msg, groupFolder, triggers, attachment }: NewRow): number | null {
    // The quoted message's sender by the name they had when it was stored, if it was.
    const quoted: Quoted | undefined = msg.quoted && {
      senderName: (msg.quoted.id ? (nameOf.get(msg.chatJid, msg.quoted.id) as { sender_name: string } | undefined)?.sender_name : undefined)
        ?? msg.quoted.senderName,
      text: msg.quoted.text,
    };
    upsertChat.run(msg.chatJid, msg.chatName ?? '', msg.isGroupChat ? 1 : 0, msg.sentAt);
    const res = insert.run(msg.chatJid, groupFolder, msg.id, msg.senderId, msg.senderName, msg.text,
      msg.sentAt, triggers ? 1 : 0, attachment ? JSON.stringify(attachment) : null, quoted ? JSON.stringify(quoted) : null);
    return res.changes === 1 ? Number(res.lastInsertRowid) : null;
  }

  return {
    /**
     * Stores a message (and its chat); returns its seq, or null when (chat, id) was already stored:
     * a duplicate delivery that must not act twice.
     */
    insert: (msg: InboundMessage, groupFolder: string | null, triggers: boolean, attachment?: StoredAttachment): number | null =>
      db.transaction(insertOne)({ msg, groupFolder, triggers, attachment }),
    /**
     * The same, committed together with every other write of this turn of the event loop (see
     * group-commit.ts): messages from several chats at once cost one fsync. Resolves once it is durable.
     */
    insertSoon: (msg: InboundMessage, groupFolder: string | null, triggers: boolean, attachment?: StoredAttachment): Promise<number | null> =>
      commitSoon(() => insertOne({ msg, groupFolder, triggers, attachment })),
    /** The newest message of the group in `chatJid`, up to `seq`, that woke the assistant. */
    lastTriggerIn: (folder: string, chatJid: string, seq: number): StoredMessage | undefined => {
      const row = lastTriggerIn.get(folder, chatJid, seq) as Row | undefined;
      return row ? toMessage(row) : undefined;
    },
    /** How many messages came into `chatJid` after `seq`. */
    countAfter: (chatJid: string, seq: number) => (laterIn.get(chatJid, seq) as { n: number }).n,
    /** Whether (chat, id) is stored: a redelivery, whose file need not be fetched again. */
    has: (chatJid: string, msgId: string) => exists.get(chatJid, msgId) !== undefined,
    /** A chat just registered takes its earlier messages, each waiting for an answer. */
    adoptChat(chatJid: string, groupFolder: string): number {
      return adopt.run(groupFolder, chatJid).changes;
    },
    /** Every message of the group after `seq`, oldest first. No limit: the prompt builder decides what fits. */
    after(groupFolder: string, seq: number): StoredMessage[] {
      return (after.all(groupFolder, seq) as Row[]).map(toMessage);
    },
    /** The newest triggering message after `seq`, or null when nothing is waiting for an answer. */
    lastTriggerAfter(groupFolder: string, seq: number): number | null {
      const row = triggerAfter.get(groupFolder, seq) as { seq: number } | undefined;
      return row?.seq ?? null;
    },
  };
}
