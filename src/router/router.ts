/**
 * @module Where every inbound message goes first: stored (durable before anything acts on it), the
 * trigger decided, then handed to the group's live run or queued for a new one.
 */
import { LOCAL_JID_PREFIX, type Group, type InboundMessage } from '../domain.ts';
import type { FetchAttachment } from '../channels/channel.ts';
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { MediaKeeper } from '../media/keeper.ts';
import type { createGroupStore } from '../store/groups.ts';
import type { createMessageStore } from '../store/messages.ts';
import type { GroupQueue } from './group-queue.ts';
import type { GroupWorker } from './group-worker.ts';
import { parsePairingCommand, type Pairing } from '../groups/pairing.ts';
import { senderMayWake, shouldTrigger } from './trigger.ts';

export type RouterDeps = {
  groups: ReturnType<typeof createGroupStore>;
  messages: ReturnType<typeof createMessageStore>;
  queue: GroupQueue;
  worker: Pick<GroupWorker, 'pipe'>;
  /** Direct chats from unknown people, and the owner's answers in main (src/groups/pairing.ts). */
  pairing?: Pick<Pairing, 'unknownDirect' | 'command'>;
  /** Someone not on the group's list of senders tried to wake the assistant. */
  onRefusedWake?: (group: Group, msg: InboundMessage) => void;
  /** Keeps a message's file before the message is stored; without it, files are only described. */
  media?: MediaKeeper;
  /** A message that woke the assistant was stored: tell the sender it was seen (ACK_REACTION). */
  onWake?: (msg: InboundMessage) => void;
  /** ASSISTANT_NAME: "@" + it is the trigger word. */
  assistantName: string;
  log: Logger;
  emit?: Emit;
};

export function createRouter(deps: RouterDeps) {
  const emit = deps.emit ?? ignoreEvents;
  function groupFor(chatJid: string): Group | undefined {
    return chatJid.startsWith(LOCAL_JID_PREFIX)
      ? deps.groups.get(chatJid.slice(LOCAL_JID_PREFIX.length))
      : deps.groups.byJid(chatJid);
  }

  // Per group, stored messages go to its live agent (or a new run) one hand-over at a time, so
  // follow-ups keep their order; the channel is not kept waiting for it: once a message is stored
  // it is safe, and the next one (of a burst, say) may be stored meanwhile.
  const handing = new Map<string, Promise<void>>();
  function handOver(folder: string, seq: number): void {
    const done: Promise<void> = (handing.get(folder) ?? Promise.resolve())
      .then(async () => {
        const live = await deps.worker.pipe(folder);
        if (!live) deps.queue.notify(folder);
        emit({ type: 'handed-over', group: folder, seq, to: live ? 'live-run' : 'queue' });
      })
      .catch((err: unknown) => {
        deps.log.error({ group: folder, err: String(err) }, 'Could not hand a stored message to the agent; it is answered with the next run');
        emit({ type: 'handed-over', group: folder, seq, to: 'failed' });
      })
      .finally(() => { if (handing.get(folder) === done) handing.delete(folder); });
    handing.set(folder, done);
  }

  // What a stored message sets off (the log line, the owner told, the hand-over) runs on the next
  // turn of the event loop, after the channel has acknowledged it: a burst of messages stored in
  // one commit is acknowledged at once, not each after every other one's follow-up (a log line is
  // a write to the journal). Bursts of 100 (`bench/load.ts 4000 50 0 400`): p99 message -> stored
  // 25-41 -> 15-20 ms.
  const following = new Set<Promise<void>>();
  /** `work` says whether it handed the message over (which then tells of it); if not, this does. */
  function afterStored(msg: InboundMessage, folder: string | null, seq: number, work: () => boolean): void {
    const done = new Promise<void>((resolve) => setImmediate(() => {
      try {
        if (!work()) emit({ type: 'handed-over', group: folder, seq, to: 'none' });
      } catch (err) {
        deps.log.error({ chatJid: msg.chatJid, id: msg.id, err: String(err) },
          'What a stored message sets off failed; it stays stored, and if it woke the assistant the next run answers it');
        emit({ type: 'handed-over', group: folder, seq, to: 'failed' });
      }
      resolve();
    }));
    following.add(done);
    void done.then(() => following.delete(done));
  }

  return {
    /**
     * Resolves once the message is stored (a failure to store rejects: the channel tries again);
     * what it sets off, handing it to the agent among them, goes on after that (settled()).
     */
    async handle(msg: InboundMessage, fetch?: FetchAttachment): Promise<void> {
      const group = groupFor(msg.chatJid);
      // The owner's "allow <code>" / "deny <code>" in main is for NanoKimi, not for the agent.
      const isPairingAnswer = !!group?.isMain && !!deps.pairing && parsePairingCommand(msg.text) !== null;
      const triggers = group && !isPairingAnswer ? shouldTrigger(msg, group, deps.assistantName) : false;
      if (msg.attachment && deps.messages.has(msg.chatJid, msg.id)) {
        deps.log.debug({ chatJid: msg.chatJid, id: msg.id }, 'Duplicate message ignored');
        emit({ type: 'message-duplicate', chatJid: msg.chatJid, msgId: msg.id });
        return;
      }
      // Files of registered groups are fetched before the message is stored, so the agent never
      // sees a message whose file is still on its way.
      const attachment = msg.attachment && (deps.media
        ? await deps.media.keep({ msgId: msg.id, sentAt: msg.sentAt, info: msg.attachment, folder: group?.folder ?? null, fetch })
        : { ...msg.attachment, missing: 'not downloaded' });
      const seq = await deps.messages.insertSoon(msg, group?.folder ?? null, triggers, attachment);
      if (seq === null) {
        deps.log.debug({ chatJid: msg.chatJid, id: msg.id }, 'Duplicate message ignored');
        emit({ type: 'message-duplicate', chatJid: msg.chatJid, msgId: msg.id });
        return;
      }
      emit({ type: 'message-stored', group: group?.folder ?? null, chatJid: msg.chatJid, msgId: msg.id, seq, triggers });
      afterStored(msg, group?.folder ?? null, seq, () => {
        if (isPairingAnswer) { deps.pairing!.command(msg.text); return false; }
        if (group && !triggers && !senderMayWake(msg, group) && shouldTrigger(msg, { ...group, allowedSenders: undefined }, deps.assistantName)) {
          deps.log.info({ group: group.folder, sender: msg.senderId }, 'A sender not on the group\'s list tried to wake the assistant');
          deps.onRefusedWake?.(group, msg);
        }
        if (!group && msg.isGroupChat === false && !msg.chatJid.startsWith(LOCAL_JID_PREFIX)) deps.pairing?.unknownDirect(msg);
        if (!group || !triggers) return false;
        deps.log.info({ group: group.folder, seq }, 'Message for the assistant');
        deps.onWake?.(msg);
        handOver(group.folder, seq);
        return true;
      });
    },

    /** Resolves once what every stored message set off so far is done (before the database closes). */
    async settled(): Promise<void> {
      await Promise.all(following);
      await Promise.all(handing.values());
    },

    /** After a restart: every group with unanswered triggering messages gets a run. */
    recover(): void {
      for (const g of deps.groups.list()) {
        if (deps.messages.lastTriggerAfter(g.folder, deps.groups.cursor(g.folder)) !== null) {
          deps.log.info({ group: g.folder }, 'Unanswered messages found at start-up; queueing a run');
          deps.queue.notify(g.folder);
        }
      }
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
