/** @module pino logger: JSON lines on stdout for journald, pretty when a person watches a TTY. */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Field paths that may carry secrets. pino replaces their values before anything is written,
 * so a careless `log.info({ token })` cannot leak a credential into the journal.
 */
export const redactedPaths = [
  'token', '*.token', 'access_token', '*.access_token', 'refresh_token', '*.refresh_token',
  'apiKey', '*.apiKey', 'api_key', '*.api_key', 'password', '*.password', 'authorization', '*.authorization',
];

export function createLogger(opts: { level: string; pretty?: boolean }): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  return pino({
    level: opts.level,
    base: undefined,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } } : {}),
  });
}

/** A logger that drops everything: for tests and for CLI commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
