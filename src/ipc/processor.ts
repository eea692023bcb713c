/**
 * @module What the host does with one IPC file: parse, validate against the protocol, authorize by
 * the directory it came from, then act. Every action is idempotent per file, so a file processed
 * twice (a crash between acting and deleting it) has no second effect.
 */
import { createHash } from 'node:crypto';
import { messagesDirFileSchema, taskFileSchema, type FileMessageFile, type MessageFile, type TaskFile, type TurnEndFile } from '@nanokimi/protocol/ipc';
import type { Db } from '../store/db.ts';
import type { CommitSoon } from '../store/group-commit.ts';
import type { Group, OutboundFile, QuoteRef } from '../domain.ts';
import { ignoreEvents, type Emit } from '../events.ts';
import type { createGroupStore } from '../store/groups.ts';
import type { createOutboxStore } from '../store/outbox.ts';
import type { createRunStore } from '../store/runs.ts';
import type { createTaskStore } from '../store/tasks.ts';
import { RegistrationError, type NewGroup } from '../groups/register.ts';
import { validateSchedule } from '../scheduler/next-run.ts';
import { resumeNextRun } from '../scheduler/scheduler.ts';
import { authorize, explain, type Action, type IpcRequest } from './authorize.ts';
import type { Staged } from '../media/outbound.ts';
import type { IpcProcessor, IpcSource, ProcessResult } from './watcher.ts';

export type IpcProcessorDeps = {
  db: Db;
  /** The database's group commit: a reply and what it answers commit with the turn's other writes. */
  commitSoon: CommitSoon;
  groups: ReturnType<typeof createGroupStore>;
  outbox: ReturnType<typeof createOutboxStore>;
  runs: ReturnType<typeof createRunStore>;
  tasks: ReturnType<typeof createTaskStore>;
  timeZone: string;
  now: () => number;
  register: (g: NewGroup) => Group;
  /** A reply was stored; `finishedTurn` when it is the answer a turn ends with (it carries answersThrough). */
  onReply: (folder: string, chatJid: string, finishedTurn: boolean) => void;
  /** Tasks (or groups) of this folder changed: refresh what agents can list, re-arm the scheduler. */
  onTasksChanged: (folder: string) => void;
  /** A turn ended without a reply for the chat (see turnEndFileSchema). */
  onTurnEnd?: (folder: string) => void;
  /** Credential strings the host holds (the Kimi tokens): a reply that contains one is never sent. */
  secrets?: () => readonly string[];
  /** A reply of this group was withheld for carrying a credential: tell the owner. */
  onWithheld?: (folder: string) => void;
  /** Copies a file the agent sends out of its folder (src/media/outbound.ts); without it, files are refused. */
  stageFile?: (req: { folder: string; rel: string; voice: boolean; key: string }) => Staged;
  /** The message a final reply through `answersThrough` shows it answers (REPLY_QUOTE), if any. */
  quoteFor?: (folder: string, chatJid: string, answersThrough: number) => QuoteRef | undefined;
  emit?: Emit;
};

export const WITHHELD_REASON = 'withheld: the reply contains a Kimi login token the host holds, and is never sent to a chat';

function parse(source: IpcSource, content: string): { ok: true; req: IpcRequest } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  const schema = source === 'messages' ? messagesDirFileSchema : taskFileSchema;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    return { ok: false, reason: `does not match the ${source} schema: ${detail}` };
  }
  if (source === 'tasks') return { ok: true, req: { kind: 'task', file: parsed.data as TaskFile } };
  const file = parsed.data as MessageFile | FileMessageFile | TurnEndFile;
  return { ok: true, req: file.type === 'turn_end' ? { kind: 'turn-end', file } : { kind: 'message', file } };
}

