/**
 * The Docker agent against a real Docker engine: what a group's container can and cannot see
 * and do, limits, timeouts, orphans and concurrency. The probe image stands in for the agent.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunRequest, AgentRunResult } from '../../src/agent/agent.ts';
import { LABEL_INSTANCE } from '../../src/agent/container-spec.ts';
import { createDockerAgent, instanceId, removeOrphans } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import type { Group } from '../../src/domain.ts';
import { silentLogger } from '../../src/logger.ts';
import { startTokenCustody } from '../../src/kimi/token-custody.ts';
import { waitFor } from '../e2e/spawn-daemon.ts';
import { dockerReady, makeProjectTree, PROBE_IMAGE, TEST_USER, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();
const docker = new Docker();
let tree: ProjectTree;

const group = (folder: string, isMain = false): Group => ({
  folder, jid: `${folder}@g.us`, name: folder, requiresTrigger: !isMain, isMain, container: {}, createdAt: 0,
});

function agent(memoryMb = 256) {
  return createDockerAgent({
    engine: createDockerEngine(docker), paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
    image: PROBE_IMAGE, user: TEST_USER, limits: { memoryMb, cpus: 1, pids: 64 }, network: 'none',
    assistantName: 'Kai', timeZone: 'UTC', mountAllowlist: path.join(tree.root, 'no-allowlist.json'), log: silentLogger(),
    graceSeconds: 1,
  });
}

let runIds = 0;
/** Runs the probe for a group with a list of checks; returns how the run ended and what the probe reported. */
async function probe(g: Group, checks: string[], then = 'exit', signal = new AbortController().signal, memoryMb?: number) {
  // As the group worker does before every run (collectLeftovers): an input that a container removed
  // before it read it left behind (the engine-gone test's) is not this run's; the probe would take it.
  const inputDir = path.join(tree.dataDir, 'ipc', g.folder, 'input');
  for (const f of fs.existsSync(inputDir) ? fs.readdirSync(inputDir) : []) fs.rmSync(path.join(inputDir, f));
  const req: AgentRunRequest = { runId: ++runIds, group: g, chatJid: g.jid, signal, sessionId: `s-${runIds}`,
    input: { type: 'messages', text: JSON.stringify({ checks, then }), fromSeq: 1, toSeq: 1 },
    ipcDir: path.join(tree.dataDir, 'ipc', g.folder) };
  const result: AgentRunResult = await agent(memoryMb).run(req);
  const dir = path.join(tree.dataDir, 'ipc', g.folder, 'messages');
  const files = fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
  const report = files.length ? JSON.parse(JSON.parse(fs.readFileSync(path.join(dir, files[0]!), 'utf8')).text) : undefined;
  for (const f of files) fs.rmSync(path.join(dir, f));
  return { result, report: report as Record<string, unknown> | undefined };
}

