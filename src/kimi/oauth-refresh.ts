/**
 * @module One refresh of the Kimi OAuth token, made by the host exactly as the Kimi Code CLI makes
 * it (form POST to `<oauth host>/api/oauth/token` with the CLI's client id and device headers), so
 * the refresh token never has to enter a container. Refresh tokens rotate: the answer carries the
 * next one. Errors are values: unauthorized (the login is gone) or unavailable (try again later).
 */
import os from 'node:os';

/** The Kimi Code CLI's OAuth client id (the same for every installation). */
export const KIMI_CODE_CLIENT_ID = '17e5f671-d194-4dfb-9706-5516cb48c098';

export type IssuedToken = { access_token: string; refresh_token: string; expires_in: number; scope?: string; token_type?: string };
export type RefreshOutcome =
  | { ok: true; token: IssuedToken }
  | { ok: false; kind: 'unauthorized' | 'unavailable'; detail: string };

export type RefreshRequest = {
  oauthHost: string;
  refreshToken: string;
  /** The pinned CLI version: the server sees the same client identity the CLI would send. */
  cliVersion: string;
  deviceId: string;
  timeoutMs?: number;
};

export function deviceHeaders(cliVersion: string, deviceId: string): Record<string, string> {
  const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, '').trim() || 'unknown';
  return {
    'User-Agent': `kimi-code-cli/${cliVersion}`,
    'X-Msh-Platform': 'kimi_code_cli',
    'X-Msh-Version': cliVersion,
    'X-Msh-Device-Name': ascii(os.hostname()),
    'X-Msh-Device-Model': ascii(`${os.type()} ${os.arch()}`),
    'X-Msh-Os-Version': ascii(os.release()),
    'X-Msh-Device-Id': deviceId,
  };
}

export async function refreshKimiToken(r: RefreshRequest): Promise<RefreshOutcome> {
  const url = `${r.oauthHost.replace(/\/+$/, '')}/api/oauth/token`;
  const body = new URLSearchParams({ client_id: KIMI_CODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: r.refreshToken });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', body, signal: AbortSignal.timeout(r.timeoutMs ?? 30_000),
      headers: { ...deviceHeaders(r.cliVersion, r.deviceId), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, kind: 'unavailable', detail: `${url} could not be reached (${cause?.code ?? cause?.message ?? (err as Error).message})` };
  }
  let data: Record<string, unknown> = {};
  try { data = (await res.json()) as Record<string, unknown>; } catch { /* a body that is not JSON: judged by the status */ }
  if (res.status === 200 && typeof data.access_token === 'string' && typeof data.refresh_token === 'string') {
    return { ok: true, token: { access_token: data.access_token, refresh_token: data.refresh_token,
      expires_in: Number(data.expires_in) > 0 ? Number(data.expires_in) : 900,
      ...(typeof data.scope === 'string' ? { scope: data.scope } : {}), ...(typeof data.token_type === 'string' ? { token_type: data.token_type } : {}) } };
  }
  // Never echo the body: it may hold a token. The error code and status say enough.
  const code = typeof data.error === 'string' ? data.error : '';
  if (res.status === 401 || res.status === 403 || code === 'invalid_grant') {
    return { ok: false, kind: 'unauthorized', detail: `the Kimi login service refused the refresh (HTTP ${res.status}${code ? `, ${code}` : ''})` };
  }
  return { ok: false, kind: 'unavailable', detail: `the Kimi login service answered HTTP ${res.status}${code ? ` (${code})` : ''}` };
}
