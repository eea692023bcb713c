import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenAlert } from './token-watch.ts';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = 1_795_000_000_000;
function token(fields: Record<string, unknown>): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-tw-'));
  const file = path.join(dir, 'kimi-code.json');
  fs.writeFileSync(file, JSON.stringify({ access_token: 'A', token_type: 'Bearer', scope: 's', expires_in: 900, ...fields }));
  return file;
}

describe('tokenAlert', () => {
  it('is an error, with the fix, when the token is missing or cannot be refreshed', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-tw-'));
    expect(tokenAlert(path.join(dir, 'none.json'), NOW)).toMatchObject({ level: 'error', message: expect.stringContaining('kimi login') });
    expect(tokenAlert(token({ expires_at: NOW / 1000 - 60 }), NOW)).toMatchObject({ level: 'error', key: 'dead' });
  });
  it('warns before a token without refresh token expires', () => {
    expect(tokenAlert(token({ expires_at: NOW / 1000 + 600 }), NOW)).toMatchObject({ level: 'warn', key: 'dying', message: expect.stringContaining('10 min') });
  });
  it('treats an expired access token with a refresh token as routine', () => {
    expect(tokenAlert(token({ expires_at: NOW / 1000 - 600, refresh_token: 'R' }), NOW)).toMatchObject({ level: 'info', key: 'refresh-due' });
    expect(tokenAlert(token({ expires_at: NOW / 1000 + 3600, refresh_token: 'R' }), NOW)).toMatchObject({ level: 'info', key: 'ok' });
  });
  it('never puts the token in the message', () => {
    const a = tokenAlert(token({ expires_at: NOW / 1000 + 600, access_token: 'SECRET-ACCESS' }), NOW);
    expect(JSON.stringify(a)).not.toContain('SECRET-ACCESS');
  });
});
