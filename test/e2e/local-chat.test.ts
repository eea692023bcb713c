/** End to end: the real daemon process, the file agent injected, and real `nanokimi chat` clients. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/channels/local/client.ts';
import { launchDaemon, makeTree, repoRoot, spawnDaemon, waitFor, type RunningDaemon, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: RunningDaemon | undefined;

afterEach(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  tree.cleanup();
});

describe('local chat against the running daemon', () => {
  it('answers a message typed into `nanokimi chat` through router, agent, IPC and outbox', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const chat = spawn(process.execPath, [path.join(repoRoot, 'src/cli.ts'), 'chat', '--group', 'main', '--name', 'Ana'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    chat.stdout.on('data', (d) => { out += d; });
    // Piped input, as in `echo … | nanokimi chat`: the command waits for the answer, then leaves.
    chat.stdin.end('what is the plan for today?\n');
    const code = await new Promise((r) => chat.on('exit', r));
    expect(code).toBe(0);
    expect(out).toBe("Kai: echo: what is the plan for today?\n");
  });

  it('the socket is private to the owner', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    expect(fs.statSync(tree.socketPath).mode & 0o777).toBe(0o600);
  });

  it('holds replies for a group while no terminal is connected and delivers them on connect', async () => {
    tree = makeTree();
    // The agent answers only after the first terminal has left.
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', { FILE_AGENT_DELAY_MS: '400' });
    const first = connectChat({ socketPath: tree.socketPath, group: 'main', onReply: () => undefined });
    first.send('remember the milk');
    await waitFor('message stored', () => first.unstored() === 0);
    first.close();
    const replies: string[] = [];
    await waitFor('the reply held in the outbox', () => daemon!.output().includes('Reply not delivered yet'));
    const second = connectChat({ socketPath: tree.socketPath, group: 'main', onReply: (t) => replies.push(t) });
    await waitFor('the held reply', () => replies.length > 0).catch((e: Error) => { throw new Error(`${e.message}\n${daemon!.output()}`); });
    second.close();
    expect(replies).toEqual(['echo: remember the milk']);
  });

  it('refuses a terminal for a group that is not registered, saying how to list groups', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const errors: string[] = [];
    const c = connectChat({ socketPath: tree.socketPath, group: 'nope', onReply: () => undefined,
      onError: (m, fatal) => errors.push(`${fatal}:${m}`) });
    await waitFor('the refusal', () => errors.length > 0);
    c.close();
    expect(errors[0]).toMatch(/^true:no registered group has the folder "nope"; see `nanokimi groups`/);
  });
});

describe('daemon lifecycle', () => {
  it('stops cleanly on SIGTERM: exit code 0, database closed, socket removed', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'src/cli.ts');
    daemon.proc.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.output()).toContain('"msg":"Stopped"');
    expect(fs.existsSync(tree.socketPath)).toBe(false);
    expect(fs.existsSync(path.join(tree.dataDir, 'nanokimi.db-wal'))).toBe(false);
  });

  it('a SIGTERM while it starts (Docker slow to answer) is a clean stop once started, not a death half-way', async () => {
    tree = makeTree();
    // An engine socket that takes the connection and says nothing holds the daemon in its start-up.
    const dockerSocket = path.join(tree.root, 'docker.sock');
    const held: net.Socket[] = [];
    const engine = net.createServer((c) => held.push(c));
    await new Promise<void>((r) => engine.listen(dockerSocket, r));
    try {
      daemon = launchDaemon(tree, 'src/cli.ts', { DOCKER_HOST: `unix://${dockerSocket}` });
      await waitFor('the daemon asking the engine', () => held.length > 0);
      daemon.proc.kill('SIGTERM');
      await waitFor('the signal taken', () => daemon!.output().includes('"msg":"Signal received"'));
      for (const c of held) c.destroy();
      expect(await daemon.exited).toBe(0);
    } finally {
      engine.close();
    }
    const out = daemon.output();
    expect(out).toContain('the connection to the Docker engine was lost');
    expect(out.indexOf('NanoKimi is running')).toBeLessThan(out.indexOf('"msg":"Stopped"'));
    expect(fs.existsSync(tree.socketPath)).toBe(false);
    expect(fs.existsSync(path.join(tree.dataDir, 'nanokimi.db-wal'))).toBe(false);
  });

  it('refuses to start on a bad .env value, naming the key, the value and the expected form', async () => {
    tree = makeTree();
    const res = spawnSync(process.execPath, [path.join(repoRoot, 'src/cli.ts'), 'start'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: tree.dataDir, MAX_CONCURRENT_CONTAINERS: 'lots' }, encoding: 'utf8' });
    expect(res.status).toBe(78);
    expect(res.stderr).toContain('MAX_CONCURRENT_CONTAINERS="lots" is not valid: expected a whole number from 1 to 64');
    expect(res.stderr).toContain('.env.example describes every key');
  });
});
