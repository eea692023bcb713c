/** @module What the WhatsApp channel keeps besides auth: the messages it sent, and its status. */
import type { Db } from '../../store/db.ts';
import type { ConnectionStatus } from './close-policy.ts';

export type WaStatus = { state: ConnectionStatus; detail: string; updatedAt: number };

export function createWaStore(db: Db) {
  const addSent = db.prepare('INSERT OR IGNORE INTO wa_sent (id, chat_jid, message, sent_at) VALUES (?, ?, ?, ?)');
  const getSent = db.prepare('SELECT message FROM wa_sent WHERE id = +?');
  const setStatus = db.prepare(`INSERT INTO wa_status (id, state, detail, updated_at) VALUES (1, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at`);
  const getStatus = db.prepare('SELECT state, detail, updated_at AS updatedAt FROM wa_status WHERE id = 1');
  return {
    recordSent: (id: string, chatJid: string, text: string) => { addSent.run(id, chatJid, JSON.stringify({ conversation: text }), Date.now()); },
    /** The content of a message we sent, for Baileys' retry requests; undefined (never empty) when unknown. */
    sentContent: (id: string) => {
      const row = getSent.get(id) as { message: string } | undefined;
      return row ? (JSON.parse(row.message) as { conversation: string }) : undefined;
    },
    wasSent: (id: string) => getSent.get(id) !== undefined,
    setStatus: (state: ConnectionStatus, detail = '') => { setStatus.run(state, detail, Date.now()); },
    status: () => getStatus.get() as WaStatus | undefined,
  };
}
