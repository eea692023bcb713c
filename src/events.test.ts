import { expect, it } from 'vitest';
import { guardEmit, type DaemonEvent } from './events.ts';

it('passes each event to the observer, and turns an observer\'s throw into a report instead of the caller\'s failure', () => {
  const seen: DaemonEvent[] = [];
  const failures: string[] = [];
  const emit = guardEmit((e) => { seen.push(e); if (e.type === 'group-idle') throw new Error('observer bug'); },
    (err, e) => failures.push(`${e.type}: ${(err as Error).message}`));
  emit({ type: 'group-queued', group: 'main' });
  expect(() => emit({ type: 'group-idle', group: 'main' })).not.toThrow();
  expect(seen.map((e) => e.type)).toEqual(['group-queued', 'group-idle']);
  expect(failures).toEqual(['group-idle: observer bug']);
});
