/** @module When a scheduled task runs next: pure functions of the schedule, a given time and a time zone. */
import { CronExpressionParser } from 'cron-parser';
import type { Schedule } from '@nanokimi/protocol/ipc';

export type ScheduleError = { kind: 'bad-schedule'; message: string };

const MIN_INTERVAL_MS = 60_000;
const CRON_FORM = 'minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"';
// cron-parser also takes 6-field (seconds) and shorter expressions; an agent asking for either
// almost certainly made a mistake, so only 5 fields or a minute-or-coarser alias are accepted.
const CRON_ALIAS = /^@(yearly|annually|monthly|weekly|daily|hourly|minutely|weekdays|weekends)$/;

const bad = (message: string) => ({ ok: false as const, error: { kind: 'bad-schedule' as const, message } });

/** The first time a new task should run, or a sentence saying what is wrong with its schedule. */
export function validateSchedule(
  s: Schedule, now: number, tz: string,
): { ok: true; firstRun: number } | { ok: false; error: ScheduleError } {
  switch (s.kind) {
    case 'cron': {
      const expr = s.value.trim();
      if (!CRON_ALIAS.test(expr) && expr.split(/\s+/).length !== 5) {
        return bad(`"${s.value}" is not a cron expression (${CRON_FORM}): it needs exactly 5 fields.`);
      }
      try {
        return { ok: true, firstRun: cronNext(expr, now, tz) };
      } catch (err) {
        return bad(`"${s.value}" is not a cron expression (${CRON_FORM}): ${detail(err)}`);
      }
    }
    case 'interval': {
      if (!Number.isSafeInteger(s.value) || s.value < MIN_INTERVAL_MS) {
        return bad(`${String(s.value)} is not a usable interval: give a whole number of milliseconds, ` +
          `at least ${MIN_INTERVAL_MS} (one minute).`);
      }
      return { ok: true, firstRun: now + s.value };
    }
    case 'once': {
      const at = zonedTimeToEpoch(s.value, tz);
      if (at === null) {
        return bad(`"${s.value}" is not a date and time: use ISO 8601, e.g. "2026-12-01T09:00" ` +
          `(read in ${tz}) or with an offset, e.g. "2026-12-01T09:00+01:00".`);
      }
      if (at <= now) {
        return bad(`"${s.value}" is in the past (${new Date(at).toISOString()}, ` +
          `now is ${new Date(now).toISOString()}): a one-time task needs a future time.`);
      }
      return { ok: true, firstRun: at };
    }
  }
}

/**
 * The next run after a run at `lastRunAt`; null when the task is finished (a once-task).
 * Throws if a stored cron expression no longer parses (e.g. the time zone became invalid).
 */
export function nextRunAfter(s: Schedule, lastRunAt: number, tz: string): number | null {
  switch (s.kind) {
    case 'cron': return cronNext(s.value.trim(), lastRunAt, tz);
    case 'interval': return lastRunAt + s.value;
    case 'once': return null;
  }
}

function cronNext(expr: string, after: number, tz: string): number {
  return CronExpressionParser.parse(expr, { currentDate: after, tz }).next().getTime();
}

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch ms of an ISO 8601 time. Without `Z` or an offset it is wall-clock time in `tz`.
 * Null for anything that is not a real date (2026-02-30, 25:00, an unknown zone).
 */
export function zonedTimeToEpoch(isoLocal: string, tz: string): number | null {
  const m = ISO.exec(isoLocal.trim());
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1, 7).map((v) => (v === undefined ? undefined : Number(v)));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const wall = Date.UTC(y!, mo! - 1, d!, h, mi, sec, ms);
  // Date.UTC rolls 2026-02-30 over to March; a round trip catches that and out-of-range fields.
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d ||
      check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== sec) return null;
  if (m[8] !== undefined) {
    const t = Date.parse(isoLocal.trim().replace(' ', 'T'));
    return Number.isNaN(t) ? null : t;
  }
  try {
    // Guess with the offset at the wall time read as UTC, then re-check with the offset at the guess:
    // the two differ only within hours of a DST change. A wall time in a spring-forward gap lands
    // just after the gap; an ambiguous autumn time gets the later (standard-time) instant.
    const first = wall - offsetAt(wall, tz);
    const second = wall - offsetAt(first, tz);
    return second;
  } catch {
    return null; // unknown time zone
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** How far `tz`'s wall clock is ahead of UTC at instant `t`, in ms. */
function offsetAt(t: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(t / 1000) * 1000;
}
