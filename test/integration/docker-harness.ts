/**
 * @module What the container tests share: is a Docker engine here (required under CI), the test
 * images (the product's agent image built on a locally made base, the probe, the fake Kimi API),
 * and a project tree owned by the container user.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { repoRoot } from '../e2e/spawn-daemon.ts';
import { configTomlFor, tokenFileName } from '../fixtures/kimi-world.ts';

const run = promisify(execFile);
export const PROBE_IMAGE = 'nanokimi-probe:test';
/** container/Dockerfile as it is, real Kimi Code CLI included, on the locally made base. */
export const AGENT_IMAGE = 'nanokimi-agent:test';
/** The fake Kimi API (model and OAuth endpoints) that agent containers reach on 127.0.0.1. */
export const FAKE_API_IMAGE = 'nanokimi-fake-kimi-api:test';
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

/** Builds the base (if missing), container/Dockerfile on it, the probe and the fake Kimi API. */
export async function buildTestImages(): Promise<void> {
  if (!(await hasImage(BASE_IMAGE))) await run('bash', [path.join(repoRoot, 'container/make-local-base.sh'), BASE_IMAGE]);
  await run('docker', ['build', '-q', '-f', 'container/Dockerfile', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', AGENT_IMAGE, '.'],
    { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  await run('docker', ['build', '-q', '--build-arg', `AGENT_IMAGE=${AGENT_IMAGE}`, '-t', PROBE_IMAGE, '.'], { cwd: path.join(repoRoot, 'test/fixtures/probe') });
  await run('docker', ['build', '-q', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '-t', FAKE_API_IMAGE, '.'], { cwd: path.join(repoRoot, 'test/fixtures/fake-kimi-api') });
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

/** The fake Kimi API's address inside its own network namespace, which agent containers join. */
export const FAKE_API_ORIGIN = 'http://127.0.0.1:18080';

export type FakeApiContainer = {
  /** CONTAINER_NETWORK for agents that should reach it: `container:<name>`. */
  network: string;
  setScenario(s: Record<string, unknown>): void;
  requests(): { path: string; authorization: string | null; body: Record<string, unknown> }[];
  /** Every user message of each chat request, one request's messages joined. */
  modelInputs(): string[];
  stop(): Promise<void>;
};

/**
 * Starts the fake Kimi API in a container with no network but its loopback: agents that join its
 * namespace reach it on 127.0.0.1:18080, and nothing they send can leave the machine.
 */
export async function startFakeApiContainer(): Promise<FakeApiContainer> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-fake-api-'));
  fs.chmodSync(state, 0o777);
  const docker = new Docker();
  const name = `nanokimi-fake-api-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const container = await docker.createContainer({ name, Image: FAKE_API_IMAGE, User: TEST_USER,
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'bind', Source: state, Target: '/state' }], AutoRemove: false } });
  await container.start();
  const log = path.join(state, 'requests.jsonl');
  const requests = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  const text = (c: unknown): string => typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p?.text ?? '').join('') : '';
  return {
    network: `container:${name}`,
    setScenario: (s) => fs.writeFileSync(path.join(state, 'scenario.json'), JSON.stringify(s)),
    requests,
    modelInputs: () => requests().filter((r) => String(r.path).endsWith('/chat/completions'))
      .map((r) => ((r.body.messages ?? []) as { role: string; content: unknown }[]).filter((m) => m.role === 'user').map((m) => text(m.content)).join('\n')),
    async stop() {
      await container.remove({ force: true }).catch(() => undefined);
      fs.rmSync(state, { recursive: true, force: true });
    },
  };
}

/** config.toml and a token for the fake API, as setup-oauth-isolation.sh leaves them for the real one. */
export function installFakeLogin(tree: ProjectTree): void {
  fs.writeFileSync(path.join(tree.dataDir, 'credentials', 'config.toml'), configTomlFor(FAKE_API_ORIGIN));
  const now = Math.floor(Date.now() / 1000);
  fs.writeFileSync(path.join(tree.dataDir, 'oauth-token', tokenFileName(FAKE_API_ORIGIN, `${FAKE_API_ORIGIN}/v1`)),
    JSON.stringify({ access_token: 'at-container', refresh_token: 'rt-container', expires_at: now + 3600, expires_in: 3600, scope: 'kimi-code', token_type: 'Bearer' }));
  if (process.getuid!() === 0) for (const d of ['credentials', 'oauth-token']) {
    for (const f of fs.readdirSync(path.join(tree.dataDir, d))) fs.chownSync(path.join(tree.dataDir, d, f), 1000, 1000);
  }
}

