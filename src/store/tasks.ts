/** @module Scheduled tasks and their run log. */
import type { Schedule } from '@nanokimi/protocol/ipc';
import type { Db } from './db.ts';

export type TaskStatus = 'active' | 'paused' | 'done' | 'cancelled';
export type ContextMode = 'group' | 'isolated';

export type Task = {
  id: string; groupFolder: string; chatJid: string; prompt: string; schedule: Schedule; contextMode: ContextMode;
  status: TaskStatus; nextRunAt: number | null; lastRunAt: number | null; createdAt: number;
};

/** A task as created: the caller picks the id and the first run (validateSchedule). */
export type NewTask = Omit<Task, 'status' | 'lastRunAt'> & { status?: TaskStatus };

export type TaskRun = {
  id: number; taskId: string; runAt: number; durationMs: number; status: 'ok' | 'failed'; error: string | null;
};

type Row = {
  id: string; group_folder: string; chat_jid: string; prompt: string; schedule_kind: string; schedule_value: string;
  context_mode: ContextMode; status: TaskStatus; next_run_at: number | null; last_run_at: number | null;
  created_at: number;
};

type RunRow = { id: number; task_id: string; run_at: number; duration_ms: number; status: 'ok' | 'failed'; error: string | null };

// The column is TEXT for every kind, so an interval comes back as a string.
const toSchedule = (kind: string, value: string): Schedule =>
  kind === 'interval' ? { kind, value: Number(value) } : { kind: kind as 'cron' | 'once', value };

const toTask = (r: Row): Task => ({
  id: r.id, groupFolder: r.group_folder, chatJid: r.chat_jid, prompt: r.prompt,
  schedule: toSchedule(r.schedule_kind, r.schedule_value), contextMode: r.context_mode, status: r.status,
  nextRunAt: r.next_run_at, lastRunAt: r.last_run_at, createdAt: r.created_at,
});

const toRun = (r: RunRow): TaskRun => ({
  id: r.id, taskId: r.task_id, runAt: r.run_at, durationMs: r.duration_ms, status: r.status, error: r.error,
});

export function createTaskStore(db: Db) {
  const insert = db.prepare(`INSERT INTO tasks
    (id, group_folder, chat_jid, prompt, schedule_kind, schedule_value, context_mode, status, next_run_at, created_at)
    VALUES (@id, @groupFolder, @chatJid, @prompt, @kind, @value, @contextMode, @status, @nextRunAt, @createdAt)`);
  const byId = db.prepare('SELECT * FROM tasks WHERE id = +?');
  const byGroup = db.prepare('SELECT * FROM tasks WHERE group_folder = +? ORDER BY created_at, id');
  const all = db.prepare('SELECT * FROM tasks ORDER BY group_folder, created_at, id');
  const status = db.prepare('UPDATE tasks SET status = ? WHERE id = +?');
  const due = db.prepare(`SELECT * FROM tasks WHERE status = 'active' AND next_run_at IS NOT NULL
    AND next_run_at <= ? ORDER BY next_run_at, created_at, id`);
  const nextDue = db.prepare(`SELECT MIN(next_run_at) AS at FROM tasks WHERE status = 'active'`);
  const insertRun = db.prepare(`INSERT INTO task_runs (task_id, run_at, duration_ms, status, error)
    VALUES (?, ?, ?, ?, ?)`);
  const lastRun = db.prepare('UPDATE tasks SET last_run_at = ? WHERE id = +?');
  const nextRun = db.prepare('UPDATE tasks SET next_run_at = ? WHERE id = +?');
  const finish = db.prepare(`UPDATE tasks SET next_run_at = NULL, status = 'done' WHERE id = +?`);
  const runs = db.prepare('SELECT * FROM task_runs WHERE task_id = +? ORDER BY id DESC LIMIT +?');

  const recordRun = db.transaction((r: { taskId: string; runAt: number; durationMs: number;
    status: 'ok' | 'failed'; error?: string }) => {
    insertRun.run(r.taskId, r.runAt, r.durationMs, r.status, r.error ?? null);
    lastRun.run(r.runAt, r.taskId);
  });

  return {
    add(t: NewTask): void {
      insert.run({ id: t.id, groupFolder: t.groupFolder, chatJid: t.chatJid, prompt: t.prompt,
        kind: t.schedule.kind, value: String(t.schedule.value), contextMode: t.contextMode,
        status: t.status ?? 'active', nextRunAt: t.nextRunAt, createdAt: t.createdAt });
    },
    get: (id: string) => { const r = byId.get(id) as Row | undefined; return r && toTask(r); },
    listForGroup: (folder: string) => (byGroup.all(folder) as Row[]).map(toTask),
    listAll: () => (all.all() as Row[]).map(toTask),
    /**
     * True if the task exists. Resuming does not recompute next_run_at: the caller sets it with
     * resumeNextRun (scheduler.ts), then wakes the scheduler.
     */
    setStatus: (id: string, s: TaskStatus): boolean => status.run(s, id).changes > 0,
    /** Active tasks whose time has come, most overdue first. */
    due: (now: number) => (due.all(now) as Row[]).map(toTask),
    /** The earliest next_run_at of any active task: when the scheduler must next look. */
    nextDueAt: () => (nextDue.get() as { at: number | null }).at,
    /** Logs a finished run and sets last_run_at, together. */
    recordRun: (r: { taskId: string; runAt: number; durationMs: number; status: 'ok' | 'failed'; error?: string }) => {
      recordRun(r);
    },
    /** null means the task has no further run (a once-task that fired): it becomes 'done'. */
    setNextRun(id: string, nextRunAt: number | null): void {
      if (nextRunAt === null) finish.run(id);
      else nextRun.run(nextRunAt, id);
    },
    /** The run log of a task, newest first. */
    runs: (taskId: string, limit = 50) => (runs.all(taskId, limit) as RunRow[]).map(toRun),
  };
}

export type TaskStore = ReturnType<typeof createTaskStore>;
