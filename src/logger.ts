/** @module pino logger: JSON lines on stdout for journald, pretty when a person watches a TTY. */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { createRollingFile } from './log-file.ts';

// Loaded only for a person at a terminal: the service (stdout to the journal) saves its 10 MB.
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');

export type { Logger };

/**
 * Field names that may carry secrets. Their values are replaced before anything is written, at the
 * top level of a line (or of a child logger's bindings) and one level down, so a careless
 * `log.info({ token })` or `log.warn({ res: { authorization } })` cannot leak a credential into
 * the journal.
 */
const SECRET_FIELDS = ['token', 'access_token', 'refresh_token', 'apiKey', 'api_key', 'password', 'authorization'];
const isSecret = new Set(SECRET_FIELDS);
export const CENSORED = '[redacted]';

/**
 * `obj` with the secret fields of its object values censored; `obj` itself when there are none,
 * which is nearly every line. (pino's redact does the top level by name at no cost; its wildcard
 * paths, `*.token`, would do this level but copy every value of every line to look: a quarter of
 * all the daemon allocated under bench/load.ts.)
 */
export function censorNested(obj: Record<string, unknown>): Record<string, unknown> {
  let out = obj;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const value = obj[key];
    const censored = censorFields(value);
    if (censored === value) continue;
    if (out === obj) out = { ...obj };
    out[key] = censored;
  }
  return out;
}

/** A copy of `value` with its secret fields censored, or `value` itself when it has none. */
function censorFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const fields = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key) || !isSecret.has(key)) continue;
    out ??= copyOf(fields);
    out[key] = CENSORED;
  }
  return out ?? value;
}

// An error stays an error (pino's serializer prints its type, message and stack).
const copyOf = (v: Record<string, unknown>): Record<string, unknown> => (v instanceof Error
  ? Object.assign(Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>, v, { message: v.message, stack: v.stack })
  : { ...v });

/** The options every logger of ours is made with (level aside). */
export function loggerOptions(level: string): pino.LoggerOptions {
  return { level, base: undefined, redact: { paths: SECRET_FIELDS, censor: CENSORED }, formatters: { log: censorNested } };
}

export function createLogger(opts: { level: string; pretty?: boolean; file?: string }): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const options = loggerOptions(opts.level);
  const console = pretty ? loadPretty()({ translateTime: 'SYS:HH:MM:ss', sync: true }) : pino.destination({ fd: 1, sync: true });
  if (!opts.file || opts.level === 'silent') return pino(options, console);
  // The journal gets stdout; the file gets the same JSON lines for `tail -f logs/nanokimi.log`.
  return pino(options, pino.multistream([{ stream: console, level: opts.level as pino.Level }, { stream: createRollingFile(opts.file), level: opts.level as pino.Level }]));
}

/** A logger that drops everything: for tests and for CLI commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
