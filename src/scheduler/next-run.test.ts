import { describe, expect, it } from 'vitest';
import type { Schedule } from '@nanokimi/protocol/ipc';
import { nextRunAfter, validateSchedule, zonedTimeToEpoch } from './next-run.ts';

const TZ = 'Europe/Madrid';
const utc = (iso: string) => Date.parse(iso);

describe('validateSchedule', () => {
  // Madrid is UTC+1 in winter, UTC+2 from 2026-03-29 01:00Z to 2026-10-25 01:00Z.
  const accepted: { name: string; s: Schedule; now: string; first: string }[] = [
    { name: 'cron: next 09:00 Madrid in winter is 08:00Z',
      s: { kind: 'cron', value: '0 9 * * *' }, now: '2026-01-10T12:00:00Z', first: '2026-01-11T08:00:00Z' },
    { name: 'cron: 09:00 Madrid on the first summer-time day is 07:00Z',
      s: { kind: 'cron', value: '0 9 * * *' }, now: '2026-03-28T12:00:00Z', first: '2026-03-29T07:00:00Z' },
    { name: 'cron: 09:00 Madrid after the autumn change is 08:00Z again',
      s: { kind: 'cron', value: '0 9 * * *' }, now: '2026-10-24T12:00:00Z', first: '2026-10-25T08:00:00Z' },
    { name: 'cron: weekdays only skips the weekend',
      s: { kind: 'cron', value: '0 9 * * 1-5' }, now: '2026-01-09T12:00:00Z', first: '2026-01-12T08:00:00Z' },
    { name: 'cron: a predefined alias is accepted',
      s: { kind: 'cron', value: '@daily' }, now: '2026-01-10T12:00:00Z', first: '2026-01-10T23:00:00Z' },
    { name: 'interval: first run is one interval from now',
      s: { kind: 'interval', value: 3_600_000 }, now: '2026-01-10T12:00:00Z', first: '2026-01-10T13:00:00Z' },
    { name: 'once without offset is Madrid wall-clock time (winter)',
      s: { kind: 'once', value: '2026-12-01T09:00' }, now: '2026-01-10T12:00:00Z', first: '2026-12-01T08:00:00Z' },
    { name: 'once without offset is Madrid wall-clock time (summer, with seconds)',
      s: { kind: 'once', value: '2026-07-01T09:00:00' }, now: '2026-01-10T12:00:00Z', first: '2026-07-01T07:00:00Z' },
    { name: 'once with an explicit offset ignores the daemon zone',
      s: { kind: 'once', value: '2026-12-01T09:00-05:00' }, now: '2026-01-10T12:00:00Z', first: '2026-12-01T14:00:00Z' },
    { name: 'once in UTC',
      s: { kind: 'once', value: '2026-12-01T09:00:00Z' }, now: '2026-01-10T12:00:00Z', first: '2026-12-01T09:00:00Z' },
  ];
  it.each(accepted)('$name', ({ s, now, first }) => {
    expect(validateSchedule(s, utc(now), TZ)).toEqual({ ok: true, firstRun: utc(first) });
  });

  const rejected: { name: string; s: Schedule; message: RegExp }[] = [
    { name: 'a cron expression with a bad character, naming it and the expected form',
      s: { kind: 'cron', value: '0 9 * * X' },
      message: /^"0 9 \* \* X" is not a cron expression \(minute hour day-of-month month day-of-week, e\.g\. "0 9 \* \* 1-5"\): .+/ },
    { name: 'a cron expression with too few fields',
      s: { kind: 'cron', value: '0 9 * *' }, message: /"0 9 \* \*" is not a cron expression .*exactly 5 fields/ },
    { name: 'a cron expression with seconds',
      s: { kind: 'cron', value: '* * * * * *' }, message: /exactly 5 fields/ },
    { name: 'a cron expression no date can match',
      s: { kind: 'cron', value: '0 9 30 2 *' }, message: /"0 9 30 2 \*" is not a cron expression/ },
    { name: 'an interval under a minute',
      s: { kind: 'interval', value: 1000 }, message: /1000 is not a usable interval.*at least 60000/ },
    { name: 'a one-time task in the past, saying so',
      s: { kind: 'once', value: '2025-06-01T09:00' }, message: /"2025-06-01T09:00" is in the past/ },
    { name: 'a one-time task that is not a date',
      s: { kind: 'once', value: 'tomorrow at 9' }, message: /"tomorrow at 9" is not a date and time: use ISO 8601/ },
    { name: 'a one-time task on a day that does not exist',
      s: { kind: 'once', value: '2026-02-30T09:00' }, message: /is not a date and time/ },
  ];
  it.each(rejected)('rejects $name', ({ s, message }) => {
    const r = validateSchedule(s, utc('2026-01-10T12:00:00Z'), TZ);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('bad-schedule');
      expect(r.error.message).toMatch(message);
    }
  });
});

