/**
 * The host's custody of the Kimi login against the fake OAuth endpoint (single-use, rotating refresh
 * tokens) on loopback: the refresh token never reaches the directory containers see, the host
 * refreshes before expiry, and a refused login is told once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKimiWorld, type KimiWorld } from '../../test/fixtures/kimi-world.ts';
import { silentLogger } from '../logger.ts';
import { CONTAINER_COPY_GRACE_S, containerCopy, refreshDueAt, startTokenCustody, type HostToken, type TokenCustody } from './token-custody.ts';

let root: string;
let world: KimiWorld;
let custody: TokenCustody | undefined;
const lost: string[] = [];
beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-custody-'));
  world = await startKimiWorld();
  lost.length = 0;
});
afterEach(async () => { await custody?.stop(); custody = undefined; await world.close(); fs.rmSync(root, { recursive: true, force: true }); });

const dataDir = () => path.join(root, 'data');
const copyFile = () => path.join(dataDir(), 'oauth-token', world.tokenFile);
const hostFile = () => path.join(dataDir(), 'credentials', 'kimi-code.json');
const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
const start = () => { custody = startTokenCustody({ dataDir: dataDir(), cliVersion: '2.1.0', log: silentLogger(), onLoginLost: (m) => lost.push(m) }); };
const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 20)); }
};
/** Every file under the directory containers mount, as text. */
const visibleToContainers = () => fs.readdirSync(path.join(dataDir(), 'oauth-token'))
  .map((n) => fs.readFileSync(path.join(dataDir(), 'oauth-token', n), 'utf8')).join('\n');

describe('the copy containers get', () => {
  const t: HostToken = { access_token: 'at-1', refresh_token: 'rt-1', expires_at: 1_000_000, expires_in: 900, scope: 's', token_type: 'Bearer' };

  it('has the access token and nothing that renews it, and an expiry the CLI never refreshes by itself', () => {
    const copy = containerCopy(t);
    expect(copy).toEqual({ access_token: 'at-1', token_type: 'Bearer', scope: 's', expires_at: 1_000_000 + CONTAINER_COPY_GRACE_S, expires_in: 0 });
    expect(JSON.stringify(copy)).not.toContain('rt-1');
  });

  it('is refreshed halfway through the real life of the token', () => {
    expect(refreshDueAt(t)).toBe((1_000_000 - 450) * 1000);
    expect(refreshDueAt({ ...t, expires_in: 4 })).toBe((1_000_000 - 2) * 1000);
  });
});

