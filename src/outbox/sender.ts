/**
 * @module Delivers the outbox: one chat at a time in order, each reply marked sent only after its
 * channel confirmed it; failures stay pending and are retried with backoff or when a channel is ready.
 */
import fs from 'node:fs';
import { ChannelRefused, type Channel } from '../channels/channel.ts';
import type { OutboxRow } from '../domain.ts';
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { CommitSoon } from '../store/group-commit.ts';
import type { createOutboxStore } from '../store/outbox.ts';

export type OutboxSenderDeps = {
  outbox: ReturnType<typeof createOutboxStore>;
  /** The database's group commit: "sent" commits with the turn's other writes, before the next reply is read. */
  commitSoon: CommitSoon;
  channels: readonly Channel[];
  log: Logger;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Refusals (not outages) before a reply is set aside; default 5. */
  maxRefusals?: number;
  /** A reply was set aside: tell the owner (once per reply). */
  onDeadLetter?: (row: OutboxRow, error: string) => void;
  emit?: Emit;
};

export type OutboxSender = {
  /** New replies for this chat (or, without a chat, for any chat) may be waiting. */
  wake(chatJid?: string): void;
  /** Waits up to `ms` for in-flight sends to finish; used on shutdown. */
  flush(ms: number): Promise<void>;
  stop(): void;
};

export function startOutboxSender(deps: OutboxSenderDeps): OutboxSender {
  const base = deps.retryBaseMs ?? 1000;
  const max = deps.retryMaxMs ?? 60_000;
  const busy = new Map<string, Promise<void>>();
  const retryTimers = new Map<string, NodeJS.Timeout>();
  const failures = new Map<string, number>();
  const again = new Set<string>();
  const emit = deps.emit ?? ignoreEvents;
  let stopped = false;

  function scheduleRetry(chatJid: string): void {
    if (retryTimers.has(chatJid) || stopped) return;
    const n = failures.get(chatJid) ?? 1;
    const delay = Math.min(max, base * 2 ** (n - 1)) * (0.8 + Math.random() * 0.4);
    const t = setTimeout(() => { retryTimers.delete(chatJid); wake(chatJid); }, delay);
    t.unref();
    retryTimers.set(chatJid, t);
  }

  async function drainChat(chatJid: string): Promise<void> {
    const channel = deps.channels.find((c) => c.owns(chatJid));
    if (!channel) {
      deps.log.error({ chatJid }, 'No channel delivers to this chat; its replies stay in the outbox');
      return;
    }
    for (let row = deps.outbox.next(chatJid); row && !stopped; row = deps.outbox.next(chatJid)) {
      try {
        await channel.send(chatJid, row.text, `nk-${row.id}`, { ...(row.file ? { file: row.file } : {}), ...(row.quote ? { quote: row.quote } : {}) });
      } catch (err) {
        if (err instanceof ChannelRefused && deps.outbox.markRefused(row.id, String(err), deps.maxRefusals ?? 5)) {
          // Set aside, kept: the replies after it are no longer held up by it.
          deps.log.error({ chatJid, outboxId: row.id, err: String(err) }, 'Reply refused again and again; set aside, the next replies go on');
          deps.onDeadLetter?.(row, String(err));
          emit({ type: 'reply-dead-lettered', outboxId: row.id, chatJid, error: String(err) });
          continue;
        }
        if (!(err instanceof ChannelRefused)) deps.outbox.markFailedAttempt(row.id, String(err));
        failures.set(chatJid, (failures.get(chatJid) ?? 0) + 1);
        deps.log.warn({ chatJid, outboxId: row.id, err: String(err) }, 'Reply not delivered yet; it stays in the outbox');
        emit({ type: 'reply-deferred', outboxId: row.id, chatJid, error: String(err), refused: err instanceof ChannelRefused });
        again.delete(chatJid); // the backoff timer, not an eager wake, decides when to try again
        scheduleRetry(chatJid);
        return;
      }
      await deps.commitSoon(() => deps.outbox.markSent(row.id));
      // The host's copy of a sent file is not needed any more (a dead letter keeps its copy).
      if (row.file) fs.rmSync(row.file.path, { force: true });
      failures.delete(chatJid);
      deps.log.info({ chatJid, outboxId: row.id, chars: row.text.length }, 'Reply delivered');
      emit({ type: 'reply-sent', outboxId: row.id, chatJid });
    }
  }

  function wake(chatJid?: string): void {
    if (stopped) return;
    if (chatJid === undefined) {
      for (const jid of deps.outbox.pendingChats()) wake(jid);
      return;
    }
    if (busy.has(chatJid)) {
      // A send is under way; look again when it ends so a reply stored meanwhile is not left behind.
      again.add(chatJid);
      return;
    }
    const p = drainChat(chatJid).catch((err: unknown) => {
      // The outbox itself could not be written (disk full, database busy): the reply stays pending
      // and is tried again after the backoff; if it had gone out, the chat may see it twice.
      failures.set(chatJid, (failures.get(chatJid) ?? 0) + 1);
      deps.log.error({ chatJid, err: String(err) }, 'Could not record a reply\'s delivery in the outbox; trying again later');
      again.delete(chatJid); // the backoff, not an eager wake, decides when: each try may send it again
      scheduleRetry(chatJid);
    }).finally(() => {
      busy.delete(chatJid);
      if (again.delete(chatJid)) wake(chatJid);
    });
    busy.set(chatJid, p);
  }

  return {
    wake,
    async flush(ms) {
      const timeout = new Promise<void>((r) => setTimeout(r, ms).unref());
      await Promise.race([Promise.all(busy.values()).then(() => undefined), timeout]);
    },
    stop() {
      stopped = true;
      for (const t of retryTimers.values()) clearTimeout(t);
    },
  };
}
