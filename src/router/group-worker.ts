/**
 * @module Does one group's pending work when the queue says so: answers the chat backlog, then runs
 * due tasks, one agent run at a time. While a chat run is alive it takes follow-up messages through
 * the group's `input/` directory, asks the agent to close when idle, and stops it at the hard timeout.
 */
import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic, writeFileAtomic, uniqueFileName } from '@nanokimi/protocol/atomic-write';
import { CLOSE_SENTINEL, inputFileSchema, MAX_IPC_FILE_BYTES, type InputFile } from '@nanokimi/protocol/ipc';
import type { Agent, AgentRunResult } from '../agent/agent.ts';
import type { Group } from '../domain.ts';
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { CommitSoon } from '../store/group-commit.ts';
import type { createGroupStore } from '../store/groups.ts';
import type { createMessageStore } from '../store/messages.ts';
import type { createRunStore } from '../store/runs.ts';
import type { createTaskStore, Task } from '../store/tasks.ts';
import { ipcSubdir, readAgentFile, removeAgentEntry } from '../ipc/ipc-dirs.ts';
import { taskFailed } from '../notices.ts';
import { formatPrompt } from './prompt.ts';
import type { WorkResult } from './group-queue.ts';

/** How long an agent asked to close may take to finish its turn before it is stopped. */
const CLOSE_GRACE_MS = 60_000;

export type GroupWorkerDeps = {
  groups: ReturnType<typeof createGroupStore>;
  messages: ReturnType<typeof createMessageStore>;
  runs: ReturnType<typeof createRunStore>;
  tasks: ReturnType<typeof createTaskStore>;
  /** The database's group commit: a hand-over is recorded with the turn's other writes. */
  commitSoon: CommitSoon;
  agent: Agent;
  ipcDir: string;
  timeZone: string;
  maxPromptChars: number;
  idleMs: number;
  timeoutMs: number;
  /** Processes the group's reply files still on disk, so none is left behind when a run ends. */
  drainIpc: (folder: string) => Promise<void>;
  setTyping: (chatJid: string, typing: boolean) => void;
  /** Prepares what the agent reads besides its input (the task and group lists). */
  beforeRun: (group: Group) => void;
  /** Tells the chat about a failed task run. */
  notify: (folder: string, chatJid: string, text: string, key: string) => void;
  log: Logger;
  emit?: Emit;
  /** The clock a task run's time and duration are recorded with. */
  now?: () => number;
};

/**
 * A run in progress; `deliveredSeq` is null for task runs, which answer no messages. Its timers:
 * `idleTimer` asks it to close after idleMs without output, `closeTimer` stops it when it has not
 * closed within the grace, `hardTimer` stops it after timeoutMs without output. `handOver` is the
 * follow-up being handed over (one at a time: the router hands over per group, in order), which
 * the run's end waits for.
 */
type LiveRun = {
  runId: number; sessionId: string; group: Group; chatJid: string; deliveredSeq: number | null; closing: boolean;
  idleTimer?: NodeJS.Timeout; closeTimer?: NodeJS.Timeout; hardTimer?: NodeJS.Timeout; abort: AbortController;
  handOver?: Promise<boolean>;
};

export type GroupWorker = {
  work(folder: string): Promise<WorkResult>;
  /** Hands new messages to the group's live chat run; false when there is none to take them. */
  pipe(folder: string): Promise<boolean>;
  /** The agent wrote a reply or ended its turn (`finishedTurn`: the chat stops showing typing): it is alive. */
  noteOutput(folder: string, finishedTurn?: boolean): void;
  queueTask(task: Task): void;
  /** Aborts every live run (shutdown). */
  abortAll(): void;
};

