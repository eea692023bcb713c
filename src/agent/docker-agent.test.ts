import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerEnvSchema } from '@nanokimi/protocol/container';
import type { Group } from '../domain.ts';
import { silentLogger } from '../logger.ts';
import type { AgentRunRequest, AgentRunResult } from './agent.ts';
import { createDockerAgent, instanceId, type DockerAgentDeps } from './docker-agent.ts';
import { DockerUnavailable, ImageMissing, type DockerEngine } from './docker-engine.ts';
import { createScriptedEngine, type ProgramExit, type ScriptedEngineOptions } from '../../test/fixtures/scripted-engine.ts';

/** The scripted double with the agent image built; a script stands in for the container's program. */
const fakeEngine = (script: Partial<ScriptedEngineOptions> = {}) => createScriptedEngine({ images: ['nanokimi-agent:test'], ...script });

const exit = (over: Partial<ProgramExit> = {}): ProgramExit => ({ exitCode: 0, oomKilled: false, ...over });

let root: string;
let paths: DockerAgentDeps['paths'];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-docker-agent-'));
  paths = { projectRoot: root, groupsDir: path.join(root, 'groups'), dataDir: path.join(root, 'data') };
  fs.mkdirSync(path.join(paths.dataDir, 'credentials'), { recursive: true });
  fs.writeFileSync(path.join(paths.dataDir, 'credentials', 'config.toml'), 'default_model = "k2"\n[models.k2]\nmodel = "kimi-k2"\n[models.turbo]\nmodel = "kimi-turbo"\n');
  fs.writeFileSync(path.join(paths.dataDir, 'credentials', 'kimi-code.json'), '{"backup":"token"}');
  fs.mkdirSync(path.join(paths.dataDir, 'oauth-token'), { recursive: true });
  fs.mkdirSync(path.join(paths.groupsDir, 'family'), { recursive: true });
  fs.mkdirSync(path.join(paths.groupsDir, 'global'), { recursive: true });
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'family', jid: '123@g.us', name: 'Family', requiresTrigger: true, isMain: false,
  container: {}, createdAt: 1_000, ...over,
});

const request = (g: Group = group(), over: Partial<AgentRunRequest> = {}): AgentRunRequest => ({
  runId: 7,
  group: g,
  input: { type: 'messages', text: 'hi', fromSeq: 1, toSeq: 1 },
  sessionId: 'sess-0',
  chatJid: g.jid,
  ipcDir: path.join(paths.dataDir, 'ipc', g.folder),
  signal: new AbortController().signal,
  ...over,
});

const agent = (engine: DockerEngine, over: Partial<DockerAgentDeps> = {}) => createDockerAgent({
  engine, paths, image: 'nanokimi-agent:test', user: '1000:1000', limits: { memoryMb: 1024, cpus: 1, pids: 256 },
  network: 'bridge', assistantName: 'Kai', timeZone: 'UTC', mountAllowlist: path.join(root, 'no-allowlist.json'),
  // One host CPU: no start-up allowance above the limit, unless a test asks for one.
  log: silentLogger(), hostCpus: 1, ...over,
});

const failure = (r: AgentRunResult) => {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('expected a failure');
  return r.failure;
};

