/**
 * @module The facts the daemon reports as they happen, each emitted once it is durable (after the
 * database commit or the file move), so whoever waits on one may read the state it speaks of. They
 * are in-process only, for tests and future observers; the log says the same things for people.
 */
import type { AgentFailure } from './agent/agent.ts';
import type { OutboundFile } from './domain.ts';
import type { RunKind } from './store/runs.ts';
import type { TaskStatus } from './store/tasks.ts';

export type DaemonEvent =
  // Router: a message is in the database (group null: a chat no group has); a redelivery changed nothing;
  // what a stored message set off is done (one per stored message: handed to the live run, to the
  // queue, failed, or none: it was not for the agent).
  | { type: 'message-stored'; group: string | null; chatJid: string; msgId: string; seq: number; triggers: boolean }
  | { type: 'message-duplicate'; chatJid: string; msgId: string }
  | { type: 'handed-over'; group: string | null; seq: number; to: 'live-run' | 'queue' | 'failed' | 'none' }
  // WhatsApp channel: every message of one upsert went through the router (or was skipped); storing one failed for now.
  | { type: 'upsert-handled'; ids: string[] }
  | { type: 'message-store-retry'; chatJid: string; msgId: string; attempt: number; retryInMs: number }
  // Group queue: a group went from idle to having work, back to idle (nothing running, queued or
  // waiting to be retried), failed work will be tried again, or the last attempt failed.
  | { type: 'group-queued'; group: string }
  | { type: 'group-idle'; group: string }
  | { type: 'retry-scheduled'; group: string; attempt: number; delayMs: number; failure: AgentFailure }
  | { type: 'gave-up'; group: string; failure: AgentFailure }
  // Group worker: an agent run began, took follow-up messages, ended (its cursor, session and task log stored).
  | { type: 'run-started'; group: string; runId: number; kind: RunKind; chatJid: string }
  | { type: 'input-piped'; group: string; runId: number; fromSeq: number; toSeq: number }
  | { type: 'run-finished'; group: string; runId: number; kind: RunKind; outcome: 'done' | 'failed'; failure?: AgentFailure }
  // IPC watcher: a file was acted on and removed, refused and moved to errors/, or left for a later scan.
  | { type: 'ipc-processed'; group: string; source: 'messages' | 'tasks'; file: string }
  | { type: 'ipc-refused'; group: string; source: 'messages' | 'tasks'; file: string; reason: string }
  | { type: 'ipc-held'; group: string; source: 'messages' | 'tasks'; file: string; error: string }
  // A reply (the agent's or NanoKimi's own notice) is in the outbox; a task was scheduled or changed.
  | { type: 'reply-queued'; group: string; chatJid: string; outboxId: number; sourceKey: string; runId: number | null; file?: OutboundFile }
  | { type: 'task-scheduled'; group: string; taskId: string; nextRunAt: number }
  | { type: 'task-changed'; group: string; taskId: string; status: TaskStatus }
  // Outbox sender: the channel confirmed a reply, could not take it yet, or refused it too often.
  | { type: 'reply-sent'; outboxId: number; chatJid: string }
  | { type: 'reply-deferred'; outboxId: number; chatJid: string; error: string; refused: boolean }
  | { type: 'reply-dead-lettered'; outboxId: number; chatJid: string; error: string }
  // Scheduler: a task fell due (its next run is already stored) and was handed to its group.
  | { type: 'task-due'; group: string; taskId: string; nextRunAt: number | null };

export type DaemonEventType = DaemonEvent['type'];
export type EventOf<T extends DaemonEventType> = Extract<DaemonEvent, { type: T }>;

/** Where a module reports its events. It must not throw; see guardEmit. */
export type Emit = (event: DaemonEvent) => void;

export const ignoreEvents: Emit = () => undefined;

/** An observer's bug must not break the delivery or the run it was told about: it is logged instead. */
export function guardEmit(emit: Emit, onError: (err: unknown, event: DaemonEvent) => void): Emit {
  return (event) => {
    try {
      emit(event);
    } catch (err) {
      onError(err, event);
    }
  };
}