export function createIpcProcessor(deps: IpcProcessorDeps): IpcProcessor {
  const emit = deps.emit ?? ignoreEvents;
  /** Marks the run's messages answered up to `answersThrough`; the agent cannot mark more than it was given. */
  function markAnswered(folder: string, run: ReturnType<IpcProcessorDeps['runs']['latestOpen']>, answersThrough: number | undefined): void {
    if (answersThrough !== undefined && run?.kind === 'chat' && run.deliveredSeq !== null) {
      deps.groups.advanceCursor(folder, Math.min(answersThrough, run.deliveredSeq));
    }
  }

  async function act(source: Group, action: Action, sourceKey: string): Promise<ProcessResult> {
    switch (action.kind) {
      case 'send': {
        if (deps.secrets?.().some((secret) => action.text.includes(secret))) {
          deps.onWithheld?.(source.folder);
          return { ok: false, reason: WITHHELD_REASON };
        }
        let file: OutboundFile | undefined;
        if (action.file) {
          if (!deps.stageFile) return { ok: false, reason: 'this daemon does not send files' };
          const staged = deps.stageFile({ folder: source.folder, rel: action.file.path, voice: action.file.voice, key: sourceKey });
          if (!staged.ok) {
            if (staged.secret) deps.onWithheld?.(source.folder);
            return { ok: false, reason: staged.reason };
          }
          file = staged.file;
        }
        const quote = action.answersThrough !== undefined ? deps.quoteFor?.(source.folder, action.chatJid, action.answersThrough) : undefined;
        const { outboxId, runId } = await deps.commitSoon(() => {
          // Read at commit time, with the hand-overs committed before it (group-commit.ts).
          const run = deps.runs.latestOpen(source.folder);
          const id = deps.outbox.add({ sourceKey, groupFolder: source.folder, chatJid: action.chatJid,
            text: action.text, runId: run?.id ?? null, ...(file ? { file } : {}), ...(quote ? { quote } : {}) });
          // Stored reply and answered messages commit together, so a crash can neither lose the reply
          // nor answer those messages again.
          if (id !== null) markAnswered(source.folder, run, action.answersThrough);
          return { outboxId: id, runId: run?.id ?? null };
        });
        if (outboxId !== null) {
          emit({ type: 'reply-queued', group: source.folder, chatJid: action.chatJid, outboxId, sourceKey, runId,
            ...(file ? { file } : {}) });
          deps.onReply(source.folder, action.chatJid, action.answersThrough !== undefined);
        }
        return { ok: true };
      }
      case 'turn-end': {
        await deps.commitSoon(() => markAnswered(source.folder, deps.runs.latestOpen(source.folder), action.answersThrough));
        deps.onTurnEnd?.(source.folder);
        return { ok: true };
      }
      case 'schedule': {
        // The id derives from the file, so processing the same file again finds the task it made.
        const id = `task-${createHash('sha256').update(sourceKey).digest('hex').slice(0, 10)}`;
        if (deps.tasks.get(id)) return { ok: true };
        const now = deps.now();
        const first = validateSchedule(action.file.schedule, now, deps.timeZone);
        if (!first.ok) return { ok: false, reason: first.error.message };
        deps.tasks.add({
          id, groupFolder: action.groupFolder, chatJid: action.chatJid,
          prompt: action.file.prompt, schedule: action.file.schedule, contextMode: action.file.contextMode,
          status: 'active', nextRunAt: first.firstRun, createdAt: now,
        });
        emit({ type: 'task-scheduled', group: action.groupFolder, taskId: id, nextRunAt: first.firstRun });
        deps.onTasksChanged(action.groupFolder);
        return { ok: true };
      }
      case 'set-task-status': {
        const task = deps.tasks.get(action.taskId);
        if (!task || task.status === 'done' || task.status === 'cancelled') {
          return { ok: false, reason: `task ${action.taskId} has ended (${task?.status ?? 'missing'}) and cannot be changed` };
        }
        deps.db.transaction(() => {
          deps.tasks.setStatus(action.taskId, action.status);
          // A resumed task starts from now instead of firing for every slot it missed while paused.
          if (action.status === 'active') deps.tasks.setNextRun(action.taskId, resumeNextRun(task, deps.now(), deps.timeZone));
        })();
        emit({ type: 'task-changed', group: task.groupFolder, taskId: action.taskId, status: action.status });
        deps.onTasksChanged(task.groupFolder);
        return { ok: true };
      }
      case 'register': {
        try {
          deps.register({ jid: action.file.jid, name: action.file.name, folder: action.file.folder,
            requiresTrigger: action.file.requiresTrigger });
        } catch (err) {
          if (err instanceof RegistrationError) return { ok: false, reason: `Refused: ${err.message}.` };
          throw err;
        }
        deps.onTasksChanged(action.file.folder);
        return { ok: true };
      }
    }
  }

  return async (folder, source, fileName, content) => {
    const group = deps.groups.get(folder);
    if (!group) return { ok: false, reason: `no registered group has the folder "${folder}"` };
    const parsed = parse(source, content);
    if (!parsed.ok) return parsed;
    const run = deps.runs.latestOpen(folder);
    const decision = authorize(group, parsed.req, {
      // Read only when the decision looks beyond the group itself (most replies do not).
      get groups() { return deps.groups.list(); },
      taskOwner: (id) => deps.tasks.get(id)?.groupFolder,
      defaultChat: run?.chatJid ?? group.jid,
    });
    if (!decision.ok) return { ok: false, reason: explain(decision.why) };
    return act(group, decision.action, `${folder}/${source}/${fileName}`);
  };
}
