/**
 * @module Keeps an eye on the shared Kimi token from the host and says in the log, once per change,
 * when it is missing, broken, about to expire or expired, with the fix. Not on any message path.
 */
import type { Logger } from '../logger.ts';
import { RELOGIN_FIX, tokenStatus } from '../kimi/token.ts';

/** The state worth a log line; the same state is not logged twice in a row. */
export function tokenAlert(file: string, now: number): { level: 'info' | 'warn' | 'error'; key: string; message: string } {
  const s = tokenStatus(file, now);
  switch (s.kind) {
    case 'missing': return { level: 'error', key: 'missing', message: `No Kimi token at ${file}: agents cannot run. ${RELOGIN_FIX}` };
    case 'unreadable': return { level: 'error', key: 'unreadable', message: `The Kimi token ${file} cannot be read (${s.error}).` };
    case 'corrupt': return { level: 'error', key: 'corrupt', message: `The Kimi token ${file} is not valid (${s.detail}). ${RELOGIN_FIX}` };
    case 'ok':
      if (!s.hasRefreshToken && s.expired) return { level: 'error', key: 'dead', message: `The Kimi token expired and cannot be refreshed. ${RELOGIN_FIX}` };
      if (!s.hasRefreshToken && s.minutesLeft < 30) {
        return { level: 'warn', key: 'dying', message: `The Kimi token expires in ${s.minutesLeft.toFixed(0)} min and has no refresh token. ${RELOGIN_FIX}` };
      }
      // With a refresh token, an expired access token is normal: the CLI refreshes it on the next run.
      if (s.minutesLeft < 5) return { level: 'info', key: 'refresh-due', message: 'The Kimi access token is expired or about to; the next agent run refreshes it.' };
      return { level: 'info', key: 'ok', message: `Kimi token valid for ${s.minutesLeft.toFixed(0)} min.` };
  }
}

export function startTokenWatch(opts: { file: string; log: Logger; intervalMs?: number; now?: () => number }): { stop(): void } {
  let last = '';
  const check = () => {
    const a = tokenAlert(opts.file, (opts.now ?? Date.now)());
    if (a.key === last) return;
    last = a.key;
    opts.log[a.level]({ tokenFile: opts.file }, a.message);
  };
  check();
  const timer = setInterval(check, opts.intervalMs ?? 10 * 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