describe.skipIf(!ready)('a group container on a real Docker engine', () => {
  beforeAll(() => { tree = makeProjectTree(['main', 'alpha', 'beta']); });
  afterAll(() => tree?.cleanup());

  it('cannot write config.toml, which is mounted read-only as a single file', async () => {
    const { result, report } = await probe(group('alpha'), ['write-config', 'ls:/home/node/.kimi']);
    expect(result).toEqual({ ok: true });
    expect(report!['write-config']).toBe('error:EROFS');
    expect(fs.readFileSync(path.join(tree.dataDir, 'credentials/config.toml'), 'utf8')).toContain('kimi-code');
  });

  it('refreshes the token the way kimi-cli does (lock, temp file, fsync, rename) and the host sees it', async () => {
    const { report } = await probe(group('alpha'), ['token-refresh']);
    expect(report!['token-refresh']).toBe('ok');
    expect(fs.readFileSync(path.join(tree.dataDir, 'oauth-token/kimi-code.json'), 'utf8')).toContain('refreshed-in-container');
    expect(fs.existsSync(path.join(tree.dataDir, 'oauth-token/kimi-code.lock'))).toBe(true);
  });

  it('holds no refresh token in any file a container can read once the host keeps the login', async () => {
    const refresh = `rt-${randomUUID()}`;
    const access = `at-${randomUUID()}`;
    fs.writeFileSync(path.join(tree.dataDir, 'oauth-token', 'kimi-code.json'), JSON.stringify({ access_token: access, refresh_token: refresh,
      expires_at: Math.floor(Date.now() / 1000) + 3600, expires_in: 3600, token_type: 'Bearer' }));
    const custody = startTokenCustody({ dataDir: tree.dataDir, cliVersion: '2.1.0', log: silentLogger(), onLoginLost: () => undefined });
    try {
      const copy = path.join(tree.dataDir, 'oauth-token', 'kimi-code.json');
      await waitFor('the access-only copy', () => !fs.readFileSync(copy, 'utf8').includes(refresh));
      for (const g of [group('alpha'), group('main', true)]) {
        const { result, report } = await probe(g, [`grep:${refresh}`, `grep:${access}`], 'exit', undefined, 1024);
        expect(result).toEqual({ ok: true });
        expect(report![`grep:${refresh}`]).toEqual([]);
        // The access token is there, where the CLI reads it: the search itself works.
        expect(report![`grep:${access}`]).toEqual(['/home/node/.kimi/credentials/kimi-code.json']);
      }
      expect(fs.readFileSync(path.join(tree.dataDir, 'credentials', 'kimi-code.json'), 'utf8')).toContain(refresh);
    } finally {
      await custody.stop();
    }
  });

  it('reaches no backup token, .env, database or other group, and a non-main group has no project', async () => {
    const { report } = await probe(group('alpha'), ['find-secrets', 'ls:/workspace/project', 'ls:/workspace/group', 'env']);
    const found = (report!['find-secrets'] as { path: string }[]).map((f) => f.path).sort();
    // Only its own token, its own config and its own file: no backup token, .env, database, other groups.
    expect(found).toEqual(['/home/node/.kimi/config.toml', '/home/node/.kimi/credentials/kimi-code.json', '/workspace/group/secret.txt']);
    expect(report!['ls:/workspace/project']).toBe('error:ENOENT');
    expect(report!['ls:/workspace/group']).toEqual(['KIMI.md', 'logs', 'secret.txt']);
    expect(JSON.stringify(report!.env)).not.toContain('do-not-leak');
  });

  it('gives main the project read-only with data/ and .env hidden', async () => {
    const { report } = await probe(group('main', true), ['ls:/workspace/project', 'ls:/workspace/project/data', 'read:/workspace/project/.env',
      'write:/workspace/project/new-file', 'write:/workspace/global/KIMI.md']);
    expect(report!['ls:/workspace/project']).toEqual(expect.arrayContaining(['.env', 'data', 'groups']));
    expect(report!['ls:/workspace/project/data']).toEqual([]);
    expect(report!['read:/workspace/project/.env']).toBe('');
    expect(report!['write:/workspace/project/new-file']).toBe('error:EROFS');
    expect(report!['write:/workspace/global/KIMI.md']).toBe('written'); // main may edit the shared memory
  });

  it('hides logs, git history, database backups and blocked names from main\'s project view', async () => {
    for (const [rel, text] of [['.git/config', '[core]'], ['logs/nanokimi.log', 'log line'], ['old/nanokimi-backup.db', 'all chats'],
      ['keys/.ssh/id_ed25519', 'a private key'], ['src/credentials/token.json', 'a token'], ['notes/plan.md', 'visible']] as const) {
      fs.mkdirSync(path.dirname(path.join(tree.root, rel)), { recursive: true });
      fs.writeFileSync(path.join(tree.root, rel), text);
    }
    const { report } = await probe(group('main', true), ['ls:/workspace/project/.git', 'ls:/workspace/project/logs',
      'read:/workspace/project/old/nanokimi-backup.db', 'ls:/workspace/project/keys/.ssh', 'ls:/workspace/project/src/credentials',
      'read:/workspace/project/notes/plan.md']);
    expect(report!['ls:/workspace/project/.git']).toEqual([]);
    expect(report!['ls:/workspace/project/logs']).toEqual([]);
    expect(report!['read:/workspace/project/old/nanokimi-backup.db']).toBe('');
    expect(report!['ls:/workspace/project/keys/.ssh']).toEqual([]);
    expect(report!['ls:/workspace/project/src/credentials']).toEqual([]);
    expect(report!['read:/workspace/project/notes/plan.md']).toBe('visible');
  });

  it('keeps global read-only for other groups', async () => {
    const { report } = await probe(group('beta'), ['write:/workspace/global/KIMI.md']);
    expect(report!['write:/workspace/global/KIMI.md']).toBe('error:EROFS');
  });

  it('runs as a non-root user with no capabilities, no new privileges, and memory and pids limits', async () => {
    const { report } = await probe(group('alpha'), ['id', 'caps', 'limits']);
    expect(report!.id).toEqual({ uid: Number(TEST_USER.split(':')[0]), gid: Number(TEST_USER.split(':')[1]) });
    expect(report!.caps).toEqual({ eff: '0000000000000000', bnd: '0000000000000000', nnp: '1' });
    expect(report!.limits).toEqual({ memory: String(256 * 1024 * 1024), pids: '64' });
  });

  it('a crash is reported with the exit code and the run log shows what the agent saw', async () => {
    const { result } = await probe(group('beta'), ['id'], 'crash');
    expect(result).toMatchObject({ ok: false, failure: { kind: 'crashed', retryable: true } });
    expect((result as { failure: { message: string } }).failure.message).toMatch(/exit code 3/);
    const logs = fs.readdirSync(path.join(tree.groupsDir, 'beta', 'logs'));
    const log = fs.readFileSync(path.join(tree.groupsDir, 'beta', 'logs', logs.sort().at(-1)!), 'utf8');
    expect(log).toMatch(/Mounts:\n {2}\S+\/groups\/beta -> \/workspace\/group \(rw\)/);
    expect(log).toContain('/data/credentials/config.toml -> /home/node/.kimi/config.toml (ro)');
    expect(log).toContain('Exit code: 3');
  });

  it('a container that runs out of memory is reported as such', async () => {
    const { result } = await probe(group('beta'), [], 'oom', undefined, 64);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'crashed' } });
    expect((result as { failure: { message: string } }).failure.message).toMatch(/ran out of memory \(limit 64 MB\)/);
  });

  it('a container that outlives its time is stopped (SIGTERM ignored, then killed) and removed', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1500);
    const { result } = await probe(group('alpha'), [], 'hang', abort.signal);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instanceId(tree.dataDir)}`] } });
    expect(left).toEqual([]);
  });

  it('the engine gone while a run is live: the run ends as "Docker unavailable", to be retried, and its container is cleaned up later', async () => {
    // dockerode talks to the engine through a socket we can cut, as a stopped or restarting engine would.
    const proxyPath = path.join(tree.root, 'docker-proxy.sock');
    const conns = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const engine = net.connect('/var/run/docker.sock');
      conns.add(client); conns.add(engine);
      client.pipe(engine).pipe(client);
      const close = () => { client.destroy(); engine.destroy(); };
      client.on('error', close); engine.on('error', close); client.on('close', close); engine.on('close', close);
    });
    await new Promise<void>((r) => proxy.listen(proxyPath, () => r()));
    const viaProxy = createDockerAgent({
      engine: createDockerEngine(new Docker({ socketPath: proxyPath })), paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
      image: PROBE_IMAGE, user: TEST_USER, limits: { memoryMb: 256, cpus: 1, pids: 64 }, network: 'none',
      assistantName: 'Kai', timeZone: 'UTC', mountAllowlist: path.join(tree.root, 'no-allowlist.json'), log: silentLogger(), graceSeconds: 1 });
    const ours = { label: [`${LABEL_INSTANCE}=${instanceId(tree.dataDir)}`] };
    const run = viaProxy.run({ runId: ++runIds, group: group('beta'), chatJid: 'beta@g.us', signal: new AbortController().signal, sessionId: 's-gone',
      input: { type: 'messages', text: JSON.stringify({ checks: [], then: 'hang' }), fromSeq: 1, toSeq: 1 }, ipcDir: path.join(tree.dataDir, 'ipc', 'beta') });
    for (let i = 0; i < 200 && (await docker.listContainers({ filters: ours })).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await docker.listContainers({ filters: ours })).toHaveLength(1);
    // The engine goes away: every connection cut, nothing listening.
    proxy.close();
    for (const c of conns) c.destroy();
    const result = await run;
    expect(result).toMatchObject({ ok: false, failure: { kind: 'unavailable', retryable: true } });
    expect((result as { failure: { message: string } }).failure.message).toMatch(/^the (connection to the Docker engine was lost|Docker engine is not reachable) .*; start Docker and the message will be retried\.$/);
    // Back again (a restarted daemon): what the lost run left is removed before anything else runs.
    await removeOrphans(createDockerEngine(docker), tree.dataDir, silentLogger());
    expect(await docker.listContainers({ all: true, filters: ours })).toEqual([]);
  });

  it('removes orphans a previous daemon left, and only its own', async () => {
    const mine = await docker.createContainer({ Image: PROBE_IMAGE, Cmd: ['sleep', '60'], Labels: { [LABEL_INSTANCE]: instanceId(tree.dataDir) } });
    const other = await docker.createContainer({ Image: PROBE_IMAGE, Cmd: ['sleep', '60'], Labels: { [LABEL_INSTANCE]: 'someone-else' } });
    await mine.start();
    await removeOrphans(createDockerEngine(docker), tree.dataDir, silentLogger());
    await expect(mine.inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await other.inspect()).Id).toBe(other.id);
    await other.remove({ force: true });
  });

  it('runs two groups at the same time in separate containers', async () => {
    const both = ['alpha', 'beta'].map((f) => {
      const abort = new AbortController();
      return { abort, done: probe(group(f), ['id'], 'wait-close', abort.signal) };
    });
    const ours = { label: [`${LABEL_INSTANCE}=${instanceId(tree.dataDir)}`] };
    let seen = 0;
    for (let i = 0; i < 100 && seen < 2; i++) {
      seen = (await docker.listContainers({ filters: ours })).length;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(2);
    for (const f of ['alpha', 'beta']) fs.writeFileSync(path.join(tree.dataDir, 'ipc', f, 'input', '_close'), '');
    const results = await Promise.all(both.map((b) => b.done));
    expect(results.map((r) => r.result)).toEqual([{ ok: true }, { ok: true }]);
    for (const f of ['alpha', 'beta']) fs.rmSync(path.join(tree.dataDir, 'ipc', f, 'input', '_close'));
  });
});
