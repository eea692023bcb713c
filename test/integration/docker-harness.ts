/**
 * @module What the container tests share: is a Docker engine here (required under CI), the test
 * images (the agent image's runner stage on a locally made base, plus the probe), and a project
 * tree owned by the container user.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { repoRoot } from '../e2e/spawn-daemon.ts';

const run = promisify(execFile);
export const PROBE_IMAGE = 'nanokimi-probe:test';
export const RUNNER_IMAGE = 'nanokimi-agent-runner:test';
/** The real agent-runner image with the fake kimi CLI installed as `kimi`. */
export const FAKE_AGENT_IMAGE = 'nanokimi-agent-fake:test';
const BASE_IMAGE = 'nanokimi-base:local';

/** True when an engine answers. Under CI a missing engine is a failure, never a skip. */
export async function dockerReady(): Promise<boolean> {
  const ok = await new Docker().ping().then(() => true, () => false);
  if (!ok && process.env.CI === 'true') throw new Error('CI=true but no Docker engine answers; .ci/run must start dockerd');
  if (!ok) console.warn('\n*** SKIPPING the real-Docker tests: no Docker engine is reachable. CI runs them. ***\n');
  return ok;
}

async function hasImage(name: string): Promise<boolean> {
  return new Docker().getImage(name).inspect().then(() => true, () => false);
}

/** Builds the base (if missing), the runner stage of container/Dockerfile on it, the probe and the fake-CLI agent. */
export async function buildTestImages(): Promise<void> {
  if (!(await hasImage(BASE_IMAGE))) await run('bash', [path.join(repoRoot, 'container/make-local-base.sh'), BASE_IMAGE]);
  await run('docker', ['build', '-q', '-f', 'container/Dockerfile', '--target', 'runner',
    '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--build-arg', `NODE_IMAGE=${BASE_IMAGE}`, '-t', RUNNER_IMAGE, '.'], { cwd: repoRoot });
  for (const [image, dir] of [[PROBE_IMAGE, 'test/fixtures/probe'], [FAKE_AGENT_IMAGE, 'test/fixtures/fake-kimi']]) {
    await run('docker', ['build', '-q', '--build-arg', `RUNNER_IMAGE=${RUNNER_IMAGE}`, '-t', image!, '.'], { cwd: path.join(repoRoot, dir!) });
  }
}

/** The container user: 1000 (the image's node user) when the tests own the tree as root, else ourselves. */
export const TEST_USER = process.getuid!() === 0 ? '1000:1000' : `${process.getuid!()}:${process.getgid!()}`;

export type ProjectTree = { root: string; dataDir: string; groupsDir: string; cleanup(): void };

/**
 * A project as a user would have it after setup: config, backup token, active token, .env, groups.
 * Owned by uid 1000 like a typical host user, so the container's `node` user can write its dirs.
 */
export function makeProjectTree(groups: string[]): ProjectTree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-docker-'));
  const dataDir = path.join(root, 'data');
  const groupsDir = path.join(root, 'groups');
  const write = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  };
  write('data/credentials/config.toml', 'default_model = "kimi-code"\n\n[models.kimi-code]\nprovider = "managed:kimi-code"\nmodel = "kimi-latest"\n');
  write('data/credentials/kimi-code.json', '{"access_token":"backup-token"}');
  write('data/oauth-token/kimi-code.json', '{"access_token":"active-token"}');
  write('data/nanokimi.db', 'not really a database');
  write('.env', 'SECRET_API_KEY=do-not-leak\n');
  write('groups/global/KIMI.md', '# global');
  for (const g of groups) {
    write(`groups/${g}/KIMI.md`, `# ${g}`);
    write(`groups/${g}/secret.txt`, `${g} private`);
    fs.mkdirSync(path.join(dataDir, 'sessions', g, '.kimi'), { recursive: true });
    for (const d of ['messages', 'tasks', 'input', 'errors']) fs.mkdirSync(path.join(dataDir, 'ipc', g, d), { recursive: true });
  }
  if (process.getuid!() === 0) chownTree(root, 1000, 1000);
  fs.chmodSync(root, 0o755);
  return { root, dataDir, groupsDir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.chownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}
