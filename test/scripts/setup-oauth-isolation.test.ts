/**
 * Runs scripts/setup-oauth-isolation.sh against throwaway project roots, then checks the result with
 * getfacl, stat and, as the proof, a process running as the container's host uid that refreshes the
 * token the way the Kimi CLI does (flock, temp file, rename).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/setup-oauth-isolation.sh');
const CONTAINER_HOST_UID = 200999; // subuid start 200000 + container uid 1000 - 1
const which = (cmd: string): string | null => {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const BASH = which('bash') ?? '/bin/bash';
const hasAcl = which('setfacl') !== null && which('getfacl') !== null;
const isRoot = process.getuid?.() === 0;
const canSwitchUser = isRoot && which('setpriv') !== null && which('flock') !== null;

if (!hasAcl && process.env.CI === 'true') {
  throw new Error('CI must install acl (sudo apt-get install acl): setfacl/getfacl are not on PATH');
}
if (!hasAcl) console.warn('SKIPPING test/scripts/setup-oauth-isolation.test.ts: setfacl/getfacl missing (sudo apt-get install acl)');
if (hasAcl && !canSwitchUser) console.warn('SKIPPING the container-uid proof: it needs root, setpriv and flock');

const temps: string[] = [];
afterEach(() => { for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

function tokenJson(minutesLeft: number, tag = 'one'): string {
  return JSON.stringify({
    access_token: `access-${tag}`, refresh_token: `refresh-${tag}`,
    expires_at: Date.now() / 1000 + minutesLeft * 60, scope: 'kimi-code', token_type: 'Bearer', expires_in: 900,
  });
}
const CONFIG = `default_model = "kimi-code"

[models.kimi-code]
provider = "managed:kimi-code"
model = "kimi-latest"

[providers."managed:kimi-code"]
type = "kimi"
api_key = ""
oauth = { storage = "file", key = "oauth/kimi-code" }
`;

type Project = { root: string; subuid: string; tokenDir: string; token: string; lock: string; backup: string; config: string };

/** An old-style deployment: config.toml and the token in data/credentials/, nothing else. */
function makeProject(opts: { backup?: boolean; config?: boolean } = {}): Project {
  const root = tempDir('nanokimi-oauth-');
  const creds = path.join(root, 'data', 'credentials');
  fs.mkdirSync(creds, { recursive: true, mode: 0o700 });
  const backup = path.join(creds, 'kimi-code.json');
  const config = path.join(creds, 'config.toml');
  if (opts.backup ?? true) fs.writeFileSync(backup, tokenJson(12), { mode: 0o600 });
  if (opts.config ?? true) fs.writeFileSync(config, CONFIG, { mode: 0o600 });
  const subuid = path.join(root, 'subuid');
  const me = os.userInfo().username;
  fs.writeFileSync(subuid, `someone:100000:65536\n${me}:200000:65536\n${me === 'root' ? '' : 'root:300000:65536\n'}`);
  const tokenDir = path.join(root, 'data', 'oauth-token');
  return {
    root, subuid, tokenDir, backup, config,
    token: path.join(tokenDir, 'kimi-code.json'), lock: path.join(tokenDir, 'kimi-code.lock'),
  };
}

