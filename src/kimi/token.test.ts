import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeToken, RELOGIN_FIX, tokenAcl, tokenFileSchema, tokenStatus, type TokenStatus } from './token.ts';

const NOW = Date.UTC(2026, 1, 10, 12, 0, 0);
const ACCESS = 'eyJ-access-SECRET-value';
const REFRESH = 'eyJ-refresh-SECRET-value';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-token-'));
  file = path.join(dir, 'kimi-code.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeToken(fields: Record<string, unknown>, mode = 0o600): void {
  fs.writeFileSync(file, JSON.stringify(fields), { mode });
  fs.chmodSync(file, mode);
}
const token = (minutesLeft: number, extra: Record<string, unknown> = {}) => ({
  access_token: ACCESS, refresh_token: REFRESH, expires_at: (NOW + minutesLeft * 60_000) / 1000,
  scope: 'kimi-code', token_type: 'Bearer', expires_in: 900, ...extra,
});
const noSecrets = (lines: string[]) => {
  const text = lines.join('\n');
  expect(text).not.toContain('SECRET');
  expect(text).not.toContain(ACCESS);
  expect(text).not.toContain(REFRESH);
};

describe('tokenStatus', () => {
  it('reports a file that is not there as missing', () => {
    expect(tokenStatus(file, NOW)).toEqual({ kind: 'missing' });
    expect(tokenStatus(path.join(dir, 'no-dir', 'kimi-code.json'), NOW)).toEqual({ kind: 'missing' });
  });

  it('reports a path it cannot read as unreadable, with the owner', () => {
    fs.mkdirSync(file); // a directory cannot be read as a file, even by root
    const s = tokenStatus(file, NOW);
    expect(s).toMatchObject({ kind: 'unreadable', error: 'EISDIR', ownerUid: fs.statSync(file).uid });
  });

  it('reports text that is not JSON as corrupt without quoting it', () => {
    fs.writeFileSync(file, `{"access_token": ${ACCESS}`);
    const s = tokenStatus(file, NOW);
    expect(s).toEqual({ kind: 'corrupt', detail: 'not valid JSON' });
  });

  it('reports JSON without the token fields as corrupt, naming them', () => {
    writeToken({ refresh_token: REFRESH, expires_at: 'tomorrow' });
    const s = tokenStatus(file, NOW);
    expect(s.kind).toBe('corrupt');
    const detail = (s as { detail: string }).detail;
    expect(detail).toContain('access_token');
    expect(detail).toContain('expires_at');
    expect(detail).not.toContain('SECRET');
  });

  it('computes the minutes left from expires_at in epoch seconds', () => {
    writeToken(token(12.3));
    const s = tokenStatus(file, NOW);
    expect(s).toMatchObject({ kind: 'ok', expired: false, mode: '600', hasRefreshToken: true });
    if (s.kind !== 'ok') throw new Error('expected ok');
    expect(s.minutesLeft).toBeCloseTo(12.3, 6);
    expect(s.expiresAt).toBe(NOW + 12.3 * 60_000);
  });

  it('keeps fractional seconds in expires_at', () => {
    writeToken(token(0, { expires_at: NOW / 1000 + 30.5 }));
    const s = tokenStatus(file, NOW);
    if (s.kind !== 'ok') throw new Error('expected ok');
    expect(s.minutesLeft).toBeCloseTo(30.5 / 60, 9);
  });

  it('marks a token past expires_at as expired, with negative minutes', () => {
    writeToken(token(-4.2), 0o640);
    const s = tokenStatus(file, NOW);
    expect(s).toMatchObject({ kind: 'ok', expired: true, mode: '640' });
    if (s.kind !== 'ok') throw new Error('expected ok');
    expect(s.minutesLeft).toBeCloseTo(-4.2, 6);
  });

  it('says when the token has no refresh token', () => {
    writeToken(token(5, { refresh_token: undefined }));
    expect(tokenStatus(file, NOW)).toMatchObject({ kind: 'ok', hasRefreshToken: false });
  });

  it('never carries token values', () => {
    writeToken(token(5));
    expect(JSON.stringify(tokenStatus(file, NOW))).not.toContain('SECRET');
  });
});

describe('tokenFileSchema', () => {
  it('keeps keys it does not know', () => {
    const parsed = tokenFileSchema.parse(token(5, { future_field: 1 }));
    expect(parsed).toMatchObject({ future_field: 1, scope: 'kimi-code', expires_in: 900 });
  });
});

describe('describeToken', () => {
  const kinds: [string, () => TokenStatus][] = [
    ['missing', () => tokenStatus(file, NOW)],
    ['corrupt', () => { fs.writeFileSync(file, `${ACCESS} ${REFRESH}`); return tokenStatus(file, NOW); }],
    ['unreadable', () => { fs.mkdirSync(file); return tokenStatus(file, NOW); }],
    ['ok', () => { writeToken(token(12.3)); return tokenStatus(file, NOW); }],
    ['expired', () => { writeToken(token(-3)); return tokenStatus(file, NOW); }],
  ];

  it.each(kinds)('shows no token value for a %s token', (_kind, make) => {
    const lines = describeToken(make(), file);
    expect(lines.length).toBeGreaterThan(0);
    noSecrets(lines);
  });

  it('prints the expiry in minutes, the file and its mode, and no fix for a good token', () => {
    writeToken(token(12.3));
    const lines = describeToken(tokenStatus(file, NOW), file);
    expect(lines).toContain('Expires in 12.3 min');
    expect(lines.join('\n')).toContain(file);
    expect(lines.join('\n')).toContain('mode 600');
    expect(lines).not.toContain(RELOGIN_FIX);
  });

  it.each([
    ['missing', () => undefined],
    ['corrupt', () => fs.writeFileSync(file, '{}')],
    ['expired', () => writeToken(token(-3))],
    ['without a refresh token', () => writeToken(token(10, { refresh_token: '' }))],
  ])('tells how to log in again when the token is %s', (_kind, prepare) => {
    prepare();
    const lines = describeToken(tokenStatus(file, NOW), file);
    expect(lines).toContain(RELOGIN_FIX);
    expect(RELOGIN_FIX).toContain('kimi login');
    expect(RELOGIN_FIX).toContain('scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force');
  });

  it('says how long ago an expired token expired', () => {
    writeToken(token(-3));
    expect(describeToken(tokenStatus(file, NOW), file)).toContain('Expired 3.0 min ago');
  });
});

describe('tokenAcl', () => {
  const hasGetfacl = (() => {
    try { execFileSync('getfacl', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
  })();

  it.skipIf(!hasGetfacl)('returns what getfacl -p prints for the file', async () => {
    writeToken(token(5));
    const acl = await tokenAcl(file);
    expect(acl).toContain(`# file: ${file}`);
    expect(acl).toContain('user::rw-');
  });

  it('returns null when getfacl is not installed', async () => {
    writeToken(token(5));
    expect(await tokenAcl(file, path.join(dir, 'no-such-getfacl'))).toBeNull();
  });

  it.skipIf(!hasGetfacl)('rejects when the file does not exist', async () => {
    await expect(tokenAcl(file)).rejects.toThrow();
  });
});
