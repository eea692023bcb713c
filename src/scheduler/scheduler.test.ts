import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRecorder, type Recorder } from '../../test/fixtures/event-recorder.ts';
import { silentLogger } from '../logger.ts';
import { openDb } from '../store/db.ts';
import { createTaskStore, type NewTask, type Task } from '../store/tasks.ts';
import { resumeNextRun, startScheduler } from './scheduler.ts';

const TZ = 'Europe/Madrid';
const utc = (iso: string) => Date.parse(iso);
const MIN = 60_000;

describe('scheduler', () => {
  let tasks: ReturnType<typeof createTaskStore>;
  let fired: { id: string; at: number }[];
  let stop: (() => void) | undefined;
  let events: Recorder;

  const task = (over: Partial<NewTask>): NewTask => ({
    id: 'task-1', groupFolder: 'family', chatJid: '123@g.us', prompt: 'good morning',
    schedule: { kind: 'cron', value: '0 9 * * *' }, contextMode: 'group', nextRunAt: null, createdAt: Date.now(), ...over,
  });
  const start = () => {
    const s = startScheduler({
      tasks, timeZone: TZ, log: silentLogger(),
      onDue: (t: Task) => { fired.push({ id: t.id, at: Date.now() }); }, emit: events.emit,
    });
    stop = s.stop;
    return s;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(utc('2026-01-10T07:00:00Z')); // 08:00 in Madrid
    tasks = createTaskStore(openDb(':memory:'));
    fired = [];
    events = createRecorder();
  });
  afterEach(() => { stop?.(); stop = undefined; vi.useRealTimers(); });

  it('fires a cron task at its time and re-arms it for the next slot', async () => {
    tasks.add(task({ nextRunAt: utc('2026-01-10T08:00:00Z') }));
    start();
    await vi.advanceTimersByTimeAsync(60 * MIN - 1);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([{ id: 'task-1', at: utc('2026-01-10T08:00:00Z') }]);
    expect(tasks.get('task-1')?.nextRunAt).toBe(utc('2026-01-11T08:00:00Z'));
    await vi.advanceTimersByTimeAsync(24 * 60 * MIN);
    expect(fired.map((f) => f.at)).toEqual([utc('2026-01-10T08:00:00Z'), utc('2026-01-11T08:00:00Z')]);
    // Each time with the next run it stored before handing the task over.
    expect(events.events).toEqual([
      { type: 'task-due', group: 'family', taskId: 'task-1', nextRunAt: utc('2026-01-11T08:00:00Z') },
      { type: 'task-due', group: 'family', taskId: 'task-1', nextRunAt: utc('2026-01-12T08:00:00Z') },
    ]);
  });

  it('does not fire a paused task', async () => {
    tasks.add(task({ nextRunAt: utc('2026-01-10T07:30:00Z'), status: 'paused' }));
    start();
    await vi.advanceTimersByTimeAsync(3 * 60 * MIN);
    expect(fired).toEqual([]);
    expect(tasks.get('task-1')?.nextRunAt).toBe(utc('2026-01-10T07:30:00Z'));
  });

  it('fires a once task once, then marks it done', async () => {
    tasks.add(task({ schedule: { kind: 'once', value: '2026-01-10T08:30' }, nextRunAt: utc('2026-01-10T07:30:00Z') }));
    start();
    await vi.advanceTimersByTimeAsync(5 * 60 * MIN);
    expect(fired).toEqual([{ id: 'task-1', at: utc('2026-01-10T07:30:00Z') }]);
    expect(tasks.get('task-1')).toMatchObject({ status: 'done', nextRunAt: null });
  });

  it('fires a task that fell due while the daemon was down exactly once, then keeps its schedule', async () => {
    // Missed three hourly slots.
    tasks.add(task({ schedule: { kind: 'interval', value: 60 * MIN }, nextRunAt: utc('2026-01-10T04:00:00Z') }));
    start();
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual([{ id: 'task-1', at: utc('2026-01-10T07:00:00Z') }]);
    expect(tasks.get('task-1')?.nextRunAt).toBe(utc('2026-01-10T08:00:00Z'));
    await vi.advanceTimersByTimeAsync(60 * MIN - 1);
    expect(fired).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toHaveLength(2);
  });

  it('stops firing after stop()', async () => {
    tasks.add(task({ schedule: { kind: 'interval', value: MIN }, nextRunAt: utc('2026-01-10T07:01:00Z') }));
    const s = start();
    await vi.advanceTimersByTimeAsync(MIN);
    expect(fired).toHaveLength(1);
    s.stop();
    s.wake(); // a late wake-up after stop must not re-arm
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(fired).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('picks up a task added after start when woken', async () => {
    const s = start();
    expect(vi.getTimerCount()).toBe(0);
    tasks.add(task({ nextRunAt: utc('2026-01-10T07:05:00Z') }));
    s.wake();
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(fired).toHaveLength(1);
  });

  it('never sleeps more than a minute, so a clock jump is noticed', async () => {
    tasks.add(task({ nextRunAt: utc('2026-01-10T12:00:00Z') }));
    start();
    vi.setSystemTime(utc('2026-01-10T12:00:00Z')); // the wall clock jumps; timers do not
    await vi.advanceTimersByTimeAsync(MIN);
    expect(fired).toHaveLength(1);
  });

  it('keeps firing other due tasks when onDue throws for one', async () => {
    tasks.add(task({ id: 'task-a', nextRunAt: utc('2026-01-10T07:00:00Z'), createdAt: 1 }));
    tasks.add(task({ id: 'task-b', nextRunAt: utc('2026-01-10T07:00:00Z'), createdAt: 2 }));
    const seen: string[] = [];
    stop = startScheduler({
      tasks, timeZone: TZ, log: silentLogger(),
      onDue: (t) => { seen.push(t.id); if (t.id === 'task-a') throw new Error('boom'); },
    }).stop;
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['task-a', 'task-b']);
  });
});

describe('resumeNextRun', () => {
  const base: Task = {
    id: 'task-1', groupFolder: 'family', chatJid: '123@g.us', prompt: 'p', contextMode: 'group', status: 'paused',
    schedule: { kind: 'cron', value: '0 9 * * *' }, nextRunAt: utc('2026-01-01T08:00:00Z'), lastRunAt: null, createdAt: 0,
  };
  const now = utc('2026-01-10T12:00:00Z');

  it('skips cron slots missed while paused', () => {
    expect(resumeNextRun(base, now, TZ)).toBe(utc('2026-01-11T08:00:00Z'));
  });
  it('counts an interval from the resume', () => {
    expect(resumeNextRun({ ...base, schedule: { kind: 'interval', value: 5 * MIN } }, now, TZ)).toBe(now + 5 * MIN);
  });
  it('keeps a once time still ahead, and runs a missed one right away', () => {
    expect(resumeNextRun({ ...base, schedule: { kind: 'once', value: '2026-02-01T09:00' } }, now, TZ))
      .toBe(utc('2026-02-01T08:00:00Z'));
    expect(resumeNextRun({ ...base, schedule: { kind: 'once', value: '2026-01-05T09:00' } }, now, TZ)).toBe(now);
  });
});