describe('nextRunAfter', () => {
  it('gives the next cron slot after the last run, following the DST change', () => {
    const s: Schedule = { kind: 'cron', value: '0 9 * * *' };
    // Ran at 09:00 Madrid on the last winter day; the next 09:00 is in summer time, 23 hours later.
    expect(nextRunAfter(s, utc('2026-03-28T08:00:00Z'), TZ)).toBe(utc('2026-03-29T07:00:00Z'));
  });

  it('never returns the slot the run itself was in', () => {
    const s: Schedule = { kind: 'cron', value: '0 9 * * *' };
    expect(nextRunAfter(s, utc('2026-01-10T08:00:00.250Z'), TZ)).toBe(utc('2026-01-11T08:00:00Z'));
  });

  it('adds the interval to the last run', () => {
    expect(nextRunAfter({ kind: 'interval', value: 120_000 }, 1_000_000, TZ)).toBe(1_120_000);
  });

  it('gives null for a once-task: it has no next run', () => {
    expect(nextRunAfter({ kind: 'once', value: '2026-12-01T09:00' }, utc('2026-12-01T08:00:00Z'), TZ)).toBeNull();
  });
});

describe('zonedTimeToEpoch', () => {
  it.each([
    ['2026-12-01', 'Europe/Madrid', '2026-11-30T23:00:00Z'],
    ['2026-12-01T09:00:00.5', 'Europe/Madrid', '2026-12-01T08:00:00.500Z'],
    ['2026-12-01T09:00', 'America/New_York', '2026-12-01T14:00:00Z'],
    ['2026-12-01T09:00', 'UTC', '2026-12-01T09:00:00Z'],
    // 02:30 does not exist on 2026-03-29 in Madrid: it lands just after the gap (03:30 CEST).
    ['2026-03-29T02:30', 'Europe/Madrid', '2026-03-29T01:30:00Z'],
    // 02:30 happens twice on 2026-10-25: the later, standard-time one is taken.
    ['2026-10-25T02:30', 'Europe/Madrid', '2026-10-25T01:30:00Z'],
    ['2026-03-29T03:00', 'Europe/Madrid', '2026-03-29T01:00:00Z'],
    ['2026-12-01T09:00+0530', 'Europe/Madrid', '2026-12-01T03:30:00Z'],
  ])('reads %s in %s as %s', (iso, tz, expected) => {
    expect(zonedTimeToEpoch(iso, tz)).toBe(utc(expected));
  });

  it.each([['2026-13-01T09:00'], ['2026-12-01T24:00'], ['2026-02-29T09:00Z'], ['09:00'], ['']])(
    'gives null for %j', (iso) => {
      expect(zonedTimeToEpoch(iso, 'Europe/Madrid')).toBeNull();
    });

  it('gives null for an unknown time zone', () => {
    expect(zonedTimeToEpoch('2026-12-01T09:00', 'Mars/Olympus')).toBeNull();
  });
});
