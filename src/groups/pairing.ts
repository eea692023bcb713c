/**
 * @module Direct chats from people the assistant does not know. Their messages are stored but reach
 * no agent; the owner is asked once, in main, and answers there with `allow <code>` or `deny <code>`.
 * Allowed: the chat becomes a group of its own (no trigger word needed in a direct chat) and what
 * the person already wrote is answered. Denied: the owner is not asked about that chat again.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { Group, InboundMessage } from '../domain.ts';

/** Six letters and digits derived from the chat: the same request always has the same code. */
export function pairingCode(jid: string): string {
  return createHash('sha256').update(jid).digest('base64url').replace(/[^a-zA-Z0-9]/g, '').slice(0, 6).toLowerCase();
}

/** `allow abc123` or `deny abc123` (any case, nothing else in the message). Pure. */
export function parsePairingCommand(text: string): { verb: 'allow' | 'deny'; code: string } | null {
  const m = /^\s*(allow|deny)\s+([a-z0-9]{6})\s*$/i.exec(text);
  return m ? { verb: m[1]!.toLowerCase() as 'allow' | 'deny', code: m[2]!.toLowerCase() } : null;
}

/** The folder a direct chat gets: `dm-` and the digits of the person's number (or id). Pure. */
export function directChatFolder(msg: Pick<InboundMessage, 'senderId' | 'senderAltId'>): string {
  const digits = (msg.senderAltId ?? msg.senderId).split('@')[0]!.replace(/\D/g, '').slice(-20) || pairingCode(msg.senderId);
  return `dm-${digits}`;
}

export type PairingDeps = {
  db: Db;
  assistantName: string;
  register: (g: { jid: string; name: string; folder: string; requiresTrigger: boolean }) => Group;
  adoptChat: (jid: string, folder: string) => number;
  tellMain: (text: string, key: string) => void;
  /** A group has messages waiting: start its run. */
  wake: (folder: string) => void;
  now?: () => number;
};

export function createPairing(deps: PairingDeps) {
  const find = deps.db.prepare('SELECT jid, name, status FROM pairings WHERE jid = +?');
  const pending = deps.db.prepare("SELECT jid, name, folder FROM pairings WHERE status = 'pending'");
  const insert = deps.db.prepare("INSERT OR IGNORE INTO pairings (jid, name, folder, status, requested_at) VALUES (?, ?, ?, 'pending', ?)");
  const setStatus = deps.db.prepare('UPDATE pairings SET status = ? WHERE jid = +?');

  return {
    /** A direct message from a chat no group has: asks the owner, the first time only. */
    unknownDirect(msg: InboundMessage): void {
      // People only: not channels (newsletters), broadcast lists or anything else WhatsApp delivers.
      if (!/@(s\.whatsapp\.net|lid)$/.test(msg.chatJid) || find.get(msg.chatJid)) return;
      insert.run(msg.chatJid, msg.senderName, directChatFolder(msg), (deps.now ?? Date.now)());
      const number = (msg.senderAltId ?? msg.senderId).split('@')[0];
      const preview = msg.text.length > 200 ? `${msg.text.slice(0, 200)}…` : msg.text;
      deps.tellMain(`${msg.senderName} (${number}) wrote to ${deps.assistantName} directly: "${preview}"\n` +
        `${deps.assistantName} does not answer people it does not know. To let it talk with them, answer here with ` +
        `"allow ${pairingCode(msg.chatJid)}"; to ignore them for good, "deny ${pairingCode(msg.chatJid)}".`, `pairing/${msg.chatJid}`);
    },

    /** Handles `allow`/`deny` written in main; false when the text is not such a command. */
    command(text: string): boolean {
      const cmd = parsePairingCommand(text);
      if (!cmd) return false;
      const row = (pending.all() as { jid: string; name: string; folder: string }[]).find((r) => pairingCode(r.jid) === cmd.code);
      if (!row) {
        deps.tellMain(`No direct chat is waiting with the code ${cmd.code}.`, `pairing-unknown/${cmd.code}/${Date.now()}`);
        return true;
      }
      if (cmd.verb === 'deny') {
        setStatus.run('denied', row.jid);
        deps.tellMain(`${deps.assistantName} will not answer ${row.name}, and you will not be asked about them again.`, `pairing-denied/${row.jid}`);
        return true;
      }
      const folder = row.folder;
      try {
        deps.register({ jid: row.jid, name: row.name, folder, requiresTrigger: false });
      } catch (err) {
        deps.tellMain(`${row.name} could not be allowed: ${(err as Error).message}. Register the chat by hand: ` +
          `nanokimi groups register --jid ${row.jid} --name "${row.name}" --folder <folder> --no-trigger`, `pairing-failed/${row.jid}/${Date.now()}`);
        return true;
      }
      setStatus.run('allowed', row.jid);
      const waiting = deps.adoptChat(row.jid, folder);
      deps.tellMain(`${deps.assistantName} now talks with ${row.name} (group folder ${folder})` +
        `${waiting ? `, starting with what they already wrote` : ''}.`, `pairing-allowed/${row.jid}`);
      if (waiting) deps.wake(folder);
      return true;
    },
  };
}

export type Pairing = ReturnType<typeof createPairing>;
