import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRecorder } from '../../test/fixtures/event-recorder.ts';
import type { AgentFailure } from '../agent/agent.ts';
import { silentLogger } from '../logger.ts';
import { createGroupQueue, type GroupQueue, type GroupQueueDeps, type WorkResult } from './group-queue.ts';

type Call = { folder: string; finish: (r: WorkResult) => void; crash: (err: Error) => void };

const crashed: AgentFailure = { kind: 'crashed', message: 'The agent crashed; trying again.', retryable: true };
const badConfig: AgentFailure = { kind: 'config', message: 'The agent is misconfigured.', retryable: false };
const OK: WorkResult = { ok: true };
const fail = (failure: AgentFailure): WorkResult => ({ ok: false, failure });

/** Lets promise callbacks (work settling, the queue reacting) run without moving the clock. */
const settle = async () => { for (let i = 0; i < 10; i++) await Promise.resolve(); };

describe('group queue', () => {
  let calls: Call[];
  let gaveUp: { folder: string; failure: AgentFailure }[];
  let queue: GroupQueue;

  const start = (over: Partial<GroupQueueDeps> = {}) => {
    queue = createGroupQueue({
      maxConcurrent: 3, maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 10_000, log: silentLogger(),
      work: (folder) => new Promise<WorkResult>((resolve, reject) => {
        calls.push({ folder, finish: resolve, crash: reject });
      }),
      onGiveUp: (folder, failure) => { gaveUp.push({ folder, failure }); },
      ...over,
    });
    return queue;
  };
  const started = () => calls.map((c) => c.folder);
  const finish = async (i: number, r: WorkResult = OK) => { calls[i]!.finish(r); await settle(); };

  beforeEach(() => {
    vi.useFakeTimers();
    calls = [];
    gaveUp = [];
  });
  afterEach(() => { vi.useRealTimers(); });

  it('runs work for a notified group', async () => {
    start();
    queue.notify('family');
    expect(started()).toEqual(['family']);
    expect(queue.isRunning('family')).toBe(true);
    await finish(0);
    expect(queue.isRunning('family')).toBe(false);
    expect(queue.active()).toBe(0);
  });

  it('runs one run per group at a time; notifies during a run cause exactly one more run after it', async () => {
    start();
    queue.notify('family');
    queue.notify('family');
    queue.notify('family');
    expect(started()).toEqual(['family']);

    await finish(0);
    expect(started()).toEqual(['family', 'family']);
    await finish(1);
    expect(started()).toEqual(['family', 'family']);
    expect(queue.active()).toBe(0);
  });

  it('tells when a group gets work, when failed work will be tried again or is given up, and when the group is idle again', async () => {
    const events = createRecorder();
    const toldAtGiveUp: number[] = [];
    start({ maxAttempts: 2, backoffBaseMs: 100,
      emit: (e) => { if (e.type === 'gave-up') toldAtGiveUp.push(gaveUp.length); events.emit(e); } });
    queue.notify('family');
    await finish(0, fail(crashed));
    await vi.advanceTimersByTimeAsync(120);
    await finish(1, fail(crashed));
    expect(events.events).toEqual([
      { type: 'group-queued', group: 'family' },
      { type: 'retry-scheduled', group: 'family', attempt: 1, delayMs: expect.any(Number), failure: crashed },
      { type: 'gave-up', group: 'family', failure: crashed },
      { type: 'group-idle', group: 'family' },
    ]);
    expect(events.of('retry-scheduled')[0]!.delayMs).toBeGreaterThanOrEqual(80);
    expect(toldAtGiveUp).toEqual([1]); // the chat was told before the event says so
  });

  it('is idle only once the run owed to a notify during a run is over too', async () => {
    const events = createRecorder();
    start({ emit: events.emit });
    queue.notify('family');
    queue.notify('family');
    await finish(0);
    expect(events.of('group-idle')).toEqual([]);
    await finish(1);
    expect(events.events).toEqual([{ type: 'group-queued', group: 'family' }, { type: 'group-idle', group: 'family' }]);
  });

  it('a notify after a run ended starts a new run', async () => {
    start();
    queue.notify('family');
    await finish(0);
    queue.notify('family');
    expect(started()).toEqual(['family', 'family']);
  });

  it('never runs more than maxConcurrent groups at once, and starts waiting groups in order as slots free', async () => {
    start({ maxConcurrent: 2 });
    for (const g of ['a', 'b', 'c', 'd']) queue.notify(g);
    expect(started()).toEqual(['a', 'b']);
    expect(queue.active()).toBe(2);

    await finish(1);
    expect(started()).toEqual(['a', 'b', 'c']);
    expect(queue.active()).toBe(2);
    await finish(0);
    expect(started()).toEqual(['a', 'b', 'c', 'd']);
    await finish(2);
    await finish(3);
    expect(queue.active()).toBe(0);
  });

  it('retries a retryable failure after a backoff', async () => {
    start({ backoffBaseMs: 100 });
    queue.notify('family');
    await finish(0, fail(crashed));
    expect(queue.isRunning('family')).toBe(false);

    await vi.advanceTimersByTimeAsync(79); // the first delay is 100 ms with ±20% jitter
    expect(started()).toEqual(['family']);
    await vi.advanceTimersByTimeAsync(42);
    expect(started()).toEqual(['family', 'family']);
    await finish(1);
    expect(gaveUp).toEqual([]);
  });

  it('waits at least the rate-limit minimum after the provider said "rate limited"', async () => {
    start({ backoffBaseMs: 100, rateLimitMinMs: 5_000 });
    queue.notify('family');
    await finish(0, fail({ kind: 'rate-limited', message: 'Slow down.', retryable: true }));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(started()).toEqual(['family']);
    await vi.advanceTimersByTimeAsync(2);
    expect(started()).toEqual(['family', 'family']);
  });

  it('waits longer before each further retry', async () => {
    start({ backoffBaseMs: 100, maxAttempts: 5 });
    queue.notify('family');
    await finish(0, fail(crashed));
    await vi.advanceTimersByTimeAsync(120);
    expect(calls).toHaveLength(2);
    await finish(1, fail(crashed));
    await vi.advanceTimersByTimeAsync(159); // second delay is 200 ms ±20%
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(82);
    expect(calls).toHaveLength(3);
  });

  it('treats work that throws as a retryable crash', async () => {
    start();
    queue.notify('family');
    calls[0]!.crash(new Error('boom'));
    await settle();
    await vi.advanceTimersByTimeAsync(120);
    expect(started()).toEqual(['family', 'family']);
  });

  it('gives up after maxAttempts failures, calling onGiveUp once with the last failure', async () => {
    start({ maxAttempts: 3, backoffBaseMs: 100 });
    queue.notify('family');
    await finish(0, fail(crashed));
    await vi.advanceTimersByTimeAsync(120);
    await finish(1, fail(crashed));
    await vi.advanceTimersByTimeAsync(240);
    expect(gaveUp).toEqual([]);
    const last: AgentFailure = { ...crashed, message: 'third time' };
    await finish(2, fail(last));

    expect(gaveUp).toEqual([{ folder: 'family', failure: last }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
    expect(gaveUp).toHaveLength(1);
  });

  it('while Docker is down, tells the chat once and keeps trying slowly until the work runs', async () => {
    const dockerDown: AgentFailure = { kind: 'unavailable', message: 'Docker is not reachable.', retryable: true };
    start({ maxAttempts: 2, backoffBaseMs: 100, backoffMaxMs: 5_000 });
    queue.notify('family');
    await finish(0, fail(dockerDown));
    await vi.advanceTimersByTimeAsync(120);
    await finish(1, fail(dockerDown));
    expect(gaveUp).toEqual([{ folder: 'family', failure: dockerDown }]);
    await vi.advanceTimersByTimeAsync(5_000);
    await finish(2, fail(dockerDown));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(4);
    await finish(3, OK); // Docker is back
    expect(gaveUp).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(4);
  });

  it('counts attempts afresh after a success', async () => {
    start({ maxAttempts: 2, backoffBaseMs: 100 });
    queue.notify('family');
    await finish(0, fail(crashed));
    await vi.advanceTimersByTimeAsync(120);
    await finish(1);
    queue.notify('family');
    await finish(2, fail(crashed));
    expect(gaveUp).toEqual([]);
    await vi.advanceTimersByTimeAsync(120);
    expect(calls).toHaveLength(4);
  });

  it('gives up at once on a failure that is not retryable', async () => {
    start({ maxAttempts: 3 });
    queue.notify('family');
    await finish(0, fail(badConfig));
    expect(gaveUp).toEqual([{ folder: 'family', failure: badConfig }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });

  it('a failing group does not hold up the others', async () => {
    start({ maxConcurrent: 1 });
    queue.notify('family');
    queue.notify('work');
    await finish(0, fail(crashed));
    expect(started()).toEqual(['family', 'work']);
  });

  it('stop resolves only after running work ends, and starts nothing new', async () => {
    start({ maxConcurrent: 1 });
    queue.notify('family');
    queue.notify('work'); // waiting for the slot
    let stopped = false;
    const stopping = queue.stop().then(() => { stopped = true; });
    await settle();
    expect(stopped).toBe(false);

    await finish(0);
    await stopping;
    expect(stopped).toBe(true);
    queue.notify('other');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started()).toEqual(['family']);
  });

  it('work cut short by stop is neither retried nor reported as a failure', async () => {
    start();
    queue.notify('family');
    const stopped = queue.stop();
    await finish(0, fail(crashed));
    await stopped;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(gaveUp).toEqual([]);
  });

  it('stop cancels a pending retry', async () => {
    start({ backoffBaseMs: 100 });
    queue.notify('family');
    await finish(0, fail(crashed));
    await queue.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });
});
