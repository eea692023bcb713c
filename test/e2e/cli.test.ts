/** The `nanokimi` command's group and task subcommands, run as a person would. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.ts';
import { makeTree, repoRoot, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
afterEach(() => tree.cleanup());

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'src/cli.ts'), ...args], {
  env: { PATH: process.env.PATH ?? '', DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' }, encoding: 'utf8' });

it('`--help` loads no package and `chat` only dotenv: both must be ready at once (bench/cli-start.ts)', () => {
  tree = makeTree();
  const packages = (...args: string[]) => spawnSync(process.execPath,
    ['--import', path.join(repoRoot, 'test/fixtures/report-packages.ts'), path.join(repoRoot, 'src/cli.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: tree.dataDir }, input: '', encoding: 'utf8' }).stderr;
  expect(packages('--help')).toContain('packages loaded: \n');
  // No daemon runs: chat finds no socket, its input is already over, and it leaves.
  expect(packages('chat', '--wait', '0')).toContain('packages loaded: dotenv\n');
});

it('lists chats, registers one by name, and refuses names it does not know', () => {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  db.prepare("INSERT INTO chats (jid, name, is_group) VALUES ('120363041234567890@g.us', 'Family', 1)").run();
  db.close();

  expect(cli('groups').stdout).toMatch(/Group chats seen but not registered:\n\s+120363041234567890@g\.us\s+Family/);
  const reg = cli('groups', 'register', '--name', 'family', '--folder', 'family');
  expect(reg.status).toBe(0);
  expect(reg.stdout).toContain('Registered "family" as groups/family (answers when someone writes @Kai)');
  expect(fs.existsSync(path.join(tree.groupsDir, 'family', 'KIMI.md'))).toBe(true);
  expect(cli('groups').stdout).toMatch(/family\s+120363041234567890@g\.us\s+family/);

  const unknown = cli('groups', 'register', '--name', 'Work', '--folder', 'work');
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain('no group chat called "Work" has been seen; pass --jid');
  const bad = cli('groups', 'register', '--name', 'X', '--jid', '1@g.us', '--folder', '../etc');
  expect(bad.stderr).toContain('"../etc" is not a valid group folder');
  expect(cli('tasks').stdout).toBe('No scheduled tasks.\n');
  expect(cli('frobnicate').stderr).toContain('unknown command "frobnicate"');
});

it('doctor names what is broken with a fix for each, and exits non-zero', () => {
  tree = makeTree();
  const res = cli('doctor');
  expect(res.status).toBe(1);
  expect(res.stdout).toMatch(/✗ OAuth token: no token at .*\n {2}fix: run `kimi login` on the host/);
  expect(res.stdout).toMatch(/✗ WhatsApp link: not linked/);
  expect(res.stdout).toMatch(/✓ database: .* is writable/);
  expect(res.stdout).toMatch(/\d+ errors?, \d+ warnings?\.$/m);
});

it('token status shows expiry and mode, never the token, and fails when there is none', () => {
  tree = makeTree();
  expect(cli('token', 'status').status).toBe(1);
  const dir = path.join(tree.dataDir, 'oauth-token');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'kimi-code.json'), JSON.stringify({ access_token: 'SECRET-A', refresh_token: 'SECRET-R',
    expires_at: Date.now() / 1000 + 1200, scope: 'kimi', token_type: 'Bearer', expires_in: 900 }), { mode: 0o600 });
  const res = cli('token', 'status');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/Expires in (19\.\d|20\.0) min/);
  expect(res.stdout).toContain('(mode 600)');
  expect(res.stdout).not.toContain('SECRET');
});

it('groups set stores a group\'s container limits and extra mounts, and refuses bad values', () => {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  db.prepare("INSERT INTO groups (folder, jid, name, created_at) VALUES ('family', 'f@g.us', 'Family', 0)").run();
  db.close();
  expect(cli('groups', 'set', 'family', '--memory-mb', '512', '--network', 'none', '--mount', '/srv/photos:photos').status).toBe(0);
  const check = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  expect(JSON.parse((check.prepare("SELECT container_config AS c FROM groups WHERE folder = 'family'").get() as { c: string }).c))
    .toEqual({ memoryMb: 512, network: 'none', extraMounts: [{ hostPath: '/srv/photos', name: 'photos' }] });
  check.close();
  expect(cli('groups', 'set', 'family', '--jid', '999@g.us').stdout).toContain('family now answers in 999@g.us.');
  expect(cli('groups').stdout).toMatch(/family\s+999@g\.us/);
  expect(cli('groups', 'set', 'family', '--cpus', 'lots').stderr).toContain('--cpus lots is not valid: expected a number from 0.1 to 64');
  expect(cli('groups', 'set', 'nobody').stderr).toContain('no registered group has the folder "nobody"');
  expect(cli('groups', 'set', 'family', '--senders', '+34600111222,187222456274981@lid').stdout)
    .toContain('In family only +34600111222, 187222456274981@lid may wake the assistant');
  expect(cli('groups').stdout).toContain('woken only by +34600111222, 187222456274981@lid');
  expect(cli('groups', 'set', 'family', '--senders', 'my friend').stderr).toContain('--senders my friend is not valid');
  expect(cli('groups', 'set', 'family', '--senders', 'anyone').stdout).toContain('In family anyone may wake the assistant.');
  expect(cli('groups').stdout).not.toContain('woken only by');
});