describe('host custody of the login', () => {
  it('takes over a pre-custody token from the shared directory and leaves only an access token there', async () => {
    const issued = world.install(dataDir(), { ttl: 3600 });
    start();
    await until('the container copy', () => fs.existsSync(copyFile()) && !('refresh_token' in read(copyFile())));
    expect(read(hostFile()).refresh_token).toBe(issued.refresh_token);
    expect(read(copyFile()).access_token).toBe(issued.access_token);
    expect(visibleToContainers()).not.toContain(String(issued.refresh_token));
    expect(fs.statSync(hostFile()).mode & 0o077).toBe(0);
    expect(custody!.secrets()).toEqual([issued.access_token, issued.refresh_token]);
  });

  it('is ready only once it knows the tokens, so nothing is checked against an empty list', async () => {
    const issued = world.install(dataDir(), { ttl: 3600 });
    start();
    await custody!.ready;
    expect(custody!.secrets()).toEqual([issued.access_token, issued.refresh_token]);
  });

  it('is ready without a login too (there is nothing to guard)', async () => {
    start();
    await custody!.ready;
    expect(custody!.secrets()).toEqual([]);
  });

  it('refreshes before expiry with rotating single-use refresh tokens, across several lifetimes', async () => {
    world.install(dataDir(), { ttl: 2 });
    world.setScenario({ oauth: { accessTtl: 2 } });
    start();
    const seen = new Set<string>();
    await until('three refreshes', () => {
      if (fs.existsSync(copyFile())) seen.add(String(read(copyFile()).access_token));
      return world.requests.filter((r) => r.path === '/api/oauth/token').length >= 3;
    }, 15_000);
    await until('the last copy', () => seen.add(String(read(copyFile()).access_token)).size >= 3);
    // Each refresh used the newest refresh token: a reused one would have been refused.
    expect(lost).toEqual([]);
    expect(visibleToContainers()).not.toMatch(/rt-/);
    const refreshes = world.requests.filter((r) => r.path === '/api/oauth/token');
    expect(new Set(refreshes.map((r) => r.body.refresh_token)).size).toBe(refreshes.length);
    expect(refreshes[0]!.body).toMatchObject({ grant_type: 'refresh_token', client_id: '17e5f671-d194-4dfb-9706-5516cb48c098' });
  });

  it('tells once when the login service refuses the refresh, and leaves the files as they were', async () => {
    world.install(dataDir(), { ttl: 2 });
    // Already used once elsewhere: the fake refuses it, as the real service refuses a rotated token.
    const host = read(path.join(dataDir(), 'oauth-token', world.tokenFile));
    fs.mkdirSync(path.join(dataDir(), 'credentials'), { recursive: true });
    fs.writeFileSync(path.join(dataDir(), 'credentials', '.token-custody'), '');
    fs.writeFileSync(hostFile(), JSON.stringify({ ...host, refresh_token: 'rt-already-used' }));
    start();
    await until('the alert', () => lost.length > 0);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/The Kimi login was refused when refreshing it \(the Kimi login service refused the refresh \(HTTP 401, invalid_grant\)\).*Fix: run `kimi login` on the host/);
    expect(lost[0]).not.toContain('rt-already-used');
    expect(read(hostFile()).refresh_token).toBe('rt-already-used');
  });

  it('never reads the shared directory once it holds the login: a planted token is ignored and overwritten', async () => {
    const issued = world.install(dataDir(), { ttl: 3600 });
    start();
    await until('custody', () => fs.existsSync(path.join(dataDir(), 'credentials', '.token-custody')) && fs.existsSync(copyFile()));
    await custody!.stop();
    fs.writeFileSync(copyFile(), JSON.stringify({ access_token: 'at-planted', refresh_token: 'rt-planted', expires_at: 9e9 }));
    start();
    await until('the copy rewritten', () => read(copyFile()).access_token === issued.access_token);
    expect(read(hostFile()).refresh_token).toBe(issued.refresh_token);
  });

  it('never writes through what an agent planted in the shared directory: a link or a directory at the name', async () => {
    world.install(dataDir(), { ttl: 2 });
    world.setScenario({ oauth: { accessTtl: 2 } });
    const outside = path.join(root, 'outside.txt');
    fs.writeFileSync(outside, 'host file');
    start();
    await until('custody', () => fs.existsSync(copyFile()) && !('refresh_token' in read(copyFile())));
    fs.rmSync(copyFile());
    fs.symlinkSync(outside, copyFile());
    await until('the link replaced by a copy', () => !fs.lstatSync(copyFile()).isSymbolicLink(), 10_000);
    expect(fs.readFileSync(outside, 'utf8')).toBe('host file');
    fs.rmSync(copyFile());
    fs.mkdirSync(copyFile());
    fs.writeFileSync(path.join(copyFile(), 'inside'), 'agent junk');
    await until('the directory moved aside', () => fs.lstatSync(copyFile()).isFile(), 10_000);
    expect(read(copyFile()).access_token).toMatch(/^at-/);
    expect(fs.readdirSync(path.join(dataDir(), 'oauth-token')).some((n) => n.endsWith('.moved-aside'))).toBe(true);
  });

  it('says in the log what to do when there is no login at all, and leaves telling the chat to the first run that needs it', async () => {
    const lines: string[] = [];
    const log = { ...silentLogger(), error: (_o: unknown, m: string) => { lines.push(m); } } as unknown as ReturnType<typeof silentLogger>;
    custody = startTokenCustody({ dataDir: dataDir(), cliVersion: '2.1.0', log, onLoginLost: (m) => lost.push(m) });
    await until('the log line', () => lines.length > 0);
    expect(lines[0]).toMatch(/No usable Kimi login at .*credentials\/kimi-code\.json: agents cannot answer\. Fix: run `kimi login`/);
    expect(lost).toEqual([]);
  });
});