const logFiles = (folder = 'family') => {
  const dir = path.join(paths.groupsDir, folder, 'logs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^container-.*\.log$/.test(n)).map((n) => path.join(dir, n)) : [];
};

const mountsOf = (spec: Docker.ContainerCreateOptions) => spec.HostConfig!.Mounts!;

describe('the Docker agent: what must exist before a run', () => {
  it('refuses to run without config.toml and says which file and which script creates it', async () => {
    fs.rmSync(path.join(paths.dataDir, 'credentials', 'config.toml'));
    const { engine, calls } = fakeEngine();
    const f = failure(await agent(engine).run(request()));
    expect(f.kind).toBe('config');
    expect(f.retryable).toBe(false);
    expect(f.message).toContain(path.join(paths.dataDir, 'credentials', 'config.toml'));
    expect(f.message).toContain('scripts/setup-oauth-isolation.sh');
    expect(calls.run).toEqual([]);
  });

  it('refuses when config.toml is a directory rather than a file', async () => {
    const file = path.join(paths.dataDir, 'credentials', 'config.toml');
    fs.rmSync(file);
    fs.mkdirSync(file);
    const { engine, calls } = fakeEngine();
    expect(failure(await agent(engine).run(request())).kind).toBe('config');
    expect(calls.run).toEqual([]);
  });

  it('refuses to run without the OAuth token directory and says to run `kimi login`', async () => {
    fs.rmSync(path.join(paths.dataDir, 'oauth-token'), { recursive: true });
    const { engine, calls } = fakeEngine();
    const f = failure(await agent(engine).run(request()));
    expect(f.kind).toBe('config');
    expect(f.message).toContain(path.join(paths.dataDir, 'oauth-token'));
    expect(f.message).toContain('kimi login');
    expect(calls.run).toEqual([]);
  });

  it('refuses a KIMI_MODEL that config.toml does not have, naming the models it has, before any container', async () => {
    const { engine, calls } = fakeEngine();
    const f = failure(await agent(engine, { model: 'kimi-pro' }).run(request()));
    expect(f).toMatchObject({ kind: 'config', retryable: false });
    expect(f.message).toContain('KIMI_MODEL=kimi-pro names no table of [models] in config.toml (it has: k2, turbo)');
    expect(calls.run).toEqual([]);
  });

  it('passes KIMI_MODEL to the container when it is set, and nothing when config.toml decides', async () => {
    const { engine, calls } = fakeEngine();
    await agent(engine, { model: 'turbo' }).run(request());
    await agent(engine).run(request());
    expect(calls.run[0]!.Env).toContain('KIMI_MODEL=turbo');
    expect(calls.run[1]!.Env!.some((e) => e.startsWith('KIMI_MODEL='))).toBe(false);
  });

  it('says to build the image with container/build.sh when it is missing, without running', async () => {
    const { engine, calls } = fakeEngine({ images: [] });
    const f = failure(await agent(engine).run(request()));
    expect(f).toMatchObject({ kind: 'config', retryable: false });
    expect(f.message).toContain('nanokimi-agent:test');
    expect(f.message).toContain('container/build.sh');
    expect(calls.imageExists).toEqual(['nanokimi-agent:test']);
    expect(calls.run).toEqual([]);
  });

  it('reports Docker being down while checking the image as unavailable and retryable', async () => {
    const { engine, calls } = fakeEngine({ imageExists: async () => { throw new DockerUnavailable('the Docker engine is not reachable'); } });
    const f = failure(await agent(engine).run(request()));
    expect(f).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(f.message).toContain('the Docker engine is not reachable');
    expect(calls.run).toEqual([]);
  });

  it('creates the group session and IPC directories before running', async () => {
    const { engine } = fakeEngine({
      run: () => {
        for (const d of ['sessions/family/.kimi', 'ipc/family/input', 'ipc/family/messages', 'ipc/family/tasks']) {
          expect(fs.statSync(path.join(paths.dataDir, d)).isDirectory()).toBe(true);
        }
        return exit();
      },
    });
    expect(await agent(engine).run(request())).toEqual({ ok: true });
  });
});

describe('the Docker agent: how a run ends', () => {
  it.each([
    ['exit 0', () => exit(), { ok: true }],
  ])('%s is a success', async (_what, answer, expected) => {
    const { engine } = fakeEngine({ run: answer });
    expect(await agent(engine).run(request())).toEqual(expected);
  });

  it('a non-zero exit is a retryable crash that names the exit code and the log file', async () => {
    const { engine } = fakeEngine({ run: () => exit({ exitCode: 3 }) });
    const f = failure(await agent(engine).run(request()));
    expect(f).toMatchObject({ kind: 'crashed', retryable: true });
    expect(f.message).toContain('exit code 3');
    const [log] = logFiles();
    expect(log).toBeDefined();
    expect(f.message).toContain(log);
  });

  it('an out-of-memory kill mentions the memory limit', async () => {
    const { engine } = fakeEngine({ run: () => exit({ exitCode: 137, oomKilled: true }) });
    const f = failure(await agent(engine).run(request()));
    expect(f.kind).toBe('crashed');
    expect(f.message).toMatch(/memory/);
    expect(f.message).toContain('1024 MB');
  });

  it.each([
    ['with a non-zero exit', 143],
    ['even with exit code 0', 0],
  ])('a container NanoKimi stopped is a timeout (%s)', async (_what, exitCode) => {
    const stop = new AbortController();
    // Stopped while it runs; the program ends on the SIGTERM with that code.
    const { engine } = fakeEngine({ run: () => { stop.abort(); return exit({ exitCode }); } });
    expect(failure(await agent(engine).run(request(group(), { signal: stop.signal })))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('Docker going away during the run is unavailable and retryable', async () => {
    const { engine } = fakeEngine({ run: () => { throw new DockerUnavailable('the Docker engine is not reachable'); } });
    expect(failure(await agent(engine).run(request()))).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('an image that vanished between check and create names container/build.sh', async () => {
    const { engine } = fakeEngine({ run: () => { throw new ImageMissing('No such image: nanokimi-agent:test'); } });
    const f = failure(await agent(engine).run(request()));
    expect(f).toMatchObject({ kind: 'config', retryable: false });
    expect(f.message).toContain('container/build.sh');
  });

  it('any other engine error is a retryable crash that carries its message', async () => {
    const { engine } = fakeEngine({ run: () => { throw new Error('port is already allocated'); } });
    const f = failure(await agent(engine).run(request()));
    expect(f).toMatchObject({ kind: 'crashed', retryable: true });
    expect(f.message).toContain('port is already allocated');
  });

  it('hands the run signal to the engine', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const { engine } = fakeEngine({ run: (_spec, opts) => { seen = opts.signal; return exit(); } });
    await agent(engine, { graceSeconds: 3 }).run(request(group(), { signal: controller.signal }));
    expect(seen).toBe(controller.signal);
  });
});

describe('the Docker agent: the run log', () => {
  it('writes groups/<group>/logs/container-*.log with mounts, exit code and container output', async () => {
    const { engine } = fakeEngine({
      run: (_spec, opts) => {
        opts.onOutput('agent starting\n');
        opts.onOutput('Traceback: something broke\n');
        return exit({ exitCode: 3 });
      },
    });
    await agent(engine).run(request());
    const files = logFiles();
    expect(files).toHaveLength(1);
    const text = fs.readFileSync(files[0]!, 'utf8');
    const lines = text.split('\n');
    const at = lines.indexOf('Mounts:');
    expect(at).toBeGreaterThan(-1);
    const mountLines = lines.slice(at + 1, at + 7);
    for (const l of mountLines) expect(l.trim()).toMatch(/^\S+ -> \S+ \((ro|rw)\)$/);
    expect(text).toContain(`${path.join(paths.dataDir, 'credentials', 'config.toml')} -> /home/node/.kimi/config.toml (ro)`);
    expect(text).toContain(`${path.join(paths.groupsDir, 'family')} -> /workspace/group (rw)`);
    expect(text).toMatch(/Exit code: 3/);
    expect(text).toContain('agent starting\nTraceback: something broke');
    expect(text).toContain('nanokimi-agent:test');
  });

  it('writes a log for a successful run too', async () => {
    const { engine } = fakeEngine({ run: (_s, opts) => { opts.onOutput('done'); return exit(); } });
    await agent(engine).run(request());
    const [log] = logFiles();
    expect(fs.readFileSync(log!, 'utf8')).toMatch(/Exit code: 0[\s\S]*Output:\ndone/);
  });

  it('names the log by the clock\'s start time and records how long the container ran', async () => {
    let t = Date.parse('2030-01-02T03:04:05.678Z');
    const { engine } = fakeEngine({ run: () => { t += 2_500; return exit(); } });
    await agent(engine, { now: () => t }).run(request());
    const [log] = logFiles();
    expect(path.basename(log!)).toBe('container-2030-01-02T03-04-05-678Z.log');
    const text = fs.readFileSync(log!, 'utf8');
    expect(text).toContain('Started: 2030-01-02T03:04:05.678Z');
    expect(text).toContain('Duration: 2.5 s');
  });

  it('does not follow a symlink the agent planted at the log file path', async () => {
    const victim = path.join(root, 'outside-victim.txt');
    fs.writeFileSync(victim, 'precious host file\n');
    const { engine } = fakeEngine({
      run: (_spec, opts) => {
        // The group folder is mounted read-write, so the agent can write into logs/ while it runs.
        fs.symlinkSync(victim, path.join(paths.groupsDir, 'family', 'logs', 'container-2030-01-02T03-04-05-678Z.log'));
        opts.onOutput('ssh-ed25519 AAAA attacker@evil\n');
        return exit();
      },
    });
    await agent(engine, { now: () => Date.parse('2030-01-02T03:04:05.678Z') }).run(request());
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious host file\n');
  });

  it('does not write through a logs directory the agent replaced with a symlink', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-outside-'));
    try {
      const { engine } = fakeEngine({
        run: () => {
          const logs = path.join(paths.groupsDir, 'family', 'logs');
          fs.rmSync(logs, { recursive: true, force: true });
          fs.symlinkSync(outside, logs);
          return exit();
        },
      });
      const result = await agent(engine).run(request());
      expect(result).toEqual({ ok: true });
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('the Docker agent: the first input and the container spec', () => {
  it('writes the first input file into <ipcDir>/input/ before the container runs', async () => {
    const req = request();
    let seen: unknown[] = [];
    const { engine } = fakeEngine({
      run: () => {
        const dir = path.join(req.ipcDir, 'input');
        seen = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
        return exit();
      },
    });
    await agent(engine).run(req);
    expect(seen).toEqual([{ type: 'messages', text: 'hi', fromSeq: 1, toSeq: 1 }]);
  });

  it('gives the container the deps defaults as limits', async () => {
    const { engine, calls } = fakeEngine();
    await agent(engine).run(request());
    const h = calls.run[0]!.HostConfig!;
    expect(h.Memory).toBe(1024 * 1024 * 1024);
    expect(h.NanoCpus).toBe(1e9);
    expect(h.PidsLimit).toBe(256);
    expect(h.NetworkMode).toBe('bridge');
  });

  it("applies the group's container overrides to the spec", async () => {
    const { engine, calls } = fakeEngine();
    await agent(engine).run(request(group({ container: { memoryMb: 512, cpus: 2, pids: 64, network: 'none' } })));
    const h = calls.run[0]!.HostConfig!;
    expect(h.Memory).toBe(512 * 1024 * 1024);
    expect(h.MemorySwap).toBe(512 * 1024 * 1024);
    expect(h.NanoCpus).toBe(2e9);
    expect(h.PidsLimit).toBe(64);
    expect(h.NetworkMode).toBe('none');
  });

  it('names the memory override in an out-of-memory failure', async () => {
    const { engine } = fakeEngine({ run: () => exit({ exitCode: 137, oomKilled: true }) });
    const f = failure(await agent(engine).run(request(group({ container: { memoryMb: 512 } }))));
    expect(f.message).toContain('512 MB');
  });

  it('passes the user, image, labels and a name unique to instance, group and run', async () => {
    const { engine, calls } = fakeEngine();
    await agent(engine, { user: '1001:1001' }).run(request());
    const spec = calls.run[0]!;
    expect(spec.User).toBe('1001:1001');
    expect(spec.Image).toBe('nanokimi-agent:test');
    expect(spec.name).toBe(`nanokimi-${instanceId(paths.dataDir)}-family-7`);
    expect(spec.Labels).toMatchObject({ 'nanokimi.group': 'family', 'nanokimi.run': '7', 'nanokimi.instance': instanceId(paths.dataDir) });
  });

  it('carries ASSISTANT_NAME, NANOKIMI_GROUP and the chat, and nothing from the host environment', async () => {
    process.env.NANOKIMI_TEST_SECRET = 'do-not-leak';
    try {
      const { engine, calls } = fakeEngine();
      await agent(engine).run(request(group(), { sessionId: 'sess-1' }));
      const env = calls.run[0]!.Env!;
      expect(env).toEqual(expect.arrayContaining(['ASSISTANT_NAME=Kai', 'NANOKIMI_GROUP=family', 'NANOKIMI_IS_MAIN=0',
        'NANOKIMI_CHAT_JID=123@g.us', 'NANOKIMI_SESSION_ID=sess-1', 'TZ=UTC']));
      expect(env.join('\n')).not.toContain('do-not-leak');
    } finally {
      delete process.env.NANOKIMI_TEST_SECRET;
    }
  });

  it.each([['a chat run', {}], ['a task run', { input: { type: 'task', text: 'daily summary', taskId: 't1' } }]] as const)(
    'gives %s an environment the agent-runner accepts', async (_what, over) => {
      const { engine, calls } = fakeEngine();
      await agent(engine, { model: 'turbo' }).run(request(group(), over));
      const env = Object.fromEntries(calls.run[0]!.Env!.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      expect(containerEnvSchema.strict().safeParse(env).error).toBeUndefined();
    });

  it('passes a scheduled task run the session it was given', async () => {
    const { engine, calls } = fakeEngine();
    await agent(engine).run(request(group(), { input: { type: 'task', text: 'daily summary', taskId: 't1' }, sessionId: 'iso-1' }));
    const env = calls.run[0]!.Env!;
    expect(env).toContain('NANOKIMI_SESSION_ID=iso-1');
  });

  it('mounts a non-main group without the project, credentials directory, backup token or .env', async () => {
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
    const { engine, calls } = fakeEngine();
    await agent(engine).run(request());
    const mounts = mountsOf(calls.run[0]!);
    const sources = mounts.map((m) => m.Source);
    expect(mounts).toHaveLength(11); // the six of the table and the five pinned directories
    expect(sources).not.toContain(root);
    expect(sources).not.toContain(path.join(paths.dataDir, 'credentials'));
    expect(sources).not.toContain(path.join(paths.dataDir, 'credentials', 'kimi-code.json'));
    expect(sources).not.toContain(path.join(root, '.env'));
    expect(mounts.map((m) => m.Target)).not.toContain('/workspace/project');
  });

  it('hides .env and the data directory from the main group with /dev/null and tmpfs', async () => {
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
    fs.mkdirSync(path.join(paths.groupsDir, 'main'), { recursive: true });
    const { engine, calls } = fakeEngine();
    await agent(engine).run(request(group({ folder: 'main', jid: 'me@s.whatsapp.net', isMain: true })));
    const mounts = mountsOf(calls.run[0]!);
    expect(mounts).toContainEqual({ Type: 'bind', Source: root, Target: '/workspace/project', ReadOnly: true });
    expect(mounts).toContainEqual({ Type: 'bind', Source: '/dev/null', Target: '/workspace/project/.env', ReadOnly: true });
    expect(mounts).toContainEqual(expect.objectContaining({ Type: 'tmpfs', Target: '/workspace/project/data' }));
    // Candidates that do not exist are not mounted over.
    expect(mounts.map((m) => m.Target)).not.toContain('/workspace/project/.env.local');
    expect(calls.run[0]!.Env).toContain('NANOKIMI_IS_MAIN=1');
  });

  it('adds an extra mount the allowlist permits and refuses one it does not, noting it in the log', async () => {
    const allowed = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-extra-'));
    try {
      fs.mkdirSync(path.join(allowed, 'docs'));
      fs.mkdirSync(path.join(allowed, '.ssh'));
      const allowlistFile = path.join(root, 'allowlist.json');
      fs.writeFileSync(allowlistFile, JSON.stringify({ allowedRoots: [{ path: allowed }] }));
      const { engine, calls } = fakeEngine();
      await agent(engine, { mountAllowlist: allowlistFile }).run(request(group({ container: { extraMounts: [
        { hostPath: path.join(allowed, 'docs'), name: 'docs', readWrite: true },
        { hostPath: path.join(allowed, '.ssh'), name: 'keys' },
        { hostPath: paths.dataDir, name: 'data' },
      ] } })));
      const mounts = mountsOf(calls.run[0]!);
      expect(mounts).toContainEqual({ Type: 'bind', Source: path.join(allowed, 'docs'), Target: '/workspace/extra/docs', ReadOnly: true });
      expect(mounts.map((m) => m.Target)).not.toContain('/workspace/extra/keys');
      expect(mounts.map((m) => m.Target)).not.toContain('/workspace/extra/data');
      const log = fs.readFileSync(logFiles()[0]!, 'utf8');
      expect(log).toMatch(/extra mount refused: .*\.ssh/);
    } finally {
      fs.rmSync(allowed, { recursive: true, force: true });
    }
  });

  it('allows no extra mounts when the allowlist file is not valid', async () => {
    const allowlistFile = path.join(root, 'allowlist.json');
    fs.writeFileSync(allowlistFile, JSON.stringify({ allowedRoots: [{ path: '/' }], unknownKey: 1 }));
    const { engine, calls } = fakeEngine();
    await agent(engine, { mountAllowlist: allowlistFile }).run(request(group({ container: { extraMounts: [
      { hostPath: os.tmpdir(), name: 'tmp' },
    ] } })));
    expect(mountsOf(calls.run[0]!).map((m) => m.Target)).not.toContain('/workspace/extra/tmp');
  });
});

describe('the Docker agent: CPUs while the agent starts', () => {
  const ready = '{"time":"2026-12-02T10:00:00.000Z","event":"session-ready","session":"s1","resumed":false}\n';

  it('starts the container with two CPUs and lowers it to the limit once the runner says its session is open', async () => {
    const seen: number[] = [];
    const { engine, calls, cpus } = fakeEngine({
      run: async (spec, o) => {
        seen.push(cpus(spec.name!));
        // The line arrives cut in two, as output chunks may be.
        o.onOutput(ready.slice(0, 30));
        await new Promise((r) => setImmediate(r));
        seen.push(cpus(spec.name!));
        o.onOutput(ready.slice(30));
        await new Promise((r) => setImmediate(r));
        seen.push(cpus(spec.name!));
        return exit();
      },
    });
    expect((await agent(engine, { hostCpus: 8 }).run(request())).ok).toBe(true);
    expect(calls.run[0]!.HostConfig!.NanoCpus).toBe(2e9);
    expect(seen).toEqual([2, 2, 1]);
    expect(calls.setCpus).toEqual([{ name: calls.run[0]!.name, cpus: 1 }]);
    expect(fs.readFileSync(logFiles()[0]!, 'utf8')).toContain('cpus 1 (2 until its session is open)');
  });

  /** A container that prints nothing and runs until its limit is 1 CPU (5 s at most); `last` is the limit it ended with. */
  function silentUntilLowered() {
    const seen = { last: 0 };
    const double = fakeEngine({
      run: async (spec) => {
        for (let i = 0; i < 500 && double.cpus(spec.name!) !== 1; i++) await new Promise((r) => setTimeout(r, 10));
        seen.last = double.cpus(spec.name!);
        return exit();
      },
    });
    return { ...double, seen };
  }

  it('lowers it after the start-up time when the container never says its session is open', async () => {
    const { engine, calls, seen } = silentUntilLowered();
    expect((await agent(engine, { hostCpus: 2, startupMs: 30 }).run(request())).ok).toBe(true);
    expect(seen.last).toBe(1);
    expect(calls.setCpus).toHaveLength(1);
  });

  it('lowers it once the container exists when the engine creates it after the start-up time', async () => {
    const { engine, calls, seen } = silentUntilLowered();
    // A slow engine: the container exists only 50 ms after it was asked for, after the 10 ms start-up time.
    const slow = { ...engine, run: async (...a: Parameters<typeof engine.run>) => { await new Promise((r) => setTimeout(r, 50)); return engine.run(...a); } };
    expect((await agent(slow, { hostCpus: 2, startupMs: 10 }).run(request())).ok).toBe(true);
    expect(seen.last).toBe(1);
    expect(calls.setCpus.length).toBeGreaterThanOrEqual(2); // refused (no such container), then done
  });

  it('gives no allowance to a group whose limit is already two CPUs or more, nor on a one-CPU host', async () => {
    for (const [cpus, hostCpus] of [[3, 8], [1, 1]] as const) {
      const { engine, calls } = fakeEngine({ run: (_s, o) => { o.onOutput(ready); return exit(); } });
      await agent(engine, { hostCpus }).run(request(group({ container: { cpus } })));
      expect(calls.run[0]!.HostConfig!.NanoCpus).toBe(cpus * 1e9);
      expect(calls.setCpus).toEqual([]);
    }
  });

  it('keeps the run going when the limit cannot be lowered, and says so in the log', async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger(), warn: (_o: unknown, m: string) => { warnings.push(m); } } as unknown as DockerAgentDeps['log'];
    const { engine } = fakeEngine({ run: async (_s, o) => { o.onOutput(ready); await new Promise((r) => setTimeout(r, 10)); return exit(); } });
    engine.setCpus = async () => { throw new Error('engine refused'); };
    expect((await agent(engine, { hostCpus: 2, log }).run(request())).ok).toBe(true);
    expect(warnings.join('\n')).toMatch(/Could not lower the container's CPU limit/);
  });
});