export function createGroupWorker(deps: GroupWorkerDeps): GroupWorker {
  const live = new Map<string, LiveRun>();
  const dueTasks = new Map<string, Task[]>();
  const inputDir = (folder: string) => ipcSubdir(deps.ipcDir, folder, 'input');
  const emit = deps.emit ?? ignoreEvents;
  const now = deps.now ?? Date.now;

  async function pendingInputs(folder: string): Promise<{ name: string; fromSeq: number | null }[]> {
    const names = await fsp.readdir(inputDir(folder)).catch(() => [] as string[]);
    return Promise.all(names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map(async (name) => {
      // input/ is the agent's to write too: read only regular files, through no link.
      const raw = await readAgentFile(path.join(inputDir(folder), name), MAX_IPC_FILE_BYTES);
      let json: unknown = null;
      try { json = JSON.parse(raw ?? 'null'); } catch { /* not one of ours */ }
      const parsed = inputFileSchema.safeParse(json);
      return { name, fromSeq: parsed.success && parsed.data.type === 'messages' ? parsed.data.fromSeq : null };
    }));
  }

  async function requestClose(run: LiveRun): Promise<void> {
    if (run.closing) return;
    run.closing = true;
    clearTimeout(run.idleTimer);
    // An agent that ignores the request is stopped, so a stuck container cannot hold the group.
    run.closeTimer = setTimeout(() => run.abort.abort(new Error('did not close')), CLOSE_GRACE_MS);
    // The agent can block the sentinel's name (a directory planted there): then it is stopped now.
    await writeFileAtomic(inputDir(run.group.folder), CLOSE_SENTINEL, '').catch((err: unknown) => {
      deps.log.warn({ group: run.group.folder, err: String(err) }, 'Could not ask the agent to close; stopping it');
      run.abort.abort(new Error('close request failed'));
    });
  }

  /** The run is busy (started, given input, just wrote): no idle timer, and the hard timeout starts over. */
  function armTimers(run: LiveRun): void {
    clearTimeout(run.idleTimer);
    clearTimeout(run.hardTimer);
    run.hardTimer = setTimeout(() => {
      deps.log.warn({ group: run.group.folder, runId: run.runId }, 'Agent passed its time limit; stopping it');
      run.abort.abort(new Error('timeout'));
    }, deps.timeoutMs);
  }

  /** The group's Kimi session: the stored one, or a new id that is kept once a run with it succeeds. */
  const groupSession = (folder: string) => deps.groups.session(folder) ?? randomUUID();

  /** Starts one agent run and keeps it company until it ends. */
  async function runAgent(group: Group, input: InputFile, chatJid: string, sessionId: string):
    Promise<{ run: LiveRun; result: AgentRunResult }> {
    const kind = input.type === 'task' ? 'task' : 'chat';
    const deliveredSeq = input.type === 'messages' ? input.toSeq : null;
    // Input left by a run that died with a previous process is already part of this prompt.
    await collectLeftovers(group.folder);
    deps.beforeRun(group);
    const runId = deps.runs.start(group.folder, kind, chatJid, deliveredSeq, 1, input.type === 'task' ? input.taskId : undefined);
    const run: LiveRun = { runId, sessionId, group, chatJid, deliveredSeq, closing: false, abort: new AbortController() };
    live.set(group.folder, run);
    armTimers(run);
    deps.setTyping(chatJid, true);
    deps.log.info({ group: group.folder, runId, kind }, 'Agent run started');
    emit({ type: 'run-started', group: group.folder, runId, kind, chatJid });
    try {
      const result = await deps.agent.run({ runId, group, input, chatJid, sessionId,
        ipcDir: path.join(deps.ipcDir, group.folder), signal: run.abort.signal })
        .catch((err: unknown): AgentRunResult => ({ ok: false,
          failure: { kind: 'crashed', message: `the agent crashed (${String(err)})`, retryable: true } }));
      return { run, result };
    } finally {
      // A follow-up claimed by this run but not yet on disk must be on disk before the leftovers are
      // read, or the run's end would count it answered.
      await run.handOver;
      clearTimeout(run.idleTimer);
      clearTimeout(run.closeTimer);
      clearTimeout(run.hardTimer);
      deps.setTyping(chatJid, false);
      await deps.drainIpc(group.folder);
      live.delete(group.folder);
    }
  }

  /** Clears input/ after a run; returns the oldest message seq the agent never picked up. */
  async function collectLeftovers(folder: string): Promise<number | null> {
    const left = await pendingInputs(folder);
    await removeAgentEntry(path.join(inputDir(folder), CLOSE_SENTINEL));
    await Promise.all(left.map((f) => removeAgentEntry(path.join(inputDir(folder), f.name))));
    const seqs = left.map((f) => f.fromSeq).filter((s): s is number => s !== null);
    return seqs.length ? Math.min(...seqs) : null;
  }

  async function answerChat(group: Group): Promise<WorkResult | null> {
    const cursor = deps.groups.cursor(group.folder);
    if (deps.messages.lastTriggerAfter(group.folder, cursor) === null) return null;
    const backlog = deps.messages.after(group.folder, cursor);
    const last = backlog.at(-1)!;
    const replyTo = backlog.findLast((m) => m.triggers)!.chatJid;
    const { text, images } = formatPrompt(backlog, { timeZone: deps.timeZone, maxChars: deps.maxPromptChars });
    const { run, result } = await runAgent(group, { type: 'messages', text, fromSeq: backlog[0]!.seq, toSeq: last.seq, ...(images.length ? { images } : {}) },
      replyTo, groupSession(group.folder));
    const leftoverFrom = await collectLeftovers(group.folder);
    if (!result.ok) {
      deps.runs.finish(run.runId, 'failed', result.failure.message);
      finished(run, 'chat', result);
      return { ok: false, failure: result.failure };
    }
    // A clean end answers everything the agent picked up, replies or not (it may choose silence).
    deps.groups.advanceCursor(group.folder, leftoverFrom === null ? run.deliveredSeq! : leftoverFrom - 1);
    deps.groups.saveSession(group.folder, run.sessionId);
    deps.runs.finish(run.runId, 'done');
    finished(run, 'chat', result);
    return { ok: true };
  }

  /** Told once everything the run's end changes is stored. */
  function finished(run: LiveRun, kind: 'chat' | 'task', result: AgentRunResult): void {
    emit({ type: 'run-finished', group: run.group.folder, runId: run.runId, kind, outcome: result.ok ? 'done' : 'failed',
      ...(result.ok ? {} : { failure: result.failure }) });
  }

  async function runTask(group: Group, task: Task): Promise<void> {
    const started = now();
    // An isolated task starts a session of its own that nothing resumes.
    const sessionId = task.contextMode === 'group' ? groupSession(group.folder) : randomUUID();
    const text = `<scheduled_task id="${task.id}">\n${task.prompt}\n</scheduled_task>`;
    const { run, result } = await runAgent(group, { type: 'task', text, taskId: task.id }, task.chatJid, sessionId);
    await collectLeftovers(group.folder);
    deps.runs.finish(run.runId, result.ok ? 'done' : 'failed', result.ok ? undefined : result.failure.message);
    deps.tasks.recordRun({ taskId: task.id, runAt: started, durationMs: now() - started,
      status: result.ok ? 'ok' : 'failed', error: result.ok ? undefined : result.failure.message });
    if (!result.ok) {
      deps.notify(group.folder, task.chatJid, taskFailed(task.id, result.failure.message),
        `task-failure/${task.id}/${run.runId}`);
    } else if (task.contextMode === 'group') {
      deps.groups.saveSession(group.folder, run.sessionId);
    }
    finished(run, 'task', result);
  }

  /**
   * Gives a live run messages up to input.toSeq. Recorded before the agent can see them: an answer
   * it writes after a kill -9 of the daemon must find them delivered (the next start clamps
   * answersThrough to the record). An input that is not written takes the record back, so no
   * answer can claim those messages.
   */
  async function handOver(run: LiveRun, input: InputFile & { type: 'messages' }, before: number): Promise<boolean> {
    const folder = run.group.folder;
    let recorded = false;
    try {
      await deps.commitSoon(() => deps.runs.delivered(run.runId, input.toSeq, before));
      recorded = true;
      await writeJsonAtomic(inputDir(folder), input, uniqueFileName());
    } catch (err) {
      deps.log.error({ group: folder, err: String(err) }, 'Could not hand new messages to the live agent; they wait for the next run');
      if (recorded) {
        await deps.commitSoon(() => deps.runs.delivered(run.runId, before, input.toSeq)).catch((undo: unknown) =>
          deps.log.error({ group: folder, err: String(undo) }, 'Could not take back the record of a hand-over that was not written'));
      }
      if (run.deliveredSeq === input.toSeq) run.deliveredSeq = before;
      return false;
    }
    emit({ type: 'input-piped', group: folder, runId: run.runId, fromSeq: input.fromSeq, toSeq: input.toSeq });
    armTimers(run);
    deps.setTyping(run.chatJid, true);
    return true;
  }

  return {
    async work(folder) {
      const group = deps.groups.get(folder);
      if (!group) return { ok: true };
      // Messages a run ended before taking (handed over as it closed) get a run of their own now,
      // as long as each run moves the cursor: one that answers nothing is not started again.
      for (let before: number | null = null; before !== deps.groups.cursor(folder);) {
        before = deps.groups.cursor(folder);
        const chat = await answerChat(group);
        if (!chat) break;
        if (!chat.ok) return chat;
      }
      for (let task = dueTasks.get(folder)?.shift(); task; task = dueTasks.get(folder)?.shift()) {
        // Paused or cancelled after it fell due: skip this occurrence.
        const status = deps.tasks.get(task.id)?.status;
        if (status === 'paused' || status === 'cancelled') continue;
        await runTask(group, task);
      }
      return { ok: true };
    },

    async pipe(folder) {
      const run = live.get(folder);
      if (!run || run.closing || run.deliveredSeq === null) return false;
      const fresh = deps.messages.after(folder, run.deliveredSeq);
      if (fresh.length === 0) return true;
      const { text, images } = formatPrompt(fresh, { timeZone: deps.timeZone, maxChars: deps.maxPromptChars });
      const toSeq = fresh.at(-1)!.seq;
      const before = run.deliveredSeq;
      // Claimed before the write, so a second message arriving meanwhile is not handed over twice.
      run.deliveredSeq = toSeq;
      run.handOver = handOver(run, { type: 'messages', text, fromSeq: fresh[0]!.seq, toSeq, ...(images.length ? { images } : {}) }, before);
      return run.handOver;
    },

    noteOutput(folder, finishedTurn = false) {
      const run = live.get(folder);
      if (!run || run.closing) return;
      // Typing shows while a turn runs, not while the agent waits for follow-ups.
      if (finishedTurn) deps.setTyping(run.chatJid, false);
      armTimers(run);
      run.idleTimer = setTimeout(() => void requestClose(run), deps.idleMs);
      // A task waiting behind this chat run should not wait out the idle time.
      if ((dueTasks.get(folder)?.length ?? 0) > 0) void requestClose(run);
    },

    queueTask(task) {
      const list = dueTasks.get(task.groupFolder) ?? [];
      list.push(task);
      dueTasks.set(task.groupFolder, list);
      const run = live.get(task.groupFolder);
      if (run && run.deliveredSeq !== null) void requestClose(run);
    },

    abortAll() {
      for (const run of live.values()) run.abort.abort(new Error('shutdown'));
    },
  };
}

