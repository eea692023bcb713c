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

/** The directories the agent writes besides the token, which rootless setups grant through ACLs. */
const workspaceRoots = (p: Project) => [path.join(p.root, 'groups'), path.join(p.root, 'data', 'ipc'), path.join(p.root, 'data', 'sessions')];

/** What group folders look like once the daemon has run a while: a memory file, a log, an IPC dir. */
function addGroupContent(p: Project) {
  fs.mkdirSync(path.join(p.root, 'groups', 'main', 'logs'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(p.root, 'groups', 'main', 'KIMI.md'), '# main\n', { mode: 0o644 });
  fs.writeFileSync(path.join(p.root, 'groups', 'main', 'logs', 'container-1.log'), 'log\n', { mode: 0o600 });
  fs.mkdirSync(path.join(p.root, 'data', 'ipc', 'main', 'messages'), { recursive: true, mode: 0o700 });
}

/** Runs a bash script as host uid `uid` (gid the same, no supplementary groups). */
function runAs(uid: number, script: string, cwd: string) {
  return spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', BASH, '-c', `set -euo pipefail\n${script}`], {
    encoding: 'utf8', cwd,
  });
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

  it('once the daemon keeps the login, installs a new one where the daemon reads it, never in the shared directory', () => {
    const p = makeProject();
    fs.writeFileSync(path.join(p.root, 'data', 'credentials', '.token-custody'), '');
    fs.mkdirSync(p.tokenDir, { recursive: true });
    fs.writeFileSync(p.token, JSON.stringify({ access_token: 'access-copy', expires_at: Date.now() / 1000 + 600 }));
    const login = path.join(tempDir('nanokimi-home-'), 'kimi-code.json');
    fs.writeFileSync(login, tokenJson(14, 'relogin'));
    const r = runScript(p, ['--rootless', '--token', login, '--force']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(p.backup, 'utf8')).toBe(fs.readFileSync(login, 'utf8'));
    expect(fs.statSync(p.backup).mode & 0o777).toBe(0o600);
    expect(execFileSync('getfacl', ['-p', p.backup], { encoding: 'utf8' })).not.toContain(`user:${CONTAINER_HOST_UID}`);
    expect(fs.readFileSync(p.token, 'utf8')).not.toContain('refresh-relogin');
    expect(r.stdout).toContain('the daemon keeps the login in data/credentials/kimi-code.json');
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
    for (const root of workspaceRoots(p)) expect(fs.existsSync(root)).toBe(false);
    for (const action of ['create data/oauth-token', `setfacl -m u:${CONTAINER_HOST_UID}:rwx\\,d:u:${CONTAINER_HOST_UID}:rw`,
      'create data/oauth-token/kimi-code.lock', 'install the token', `ACL u:${CONTAINER_HOST_UID}:r on data/credentials/config.toml`,
      'create groups', 'create data/ipc (mode 700)', 'create data/sessions (mode 700)', `setfacl -P -m u:${CONTAINER_HOST_UID}:rwX`,
      `setfacl -P -d -m u:${CONTAINER_HOST_UID}:rwx\\,u:0:rwx\\,m::rwx`]) {
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
    expect(r.stderr).toContain('--token ~/.kimi-code/credentials/kimi-code.json');
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

  it('leaves the workspace directories alone with --rootful', () => {
    const p = makeProject();
    addGroupContent(p);
    const before = snapshot(path.join(p.root, 'groups'));
    const r = runScript(p, ['--rootful']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('rootful Docker: uid 1000 writes groups/, data/ipc/ and data/sessions/ as their owner; no ACL is set');
    expect(snapshot(path.join(p.root, 'groups'))).toEqual(before);
    expect(acl(path.join(p.root, 'data', 'ipc', 'main', 'messages')).join('\n')).not.toMatch(/user:\d+:|default:/);
    expect(fs.existsSync(path.join(p.root, 'data', 'sessions'))).toBe(false);
  });

  it('sets up only the token with --no-workspace', () => {
    const p = makeProject();
    addGroupContent(p);
    const before = snapshot(path.join(p.root, 'groups'));
    const r = runScript(p, ['--rootless', '--no-workspace']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('skipped (--no-workspace)');
    expect(acl(p.tokenDir)).toContain(`user:${CONTAINER_HOST_UID}:rwx`);
    expect(snapshot(path.join(p.root, 'groups'))).toEqual(before);
    expect(acl(path.join(p.root, 'data', 'ipc')).join('\n')).not.toContain(String(CONTAINER_HOST_UID));
    expect(fs.existsSync(path.join(p.root, 'data', 'sessions'))).toBe(false);
  });

  it('grants the container user groups/, data/ipc/ and data/sessions/, with what is in them and default ACLs', () => {
    const p = makeProject();
    addGroupContent(p);
    fs.chmodSync(path.join(p.root, 'groups'), 0o750);
    // A symlink the agent left in its folder: the grant must not reach the file it points to.
    const outside = path.join(tempDir('nanokimi-host-'), 'secret');
    fs.writeFileSync(outside, 'host only', { mode: 0o600 });
    fs.symlinkSync(outside, path.join(p.root, 'groups', 'main', 'link'));

    const r = runScript(p, ['--rootless']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const U = CONTAINER_HOST_UID;
    for (const root of workspaceRoots(p)) {
      expect(acl(root)).toEqual(expect.arrayContaining([
        `user:${U}:rwx`, 'mask::rwx', `default:user:${U}:rwx`, 'default:user:0:rwx', 'default:mask::rwx',
      ]));
      expect(r.stdout).toContain(`  ${path.relative(p.root, root)}: mode `);
    }
    // groups/ keeps its mode; data/sessions/ (created now) is 700, and data/ipc/ kept what it had.
    expect(acl(path.join(p.root, 'groups'))).toEqual(expect.arrayContaining(['user::rwx', 'group::r-x', 'other::---']));
    expect(acl(path.join(p.root, 'data', 'sessions'))).toEqual(expect.arrayContaining(['user::rwx', 'group::---', 'other::---']));
    // Recursively: existing directories get both entries unmasked, existing files rw (never x).
    for (const dir of ['groups/main', 'groups/main/logs', 'data/ipc/main', 'data/ipc/main/messages']) {
      expect(acl(path.join(p.root, dir))).toEqual(expect.arrayContaining([`user:${U}:rwx`, 'mask::rwx', `default:user:${U}:rwx`, 'default:mask::rwx']));
    }
    for (const file of ['groups/main/KIMI.md', 'groups/main/logs/container-1.log']) {
      expect(acl(path.join(p.root, file))).toEqual(expect.arrayContaining([`user:${U}:rw-`, 'mask::rw-']));
    }
    expect(acl(outside).join('\n')).not.toContain(String(U));
    expect(r.stdout).toContain(`ok: uid ${U} may write here`);
    expect(r.stdout).toContain('All set.');
  });

  it('lets directories the daemon creates later with mode 770 inherit effective rwx for the container user', () => {
    const p = makeProject();
    expect(runScript(p, ['--rootless']).status).toBe(0);
    const U = CONTAINER_HOST_UID;
    const byMkdir = path.join(p.root, 'groups', 'family');
    execFileSync('mkdir', ['-m', '770', byMkdir]);
    const byNode = path.join(p.root, 'data', 'ipc', 'family', 'messages'); // as src/ipc/ipc-dirs.ts does
    fs.mkdirSync(byNode, { recursive: true, mode: 0o770 });
    const sessions = path.join(p.root, 'data', 'sessions', 'family', '.kimi');
    fs.mkdirSync(sessions, { recursive: true, mode: 0o770 });
    for (const dir of [byMkdir, byNode, path.dirname(byNode), sessions, path.dirname(sessions)]) {
      const entries = acl(dir);
      expect(entries).toEqual(expect.arrayContaining([`user:${U}:rwx`, 'mask::rwx', `default:user:${U}:rwx`]));
      expect(entries.join('\n')).not.toContain('#effective');
    }
    // A file the daemon writes with 0644 is readable, not writable, by the container user.
    const file = path.join(byNode, 'snapshot.json');
    fs.writeFileSync(file, '{}', { mode: 0o644 });
    expect(acl(file)).toContain(`user:${U}:rwx\t#effective:r--`);
    // A directory created 0700 has the entry masked off; the next run repairs that.
    const tight = path.join(p.root, 'data', 'ipc', 'family', 'tasks');
    fs.mkdirSync(tight, { mode: 0o700 });
    expect(acl(tight)).toContain(`user:${U}:rwx\t#effective:---`);
    const again = runScript(p, ['--rootless']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('done: ACL');
    expect(acl(tight)).toContain(`user:${U}:rwx`);
    expect(acl(tight)).toContain('mask::rwx');
  });

  it('changes nothing in the workspace on a second run, including what the daemon created in between', () => {
    const p = makeProject();
    addGroupContent(p);
    expect(runScript(p, ['--rootless']).status).toBe(0);
    fs.mkdirSync(path.join(p.root, 'data', 'ipc', 'main', 'input'), { mode: 0o770 });
    fs.writeFileSync(path.join(p.root, 'data', 'ipc', 'main', 'input', '1.json'), '{}', { mode: 0o644 });
    fs.mkdirSync(path.join(p.root, 'data', 'sessions', 'main', '.kimi'), { recursive: true, mode: 0o770 });
    const before = snapshot(p.root);
    const r = runScript(p, ['--rootless']);
    expect(r.status).toBe(0);
    expect(snapshot(p.root)).toEqual(before);
    expect(r.stdout).not.toContain('done:');
    expect(r.stdout).toContain(`already in place: ACL u:${CONTAINER_HOST_UID}:rwx, default u:${CONTAINER_HOST_UID}:rwx and u:0:rwx on data/ipc`);
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

  it('refuses --force without --token: the backup may be older than the live, rotated token', () => {
    const p = makeProject();
    expect(runScript(p, ['--rootless']).status).toBe(0);
    const rotated = tokenJson(30, 'rotated-by-the-cli');
    fs.writeFileSync(p.token, rotated);
    const r = runScript(p, ['--rootless', '--force']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--force replaces the live token: name the new one with --token PATH');
    expect(fs.readFileSync(p.token, 'utf8')).toBe(rotated);
  });

  it('reads DATA_DIR, GROUPS_DIR and CONTAINER_USER from .env, and the environment over .env, as the daemon does', () => {
    const p = makeProject();
    // The project keeps its state elsewhere: move what makeProject made into state/.
    fs.renameSync(path.join(p.root, 'data'), path.join(p.root, 'state'));
    fs.writeFileSync(path.join(p.root, '.env'), [
      '# where the daemon keeps things', 'DATA_DIR=state', 'GROUPS_DIR="chats"  ', "export CONTAINER_USER='1234:1234' # the image's user",
    ].join('\n'));
    const r = runScript(p, ['--rootless']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const hostUid = 200000 + 1234 - 1;
    expect(r.stdout).toContain(`container uid 1234 = host uid ${hostUid}`);
    const tokenDir = path.join(p.root, 'state', 'oauth-token');
    expect(fs.readFileSync(path.join(tokenDir, 'kimi-code.json'), 'utf8')).toBe(fs.readFileSync(path.join(p.root, 'state', 'credentials', 'kimi-code.json'), 'utf8'));
    expect(acl(tokenDir)).toContain(`user:${hostUid}:rwx`);
    expect(acl(path.join(p.root, 'chats'))).toContain(`user:${hostUid}:rwx`);
    expect(fs.existsSync(path.join(p.root, 'data'))).toBe(false);
    expect(fs.existsSync(path.join(p.root, 'groups'))).toBe(false);

    // The environment wins over .env, as with dotenv; a bad CONTAINER_USER is named.
    const bad = runScript(p, ['--rootless'], { CONTAINER_USER: 'node' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("CONTAINER_USER='node' is not uid:gid");
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

    it('can write messages, consume input and keep sessions, and the daemon reads what it wrote', () => {
      const p = makeProject();
      const DAEMON = 4242; // the user NanoKimi runs as, owner of the workspace roots
      addGroupContent(p);
      for (const root of workspaceRoots(p)) {
        fs.mkdirSync(root, { recursive: true });
        execFileSync('chown', ['-R', `${DAEMON}:${DAEMON}`, root]); // the daemon created what is there
      }
      expect(runScript(p, ['--rootless']).status).toBe(0);
      // What the daemon creates later: directories 0770, files 0644 (here as root, as the brief's host).
      const ipc = path.join(p.root, 'data', 'ipc', 'family');
      for (const sub of ['messages', 'tasks', 'input', 'errors']) fs.mkdirSync(path.join(ipc, sub), { recursive: true, mode: 0o770 });
      fs.writeFileSync(path.join(ipc, 'input', '1.json'), '{"text":"hi"}', { mode: 0o644 });
      fs.writeFileSync(path.join(ipc, 'errors', 'bad.json.reason'), 'nope\n', { mode: 0o644 });
      fs.mkdirSync(path.join(p.root, 'data', 'sessions', 'family', '.kimi'), { recursive: true, mode: 0o770 });
      fs.chmodSync(p.root, 0o711);
      fs.chmodSync(path.join(p.root, 'data'), 0o711);

      const agent = runAs(CONTAINER_HOST_UID, [
        'cd data/ipc/family',
        'printf %s \'{"type":"message"}\' >messages/.1.json.tmp', 'mv messages/.1.json.tmp messages/1.json',
        'printf %s \'{"type":"task"}\' >tasks/1.json',
        'cat input/1.json >/dev/null', 'rm input/1.json', 'cat errors/bad.json.reason >/dev/null',
        'cd ../../sessions/family/.kimi', 'mkdir -p x', 'printf "{}\\n" >>x/context.jsonl',
        'cd ../../../../groups/main', 'printf more >>KIMI.md', 'printf note >notes.md',
      ].join('\n'), p.root);
      expect(agent.stderr).toBe('');
      expect(agent.status).toBe(0);
      expect(fs.readFileSync(path.join(ipc, 'messages', '1.json'), 'utf8')).toBe('{"type":"message"}');
      expect(fs.existsSync(path.join(ipc, 'input', '1.json'))).toBe(false);
      expect(fs.statSync(path.join(p.root, 'data', 'sessions', 'family', '.kimi', 'x', 'context.jsonl')).uid).toBe(CONTAINER_HOST_UID);
      expect(fs.readFileSync(path.join(p.root, 'groups', 'main', 'KIMI.md'), 'utf8')).toBe('# main\nmore');

      // The daemon (not root) reads and removes the agent's files: the default entry for its uid.
      const daemon = runAs(DAEMON, [
        'cat data/ipc/family/messages/1.json data/ipc/family/tasks/1.json >/dev/null',
        'rm data/ipc/family/messages/1.json', 'cat data/sessions/family/.kimi/x/context.jsonl >/dev/null',
        'cat groups/main/notes.md >/dev/null',
      ].join('\n'), p.root);
      expect(daemon.stderr).toBe('');
      expect(daemon.status).toBe(0);
    });

    it('cannot write the IPC directories without the grant (--no-workspace)', () => {
      const p = makeProject();
      expect(runScript(p, ['--rootless', '--no-workspace']).status).toBe(0);
      fs.mkdirSync(path.join(p.root, 'data', 'ipc', 'family', 'messages'), { recursive: true, mode: 0o770 });
      fs.chmodSync(p.root, 0o711);
      fs.chmodSync(path.join(p.root, 'data'), 0o711);
      fs.chmodSync(path.join(p.root, 'data', 'ipc'), 0o711);
      const r = runAs(CONTAINER_HOST_UID, 'printf x >data/ipc/family/messages/1.json', p.root);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
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
