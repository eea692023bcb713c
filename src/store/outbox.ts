/** @module The outbox: replies stored before they are sent, marked sent only when the channel confirmed. */
import type { Db } from './db.ts';
import type { OutboundFile, OutboxRow, QuoteRef } from '../domain.ts';

export type NewReply = { sourceKey: string; groupFolder: string; chatJid: string; text: string; runId: number | null; file?: OutboundFile; quote?: QuoteRef };

export function createOutboxStore(db: Db, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT OR IGNORE INTO outbox (source_key, group_folder, chat_jid, text, run_id, created_at, file, quote)
    VALUES (@sourceKey, @groupFolder, @chatJid, @text, @runId, @createdAt, @file, @quote)`);
  const oldestPending = db.prepare(`SELECT id, group_folder AS groupFolder, chat_jid AS chatJid, text, attempts, file, quote
    FROM outbox WHERE status = 'pending' AND chat_jid = +? ORDER BY id LIMIT 1`);
  const pendingChats = db.prepare(`SELECT DISTINCT chat_jid AS jid FROM outbox WHERE status = 'pending'`);
  const markSent = db.prepare(`UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = +?`);
  const markFailed = db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = +?');
  const markRefused = db.prepare(`UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, last_error = ?,
    status = CASE WHEN refusals + 1 >= ? THEN 'dead' ELSE status END WHERE id = +? RETURNING status`);
  const dead = db.prepare(`SELECT id, group_folder AS groupFolder, chat_jid AS chatJid, text, attempts, last_error AS lastError,
    created_at AS createdAt FROM outbox WHERE status = 'dead' ORDER BY id`);
  const sentFor = db.prepare(`SELECT chat_jid AS chatJid, text FROM outbox WHERE status = 'sent' ORDER BY id`);

  return {
    /** Adds a reply and returns its id; null when this source was already stored (a file processed twice). */
    add: (r: NewReply): number | null => {
      const res = insert.run({ ...r, createdAt: now(), file: r.file ? JSON.stringify(r.file) : null,
        quote: r.quote ? JSON.stringify(r.quote) : null });
      return res.changes === 1 ? Number(res.lastInsertRowid) : null;
    },
    next: (chatJid: string): OutboxRow | undefined => {
      const row = oldestPending.get(chatJid) as (Omit<OutboxRow, 'file' | 'quote'> & { file: string | null; quote: string | null }) | undefined;
      if (!row) return undefined;
      const { file, quote, ...rest } = row;
      return { ...rest, ...(file ? { file: JSON.parse(file) as OutboundFile } : {}), ...(quote ? { quote: JSON.parse(quote) as QuoteRef } : {}) };
    },
    pendingChats: () => (pendingChats.all() as { jid: string }[]).map((r) => r.jid),
    markSent: (id: number) => { markSent.run(now(), id); },
    markFailedAttempt: (id: number, error: string) => { markFailed.run(error, id); },
    /** The channel refused this reply; after `limit` refusals it is set aside. Returns true when it was. */
    markRefused: (id: number, error: string, limit: number) =>
      (markRefused.get(error, limit, id) as { status: string } | undefined)?.status === 'dead',
    /** Replies set aside after the channel refused them again and again, oldest first. */
    deadLetters: () => dead.all() as { id: number; groupFolder: string; chatJid: string; text: string; attempts: number; lastError: string | null; createdAt: number }[],
    /** Everything delivered, in order: for diagnostics and tests. */
    sent: () => sentFor.all() as { chatJid: string; text: string }[],
  };
}
