/** @module pino logger: JSON lines on stdout for journald, pretty when a person watches a TTY. */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { createRollingFile } from './log-file.ts';

// Loaded only for a person at a terminal: the service (stdout to the journal) saves its 10 MB.
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');

export type { Logger };

/**
 * Field paths that may carry secrets. pino replaces their values before anything is written,
 * so a careless `log.info({ token })` cannot leak a credential into the journal.
 */
export const redactedPaths = [
  'token', '*.token', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'apiKey', '*.apiKey', 'api_key', '*.api_key', 'password', '*.password', 'authorization', '*.authorization',
];

export function createLogger(opts: { level: string; pretty?: boolean; file?: string }): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const options = { level: opts.level, base: undefined, redact: { paths: redactedPaths, censor: '[redacted]' } };
  const console = pretty ? loadPretty()({ translateTime: 'SYS:HH:MM:ss', sync: true }) : pino.destination({ fd: 1, sync: true });
  if (!opts.file || opts.level === 'silent') return pino(options, console);
  // The journal gets stdout; the file gets the same JSON lines for `tail -f logs/nanokimi.log`.
  return pino(options, pino.multistream([{ stream: console, level: opts.level as pino.Level }, { stream: createRollingFile(opts.file), level: opts.level as pino.Level }]));
}

/** A logger that drops everything: for tests and for CLI commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
