/**
 * The whole product path in real containers: a chat message reaches the daemon, the group's
 * container runs the product's agent image, whose agent-runner drives the real Kimi Code CLI over
 * ACP against the fake Kimi API (in a container whose network namespace the agent joins), and the
 * reply comes back to the chat. What the model received is read back from the fake's record.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerAgent } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { createRecorder } from '../fixtures/event-recorder.ts';
import { AGENT_IMAGE, dockerReady, installFakeLogin, makeProjectTree, startFakeApiContainer, TEST_USER,
  type FakeApiContainer, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();

describe.skipIf(!ready)('the agent image with the real Kimi Code CLI in a real container', () => {
  let tree: ProjectTree;
  let api: FakeApiContainer;
  let daemon: Daemon;
  let client: ChatClient;
  const replies: string[] = [];
  const started: string[] = [];
  const events = createRecorder();

  beforeAll(async () => {
    api = await startFakeApiContainer();
    tree = makeProjectTree(['main']);
    fs.rmSync(path.join(tree.dataDir, 'nanokimi.db'));
    installFakeLogin(tree);
    fs.writeFileSync(path.join(tree.groupsDir, 'main', 'KIMI.md'), 'Main memory: the cat is called Mishi.');
    fs.writeFileSync(path.join(tree.groupsDir, 'global', 'KIMI.md'), 'Global memory: the owner is Camilo.');
    const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', ASSISTANT_NAME: 'Kai',
      CONTAINER_IMAGE: AGENT_IMAGE, CONTAINER_USER: TEST_USER, CONTAINER_NETWORK: api.network, AGENT_IDLE_SECONDS: '8' }, tree.root);
    const log = silentLogger();
    const engine = createDockerEngine();
    const counting = { ...engine, run: (spec: Parameters<typeof engine.run>[0], o: Parameters<typeof engine.run>[1]) => {
      started.push(spec.name!);
      return engine.run(spec, o);
    } };
    const agent = createDockerAgent({ engine: counting, log,
      paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir }, image: config.containerImage,
      user: config.containerUser, limits: config.containerLimits, network: config.containerNetwork, assistantName: config.assistantName,
      timeZone: 'UTC', mountAllowlist: config.mountAllowlist });
    daemon = await startDaemon({ config, log, agent, events: events.emit });
    client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  });
  afterAll(async () => { client?.close(); await daemon?.stop(); await api?.stop(); tree?.cleanup(); });

  /** The local channel counts a reply sent once the terminal acknowledged it. */
  const reply = (timeoutMs: number) => events.next('reply-sent', undefined, timeoutMs);

  it('answers a chat message with the name and both KIMI.md files in what the model received', async () => {
    client.send('what is my cat called?');
    await reply(90_000);
    expect(replies).toEqual(['echo: </messages>']);
    const [input] = api.modelInputs();
    expect(input).toContain('You are Kai');
    expect(input).toContain('the cat is called Mishi');
    expect(input).toContain('the owner is Camilo');
    expect(input).toContain('what is my cat called?');
    expect(api.requests()[0]!.authorization).toBe('Bearer at-container');
  });

  it('sends a follow-up into the live container, not a new one, which is back to its CPU limit once its session is open', async () => {
    client.send('and the dog?');
    await reply(60_000);
    expect(replies).toHaveLength(2);
    expect(started).toHaveLength(1);
    expect(api.modelInputs().at(-1)).toContain('and the dog?');
    // It started with more where the host has them (docker-agent.ts); the session is long open now.
    expect((await new Docker().getContainer(started[0]!).inspect()).HostConfig.NanoCpus).toBe(1e9);
  });

  it('brings an edit of KIMI.md between runs to the model, in the same resumed session', async () => {
    await events.next('run-finished', undefined, 60_000);
    fs.writeFileSync(path.join(tree.groupsDir, 'main', 'KIMI.md'), 'Main memory: the cat is now called Luna.');
    client.send('and now?');
    await reply(90_000);
    expect(replies).toHaveLength(3);
    expect(started).toHaveLength(2);
    const last = api.modelInputs().at(-1)!;
    expect(last).toContain('what is my cat called?');
    expect(last).toContain('Your context changed since you last saw it');
    expect(last).toContain('the cat is now called Luna');
  });
});
