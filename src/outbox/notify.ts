/** @module NanoKimi's own messages to a chat (not the agent's): through the outbox like any reply, once per key. */
import { ignoreEvents, type Emit } from '../events.ts';
import type { createOutboxStore } from '../store/outbox.ts';

export type NotifyDeps = {
  outbox: Pick<ReturnType<typeof createOutboxStore>, 'add'>;
  /** The sender: a reply for this chat is waiting. */
  wake: (chatJid: string) => void;
  emit?: Emit;
};

/** `key` says what the notice is about: the same key again (a retry, a restart) tells nobody twice. */
export type Notify = (folder: string, chatJid: string, text: string, key: string) => void;

export function createNotifier(deps: NotifyDeps): Notify {
  const emit = deps.emit ?? ignoreEvents;
  return (folder, chatJid, text, key) => {
    const outboxId = deps.outbox.add({ sourceKey: key, groupFolder: folder, chatJid, text, runId: null });
    if (outboxId === null) return;
    emit({ type: 'reply-queued', group: folder, chatJid, outboxId, sourceKey: key, runId: null });
    deps.wake(chatJid);
  };
}
