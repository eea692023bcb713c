/** @module Fires scheduled tasks when they fall due: the one scheduler file that uses timers and the clock. */
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';
import type { Task, createTaskStore } from '../store/tasks.ts';
import { nextRunAfter, zonedTimeToEpoch } from './next-run.ts';

/** A timer set hours ahead can fire late after a suspend or a clock change; waking each minute bounds that. */
const MAX_SLEEP_MS = 60_000;

export function startScheduler(deps: {
  tasks: ReturnType<typeof createTaskStore>;
  timeZone: string;
  now?: () => number;
  onDue: (task: Task) => void;
  log: Logger;
  emit?: Emit;
}): { wake(): void; stop(): void } {
  const { tasks, timeZone, onDue, log } = deps;
  const emit = deps.emit ?? ignoreEvents;
  const now = deps.now ?? (() => Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function arm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (stopped) return;
    const at = tasks.nextDueAt();
    if (at === null) return; // nothing active: wake() re-arms when a task is added or resumed
    const delay = Math.min(Math.max(at - now(), 0), MAX_SLEEP_MS);
    timer = setTimeout(fire, delay);
  }

  function fire(): void {
    timer = undefined;
    if (stopped) return;
    const t = now();
    for (const task of tasks.due(t)) {
      let next: number | null;
      try {
        // From now, not from the missed slot: a task overdue after downtime fires once, not once per slot.
        next = nextRunAfter(task.schedule, t, timeZone);
      } catch (err) {
        // Without a next time it would be due on every wake-up; pausing it stops that and stays visible.
        log.error({ err, taskId: task.id }, 'cannot compute next run of task; pausing it');
        tasks.setStatus(task.id, 'paused');
        continue;
      }
      // Stored before onDue, so a crash during the run cannot make the task fire twice.
      tasks.setNextRun(task.id, next);
      log.info({ taskId: task.id, group: task.groupFolder, nextRunAt: next }, 'task due');
      try {
        onDue(task);
      } catch (err) {
        log.error({ err, taskId: task.id }, 'onDue failed');
      }
      emit({ type: 'task-due', group: task.groupFolder, taskId: task.id, nextRunAt: next });
    }
    arm();
  }

  arm();
  return {
    wake: arm,
    stop(): void {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * next_run_at for a paused task being resumed: the next slot after `now` (slots missed while paused
 * are skipped). A once-task keeps its time if still ahead, and runs at once if its time passed while
 * paused, since it never ran. Null (no further run) when a once-time no longer parses; throws,
 * like nextRunAfter, when a cron expression no longer does, so the resume request can report it.
 */
export function resumeNextRun(task: Task, now: number, tz: string): number | null {
  const s = task.schedule;
  if (s.kind === 'once') {
    const at = zonedTimeToEpoch(s.value, tz);
    return at === null ? null : Math.max(at, now);
  }
  return nextRunAfter(s, now, tz);
}
