/**
 * @module What to do when the WhatsApp connection closes, by close code. Pure; the channel applies it.
 * Terminal states are reported and never retried in a loop (a 440 retry loop is a known storm).
 */

export type ConnectionStatus = 'connecting' | 'connected' | 'linking' | 'logged-out' | 'replaced' | 'forbidden' | 'stopped';

export type CloseDecision =
  | { action: 'reconnect-now' }
  | { action: 'backoff'; delayMs: number }
  | { action: 'stop'; status: Extract<ConnectionStatus, 'logged-out' | 'replaced' | 'forbidden'>; message: string };

const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;

/** Exponential backoff with ±20% jitter, from 1 s up to a minute; `attempt` counts from 1. */
export function backoffDelay(attempt: number, random = Math.random()): number {
  const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(Math.min(MAX_DELAY_MS, base * (0.8 + random * 0.4)));
}

export function decideOnClose(statusCode: number | undefined, attempt: number, random = Math.random()): CloseDecision {
  switch (statusCode) {
    case 401:
      return { action: 'stop', status: 'logged-out',
        message: 'WhatsApp logged this device out. Link it again with `nanokimi login`, then restart the service.' };
    case 440:
      return { action: 'stop', status: 'replaced',
        message: 'Another client took over this WhatsApp session (connection replaced). Stop the other instance, then restart the service.' };
    case 403:
      return { action: 'stop', status: 'forbidden',
        message: 'WhatsApp refused this account (403 forbidden: banned or restricted). Check the phone; the service will not retry.' };
    case 515:
      return { action: 'reconnect-now' };
    default:
      // 405 (stale version, rate limits), 408, 428, 500, 503 and network errors: transient.
      return { action: 'backoff', delayMs: backoffDelay(attempt, random) };
  }
}