type Run = { status: number | null; stdout: string; stderr: string };
function runScript(p: Project, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(BASH, [SCRIPT, '--root', p.root, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      NANOKIMI_SUBUID_FILE: p.subuid,
      SUDO_USER: '',
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A bin directory with everything on PATH except `missing`, to run the script without those tools. */
function pathWithout(missing: string[]): string {
  const bin = tempDir('nanokimi-bin-');
  const dirs = [path.dirname(process.execPath), ...(process.env.PATH ?? '').split(':')];
  for (const dir of dirs) {
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const name of names) {
      if (missing.includes(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

function acl(file: string): string[] {
  return execFileSync('getfacl', ['-pcn', file], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
}
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

/** Everything a run could change under the root: kind, owner, mode, times, inode, content, ACL. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const s = fs.lstatSync(p);
    const content = s.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '';
    out[path.relative(root, p) || '.'] = JSON.stringify({
      mode: s.mode, uid: s.uid, gid: s.gid, ino: s.ino, size: s.size, mtime: s.mtimeMs, ctime: s.ctimeMs, content, acl: acl(p),
    });
    if (s.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(root);
  return out;
}

/** As the container's host uid, refresh the token the way the Kimi CLI does. */
function refreshAsContainer(p: Project, uid: number, newToken: string) {
  // The container reaches the directory through its mount; on the host the test's uid must traverse.
  fs.chmodSync(p.root, 0o711);
  fs.chmodSync(path.join(p.root, 'data'), 0o711);
  const cli = [
    'set -euo pipefail', `cd '${p.tokenDir}'`,
    'exec 9>>kimi-code.lock', 'flock -w 5 9',
    'cat kimi-code.json >/dev/null', // the CLI re-reads under the lock
    'tmp=$(mktemp ./.kimi-code.json.XXXXXX.tmp)', 'printf %s "$NEW_TOKEN" >"$tmp"', 'sync "$tmp"',
    'chmod 600 "$tmp"', 'mv -f "$tmp" kimi-code.json',
  ].join('\n');
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', BASH, '-c', cli], {
    encoding: 'utf8', env: { ...process.env, NEW_TOKEN: newToken },
  });
}

describe.skipIf(!hasAcl)('setup-oauth-isolation.sh', () => {
  it('prints its usage with --help', () => {
    const r = runScript(makeProject(), ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: scripts/setup-oauth-isolation.sh');
    expect(r.stdout).toContain('--dry-run');
  });

  it('sets up the token directory with modes and ACLs a token refresh needs, leaving the backup alone', () => {
    const p = makeProject();
    const backupBefore = { text: fs.readFileSync(p.backup, 'utf8'), stat: fs.statSync(p.backup), acl: acl(p.backup) };
    const r = runScript(p, ['--rootless']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`container uid 1000 = host uid ${CONTAINER_HOST_UID}`);

    const dirAcl = acl(p.tokenDir);
    expect(dirAcl).toEqual(expect.arrayContaining([
      'user::rwx', `user:${CONTAINER_HOST_UID}:rwx`, 'group::---', 'mask::rwx', 'other::---',
      `default:user:${CONTAINER_HOST_UID}:rw-`, 'default:group::---', 'default:mask::rw-', 'default:other::---',
    ]));
    for (const f of [p.token, p.lock]) {
      expect(acl(f)).toEqual(expect.arrayContaining(['user::rw-', `user:${CONTAINER_HOST_UID}:rw-`, 'group::---', 'mask::rw-', 'other::---']));
    }
    // stat shows the ACL mask in the group digit; owner and other are what the script promises.
    expect(mode(p.tokenDir)).toBe('770');
    expect(mode(p.token)).toBe('660');
    expect(fs.readFileSync(p.token, 'utf8')).toBe(backupBefore.text);
    // The CLI reads config.toml as the container user through its read-only mount.
    expect(acl(p.config)).toContain(`user:${CONTAINER_HOST_UID}:r--`);

    const backupAfter = fs.statSync(p.backup);
    expect(fs.readFileSync(p.backup, 'utf8')).toBe(backupBefore.text);
    expect([backupAfter.ino, backupAfter.mtimeMs, backupAfter.mode]).toEqual([backupBefore.stat.ino, backupBefore.stat.mtimeMs, backupBefore.stat.mode]);
    expect(acl(p.backup)).toEqual(backupBefore.acl);
    expect(acl(path.join(p.root, 'data', 'credentials')).join('\n')).not.toContain(String(CONTAINER_HOST_UID));

    expect(r.stdout).toMatch(/token: valid; expires in 1[12]\.\d min/);
    expect(r.stdout).toContain('All set.');
  });

  it('migrates an old deployment whose token only lives in data/credentials/, with the old ACLs', () => {
    const p = makeProject();
    // The old branch mounted data/credentials/ and granted the file directly.
    execFileSync('setfacl', ['-m', `u:${CONTAINER_HOST_UID}:rw`, p.backup]);
    fs.writeFileSync(path.join(p.root, 'data', 'credentials', 'kimi-code.lock'), '');
    const before = snapshot(path.join(p.root, 'data', 'credentials'));

    const r = runScript(p, ['--rootless']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stays as a backup');
    expect(fs.readFileSync(p.token, 'utf8')).toBe(fs.readFileSync(p.backup, 'utf8'));
    expect(acl(p.tokenDir)).toContain(`default:user:${CONTAINER_HOST_UID}:rw-`);
    // Only the read grant on config.toml is new in the old directory.
    const after = snapshot(path.join(p.root, 'data', 'credentials'));
    const { 'config.toml': _c1, ...restBefore } = before;
    const { 'config.toml': _c2, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
  });

  it('installs a fresh login from --token when there is no backup, and creates none', () => {
    const p = makeProject({ backup: false });
    const login = path.join(tempDir('nanokimi-home-'), 'kimi-code.json');
    fs.writeFileSync(login, tokenJson(14, 'login'));
    const r = runScript(p, ['--rootless', '--token', login]);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(p.token, 'utf8')).toBe(fs.readFileSync(login, 'utf8'));
    expect(fs.existsSync(p.backup)).toBe(false);
  });

  it('changes nothing on a second run and says each item is already in place', () => {
    const p = makeProject();
    expect(runScript(p, ['--rootless']).status).toBe(0);
    const before = snapshot(p.root);
    const r = runScript(p, ['--rootless']);
    expect(r.status).toBe(0);
    expect(snapshot(p.root)).toEqual(before);
    expect(r.stdout).not.toContain('done:');
    expect(r.stdout).not.toContain('would:');
    expect(r.stdout.match(/already in place/g)?.length).toBeGreaterThanOrEqual(10);
  });

  it('changes nothing with --dry-run and prints every action', () => {
    const p = makeProject();
    const before = snapshot(p.root);
    const r = runScript(p, ['--rootless', '--dry-run']);
    expect(r.status).toBe(0);
    expect(snapshot(p.root)).toEqual(before);
    expect(fs.existsSync(p.tokenDir)).toBe(false);
    for (const action of ['create data/oauth-token', `setfacl -m u:${CONTAINER_HOST_UID}:rwx\\,d:u:${CONTAINER_HOST_UID}:rw`,
      'create data/oauth-token/kimi-code.lock', 'install the token', `ACL u:${CONTAINER_HOST_UID}:r on data/credentials/config.toml`]) {
      expect(r.stdout).toContain(action);
    }
    expect(r.stdout).toContain('Dry run: nothing was changed.');
  });

  it('refuses to run without a token and says where to get one', () => {
    const p = makeProject({ backup: false });
    const r = runScript(p, ['--rootless']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no token');
    expect(r.stderr).toContain('kimi login');
    expect(r.stderr).toContain('--token ~/.kimi/credentials/kimi-code.json');
    expect(fs.existsSync(p.tokenDir)).toBe(false);
  });

  it.each([
    ['not JSON', 'access_token=abc'],
    ['without a refresh token', JSON.stringify({ access_token: 'a', expires_at: 1 })],
  ])('refuses a token file that is %s', (_what, text) => {
    const p = makeProject({ backup: false });
    const bad = path.join(p.root, 'bad.json');
    fs.writeFileSync(bad, text);
    const r = runScript(p, ['--rootless', '--token', bad]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('is not a Kimi token file');
    expect(r.stderr).toContain('access_token, refresh_token and expires_at');
    expect(r.stderr).not.toContain('abc');
    expect(fs.existsSync(p.tokenDir)).toBe(false);
  });

  it('asks for the acl package when setfacl is missing, before changing anything', () => {
    const p = makeProject();
    const r = runScript(p, ['--rootless'], { PATH: pathWithout(['setfacl']) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('install the acl package: sudo apt-get install acl');
    expect(fs.existsSync(p.tokenDir)).toBe(false);
  });

  it('names the file and the user when /etc/subuid has no range for the Docker user', () => {
    const p = makeProject();
    const r = runScript(p, ['--rootless', '--docker-user', 'nobody-here']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`user 'nobody-here' has no range in ${p.subuid}`);
    expect(r.stderr).toContain('--host-uid');
  });

  it('sets no ACL with --rootful, and says so', () => {
    const p = makeProject();
    const r = runScript(p, ['--rootful']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('rootful Docker: container uid 1000 is host uid 1000, so no ACL is needed');
    expect(mode(p.tokenDir)).toBe('700');
    expect(mode(p.token)).toBe('600');
    for (const f of [p.tokenDir, p.token, p.lock, p.config]) expect(acl(f).join('\n')).not.toMatch(/user:\d+:|default:/);
  });

  it('detects rootless Docker from docker info', () => {
    const p = makeProject();
    const bin = tempDir('nanokimi-fake-docker-');
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\necho "[name=seccomp,profile=builtin name=rootless name=cgroupns]"\n', { mode: 0o755 });
    const r = runScript(p, ['--dry-run'], { PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH}` });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('detected rootless Docker');
    expect(r.stdout).toContain(`host uid ${CONTAINER_HOST_UID}`);
  });

  it('asks for --rootless or --rootful when docker is not installed', () => {
    const p = makeProject();
    const r = runScript(p, [], { PATH: pathWithout(['docker']) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('pass --rootless or --rootful');
  });

  it('still sets up the token but fails and shows an example when config.toml is missing', () => {
    const p = makeProject({ config: false });
    const r = runScript(p, ['--rootless']);
    expect(r.status).toBe(1);
    expect(fs.existsSync(p.token)).toBe(true);
    expect(r.stdout).toContain('data/credentials/config.toml is missing');
    expect(r.stdout).toContain('[providers."managed:kimi-code"]');
    expect(r.stdout).toContain('oauth = { storage = "file", key = "oauth/kimi-code" }');
  });

  it('replaces the token with --force by renaming a new file in, under the CLI lock', async () => {
    const p = makeProject();
    expect(runScript(p, ['--rootless']).status).toBe(0);
    const oldIno = fs.statSync(p.token).ino;
    const login = path.join(tempDir('nanokimi-home-'), 'kimi-code.json');
    fs.writeFileSync(login, tokenJson(15, 'new'));

    const holder = spawn('flock', [p.lock, '-c', 'echo held; sleep 1.5']);
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = Date.now();
    const r = runScript(p, ['--rootless', '--token', login, '--force']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(p.token, 'utf8')).toBe(fs.readFileSync(login, 'utf8'));
    expect(fs.statSync(p.token).ino).not.toBe(oldIno);
    expect(acl(p.token)).toContain(`user:${CONTAINER_HOST_UID}:rw-`);
    expect(fs.readdirSync(p.tokenDir).sort()).toEqual(['kimi-code.json', 'kimi-code.lock']);
  });

  describe.skipIf(!canSwitchUser)('as the container user (the proof)', () => {
    it('can lock, write a temp file and rename it over the token, and the host reads the new token', () => {
      const p = makeProject();
      expect(runScript(p, ['--rootless']).status).toBe(0);
      for (const tag of ['refresh-1', 'refresh-2']) {
        const next = tokenJson(15, tag);
        const r = refreshAsContainer(p, CONTAINER_HOST_UID, next);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(fs.readFileSync(p.token, 'utf8')).toBe(next);
        expect(fs.statSync(p.token).uid).toBe(CONTAINER_HOST_UID);
      }
      // A later run accepts the token the container now owns and changes nothing.
      const before = snapshot(p.root);
      const again = runScript(p, ['--rootless']);
      expect(again.status).toBe(0);
      expect(again.stdout).not.toContain('done:');
      expect(snapshot(p.root)).toEqual(before);
    });

    it('cannot do so without the ACLs (rootful setup), so the proof above means something', () => {
      const p = makeProject();
      expect(runScript(p, ['--rootful']).status).toBe(0);
      const r = refreshAsContainer(p, CONTAINER_HOST_UID, tokenJson(15, 'denied'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
      expect(fs.readFileSync(p.token, 'utf8')).toBe(fs.readFileSync(p.backup, 'utf8'));
    });

    it('would fail with only the seed\'s file grant: the directory grant is what makes rename work', () => {
      const p = makeProject();
      expect(runScript(p, ['--rootful']).status).toBe(0);
      execFileSync('setfacl', ['-m', `u:${CONTAINER_HOST_UID}:rw`, p.token, p.lock]);
      execFileSync('setfacl', ['-m', `u:${CONTAINER_HOST_UID}:x`, p.tokenDir]);
      const r = refreshAsContainer(p, CONTAINER_HOST_UID, tokenJson(15, 'denied'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
    });
  });
});
