/**
 * @module Decides when each group's work runs: one run per group at a time, at most `maxConcurrent`
 * runs overall, failed work retried with exponential backoff, and a give-up after the last attempt.
 * It knows nothing of what the work is; `work(folder)` does it.
 */
import type { AgentFailure } from '../agent/agent.ts';
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';

export type WorkResult = { ok: true } | { ok: false; failure: AgentFailure };

export type GroupQueueDeps = {
  maxConcurrent: number;
  maxAttempts: number;
  work: (folder: string) => Promise<WorkResult>;
  /** The last attempt failed: tell the people waiting. */
  onGiveUp: (folder: string, failure: AgentFailure) => void;
  /** A group's work succeeded (resets alerts that wait for things to work again). */
  onSuccess?: (folder: string) => void;
  log: Logger;
  emit?: Emit;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The shortest wait after the provider said "rate limited" (default a minute). */
  rateLimitMinMs?: number;
};

type GroupState =
  | { kind: 'idle' }
  | { kind: 'queued' }
  | { kind: 'running'; again: boolean }
  | { kind: 'backoff'; timer: NodeJS.Timeout };

export type GroupQueue = {
  /** There is (or may be) work for this group. */
  notify(folder: string): void;
  isRunning(folder: string): boolean;
  /** How many runs are going now. */
  active(): number;
  /** Starts nothing new and resolves when the running work has ended. */
  stop(): Promise<void>;
};

export function createGroupQueue(deps: GroupQueueDeps): GroupQueue {
  const states = new Map<string, GroupState>();
  const attempts = new Map<string, number>();
  const waiting: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let running = 0;
  let stopped = false;
  const base = deps.backoffBaseMs ?? 5000;
  const max = deps.backoffMaxMs ?? 5 * 60_000;
  const rateLimitMin = deps.rateLimitMinMs ?? 60_000;
  const emit = deps.emit ?? ignoreEvents;

  const state = (folder: string): GroupState => states.get(folder) ?? { kind: 'idle' };

  function enqueue(folder: string): void {
    states.set(folder, { kind: 'queued' });
    waiting.push(folder);
  }

  function retryLater(folder: string, delayMs: number): void {
    const timer = setTimeout(() => { if (!stopped) { enqueue(folder); pump(); } }, delayMs);
    timer.unref();
    states.set(folder, { kind: 'backoff', timer });
  }

  function idle(folder: string): void {
    states.set(folder, { kind: 'idle' });
    emit({ type: 'group-idle', group: folder });
  }

  function giveUp(folder: string, failure: AgentFailure): void {
    deps.onGiveUp(folder, failure);
    emit({ type: 'gave-up', group: folder, failure });
  }

  function finished(folder: string, result: WorkResult, again: boolean): void {
    running--;
    if (result.ok) {
      attempts.delete(folder);
      deps.onSuccess?.(folder);
    } else if (stopped) {
      // Cut short by shutdown: nobody is told it failed; the messages are still unanswered and run after restart.
      idle(folder);
      return;
    } else {
      const f = result.failure;
      const n = (attempts.get(folder) ?? 0) + 1;
      deps.log.warn({ group: folder, attempt: n, of: deps.maxAttempts, failure: f }, 'Agent run failed');
      // While Docker is down the chat is told once, and the work keeps being retried slowly so it
      // runs when Docker is back; other failures stop after the last attempt.
      const waitForDocker = f.kind === 'unavailable';
      if (!stopped && f.retryable && (n < deps.maxAttempts || waitForDocker)) {
        attempts.set(folder, n);
        if (n === deps.maxAttempts) giveUp(folder, f);
        const backoff = n < deps.maxAttempts ? Math.min(max, base * 2 ** (n - 1)) * (0.8 + Math.random() * 0.4) : max;
        // A rate limit lifts on the provider's clock, not ours: asking again soon only extends it.
        const delayMs = f.kind === 'rate-limited' ? Math.max(backoff, rateLimitMin) : backoff;
        retryLater(folder, delayMs);
        emit({ type: 'retry-scheduled', group: folder, attempt: n, delayMs, failure: f });
        pump();
        return;
      }
      attempts.delete(folder);
      giveUp(folder, f);
    }
    if (again && !stopped) enqueue(folder);
    else idle(folder);
    pump();
  }

  function pump(): void {
    while (!stopped && running < deps.maxConcurrent && waiting.length > 0) {
      const folder = waiting.shift()!;
      const current: GroupState = { kind: 'running', again: false };
      states.set(folder, current);
      running++;
      const p = deps.work(folder)
        .catch((err: unknown): WorkResult => ({ ok: false,
          failure: { kind: 'crashed', message: `internal error: ${String(err)}`, retryable: true } }))
        .then((result) => finished(folder, result, current.again));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }

  return {
    notify(folder) {
      if (stopped) return;
      const s = state(folder);
      if (s.kind === 'idle') {
        enqueue(folder);
        emit({ type: 'group-queued', group: folder });
        pump();
      }
      else if (s.kind === 'running') s.again = true;
      // queued: it will run; backoff: the retry picks up the new work too.
    },
    isRunning: (folder) => state(folder).kind === 'running',
    active: () => running,
    async stop() {
      stopped = true;
      for (const s of states.values()) if (s.kind === 'backoff') clearTimeout(s.timer);
      await Promise.all(inFlight);
    },
  };
}
