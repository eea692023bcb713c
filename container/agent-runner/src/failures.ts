/**
 * @module Turns what went wrong into one sentence for the chat and a kind the host acts on (retry
 * now, retry later, or not). Two sources: a JSON-RPC error from `kimi acp` (only authentication
 * comes that way, as -32000) and the error of a failed turn read from the CLI's session log.
 * The sentence is written to stdout as a JSON line the host reads (src/agent/explain-exit.ts).
 */
import { failureLine, type ReportedFailure } from '@nanokimi/protocol/failure';
import type { TurnError } from './session-log.ts';

const LOGIN_FIX = 'On the host, run `kimi login` and then `scripts/setup-oauth-isolation.sh`; your message is kept and will be answered once the login works again.';
const authExpired = (detail: string): ReportedFailure => ({ kind: 'auth-expired', message: `the Kimi login has expired or was revoked (${detail}). ${LOGIN_FIX}` });
const short = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300);

/** A failed turn, from the error code the CLI recorded (`provider.*`, `auth.*`, ...). */
export function classifyTurnError(e: TurnError | undefined, model: string): ReportedFailure {
  const code = e?.code ?? 'unknown';
  const detail = short(e?.message ?? code);
  const status = e?.details?.statusCode;
  if (code === 'provider.auth_error' || code.startsWith('auth.') || /re-?login required|invalid_grant|revoked/i.test(detail)) return authExpired(detail);
  if (code === 'provider.rate_limit' || status === 429) {
    return { kind: 'rate-limited', message: `the Kimi service is rate-limiting this account (${detail}); the message will be retried later.` };
  }
  if (code === 'provider.filtered') return { kind: 'refused', message: 'the Kimi service declined to answer this (its content filter blocked the reply).' };
  if (code === 'provider.connection_error' || e?.name === 'OAuthConnectionError') {
    return { kind: 'provider', message: `the Kimi API could not be reached (${detail}); check the host's network. The message will be retried.` };
  }
  if (/model/i.test(detail) && /not (found|set|supported)|unknown/i.test(detail)) {
    return { kind: 'config', message: `the Kimi CLI cannot use the model "${model}" (${detail}); check [models] in data/credentials/config.toml.` };
  }
  if (code.startsWith('provider.')) return { kind: 'provider', message: `the Kimi service answered with an error (${detail}); the message will be retried.` };
  return { kind: 'crashed', message: `the Kimi CLI failed the turn (${code}: ${detail})` };
}

/** A JSON-RPC error from the CLI (opening a session or prompting). */
export function classifyRpcError(err: unknown, model: string): ReportedFailure {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const detail = short(typeof e.message === 'string' ? e.message : String(err));
  if (e.code === -32000) return authExpired(detail);
  if (/model/i.test(detail)) return { kind: 'config', message: `the Kimi CLI cannot use the model "${model}" (${detail}); check [models] in data/credentials/config.toml.` };
  return { kind: 'crashed', message: `the Kimi CLI failed (${detail})` };
}

/** Reports the failure to the host and ends the process with a non-zero code. */
export function exitWithFailure(f: ReportedFailure): never {
  process.stdout.write(failureLine(f));
  process.exit(1);
}
