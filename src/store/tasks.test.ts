import { beforeEach, describe, expect, it } from 'vitest';
import { openDb } from './db.ts';
import { createTaskStore, type NewTask } from './tasks.ts';

let ids = 0;
const task = (over: Partial<NewTask> = {}): NewTask => ({
  id: `task-${++ids}`, groupFolder: 'family', chatJid: '123@g.us', prompt: 'say good morning',
  schedule: { kind: 'cron', value: '0 9 * * *' }, contextMode: 'group', nextRunAt: 1_000, createdAt: 100, ...over,
});

describe('task store', () => {
  let tasks: ReturnType<typeof createTaskStore>;
  beforeEach(() => { tasks = createTaskStore(openDb(':memory:')); });

  it('stores a task and reads it back active, with an interval as a number', () => {
    const t = task({ schedule: { kind: 'interval', value: 3_600_000 }, contextMode: 'isolated' });
    tasks.add(t);
    expect(tasks.get(t.id)).toEqual({ ...t, status: 'active', lastRunAt: null });
    expect(tasks.get('task-missing')).toBeUndefined();
  });

  it('lists tasks per group and all together', () => {
    tasks.add(task({ id: 'task-a', createdAt: 2 }));
    tasks.add(task({ id: 'task-b', createdAt: 1 }));
    tasks.add(task({ id: 'task-c', groupFolder: 'work' }));
    expect(tasks.listForGroup('family').map((t) => t.id)).toEqual(['task-b', 'task-a']);
    expect(tasks.listAll().map((t) => t.id)).toEqual(['task-b', 'task-a', 'task-c']);
  });

  it('returns only active tasks that are due, most overdue first', () => {
    tasks.add(task({ id: 'task-late', nextRunAt: 500 }));
    tasks.add(task({ id: 'task-now', nextRunAt: 1_000 }));
    tasks.add(task({ id: 'task-later', nextRunAt: 2_000 }));
    tasks.add(task({ id: 'task-paused', nextRunAt: 100, status: 'paused' }));
    expect(tasks.due(1_000).map((t) => t.id)).toEqual(['task-late', 'task-now']);
  });

  it('reports the earliest next run among active tasks, or null', () => {
    expect(tasks.nextDueAt()).toBeNull();
    tasks.add(task({ id: 'task-p', nextRunAt: 10, status: 'paused' }));
    expect(tasks.nextDueAt()).toBeNull();
    tasks.add(task({ id: 'task-x', nextRunAt: 3_000 }));
    tasks.add(task({ id: 'task-y', nextRunAt: 2_000 }));
    expect(tasks.nextDueAt()).toBe(2_000);
  });

  it('pausing keeps next_run_at; resuming alone does not recompute it', () => {
    tasks.add(task({ id: 'task-a', nextRunAt: 1_000 }));
    expect(tasks.setStatus('task-a', 'paused')).toBe(true);
    expect(tasks.due(5_000)).toEqual([]);
    tasks.setStatus('task-a', 'active');
    expect(tasks.get('task-a')).toMatchObject({ status: 'active', nextRunAt: 1_000 });
    expect(tasks.setStatus('task-missing', 'paused')).toBe(false);
  });

  it('moves next_run_at, and a null next run finishes the task', () => {
    tasks.add(task({ id: 'task-a', schedule: { kind: 'once', value: '2026-12-01T09:00' } }));
    tasks.setNextRun('task-a', 9_000);
    expect(tasks.get('task-a')).toMatchObject({ status: 'active', nextRunAt: 9_000 });
    tasks.setNextRun('task-a', null);
    expect(tasks.get('task-a')).toMatchObject({ status: 'done', nextRunAt: null });
    expect(tasks.nextDueAt()).toBeNull();
  });

  it('logs runs newest first and sets last_run_at', () => {
    tasks.add(task({ id: 'task-a' }));
    tasks.recordRun({ taskId: 'task-a', runAt: 1_000, durationMs: 50, status: 'ok' });
    tasks.recordRun({ taskId: 'task-a', runAt: 2_000, durationMs: 70, status: 'failed', error: 'container exited 1' });
    expect(tasks.get('task-a')?.lastRunAt).toBe(2_000);
    expect(tasks.runs('task-a')).toEqual([
      { id: 2, taskId: 'task-a', runAt: 2_000, durationMs: 70, status: 'failed', error: 'container exited 1' },
      { id: 1, taskId: 'task-a', runAt: 1_000, durationMs: 50, status: 'ok', error: null },
    ]);
    expect(tasks.runs('task-a', 1)).toHaveLength(1);
  });
});
