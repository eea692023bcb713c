/** @module The state of the shared OAuth token file (data/oauth-token/kimi-code.json), told without ever showing its values. */
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';

/**
 * The token file the Kimi CLI writes. `expires_at` is epoch seconds (a float). Keys the CLI may
 * add later pass through untouched. `refresh_token` is optional here so that a token without one
 * is reported (it cannot be renewed) rather than called corrupt.
 */
export const tokenFileSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  expires_at: z.number().finite(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
  expires_in: z.number().optional(),
});
export type TokenFile = z.infer<typeof tokenFileSchema>;

export type TokenStatus =
  | { kind: 'missing' }
  | { kind: 'unreadable'; error: string; ownerUid: number | null }
  | { kind: 'corrupt'; detail: string }
  | { kind: 'ok'; expiresAt: number; minutesLeft: number; expired: boolean; mode: string; hasRefreshToken: boolean };

/** What a person runs to get a fresh token into the directory the containers share. */
export const RELOGIN_FIX =
  'Fix: run `kimi login` on the host, then scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force';

function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Reads `file` and says what state it is in. Never throws for a bad file, and never returns token values. */
export function tokenStatus(file: string, now = Date.now()): TokenStatus {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unreadable', error: code ?? String(e), ownerUid: null };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { kind: 'unreadable', error: errorCode(e) ?? String(e), ownerUid: stat.uid };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be the token itself.
    return { kind: 'corrupt', detail: 'not valid JSON' };
  }
  const parsed = tokenFileSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'the file'}: ${i.message}`).join('; ');
    return { kind: 'corrupt', detail };
  }
  const expiresAt = parsed.data.expires_at * 1000;
  const minutesLeft = (expiresAt - now) / 60_000;
  return {
    kind: 'ok',
    expiresAt,
    minutesLeft,
    expired: minutesLeft <= 0,
    mode: (stat.mode & 0o777).toString(8).padStart(3, '0'),
    hasRefreshToken: (parsed.data.refresh_token ?? '') !== '',
  };
}

/** Lines for a person: the file, its mode, how long the access token lasts, and what to do when it is not usable. */
export function describeToken(s: TokenStatus, file: string): string[] {
  switch (s.kind) {
    case 'missing':
      return [`No token at ${file}`, RELOGIN_FIX];
    case 'unreadable':
      return [
        `Cannot read ${file}: ${s.error}`,
        ...(s.ownerUid === null ? [] : [`It belongs to uid ${s.ownerUid}; after a refresh the token belongs to the agent container's user.`]),
        `Check its permissions: getfacl -p ${file}`,
      ];
    case 'corrupt':
      return [`${file} is not a usable token: ${s.detail}`, RELOGIN_FIX];
    case 'ok': {
      const lines = [`Token ${file} (mode ${s.mode})`];
      lines.push(s.expired
        ? `Expired ${(-s.minutesLeft).toFixed(1)} min ago`
        : `Expires in ${s.minutesLeft.toFixed(1)} min`);
      if (!s.hasRefreshToken) lines.push('It has no refresh token, so the agent cannot renew it.', RELOGIN_FIX);
      else if (s.expired) {
        lines.push('The agent renews it with the refresh token when it next starts; if that fails (the refresh token was used elsewhere):', RELOGIN_FIX);
      }
      return lines;
    }
  }
}

const execFileAsync = promisify(execFile);

/**
 * The file's ACL as `getfacl -p` prints it, or null when getfacl is not installed (package `acl`).
 * Rejects for any other failure, e.g. when the file does not exist.
 */
export async function tokenAcl(file: string, getfacl = 'getfacl'): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync(getfacl, ['-p', file], { encoding: 'utf8' });
    return stdout;
  } catch (e) {
    // A spawn failure carries the string code ENOENT; getfacl's own failures carry its exit status.
    if (errorCode(e) === 'ENOENT') return null;
    throw e;
  }
}
