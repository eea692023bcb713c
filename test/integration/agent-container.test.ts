/**
 * The whole product path in a real container: a chat message reaches the daemon, the group's
 * container runs the image's agent-runner, which drives the fake `kimi` through the real SDK with
 * the global and group KIMI.md in the model's input, and the reply comes back to the chat.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerAgentRunner } from '../../src/agent/docker-runner.ts';
import { createDockerRuntime } from '../../src/agent/docker-runtime.ts';
import { connectChat } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { waitFor } from '../e2e/spawn-daemon.ts';
import { dockerReady, FAKE_AGENT_IMAGE, makeProjectTree, TEST_USER, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();

/** Every line the fake CLI stored in the group's session history (kept on the host by the sessions mount). */
function sessionHistory(dataDir: string): string {
  const root = path.join(dataDir, 'sessions', 'main', '.kimi');
  const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('context.jsonl'));
  return files.map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('');
}

describe.skipIf(!ready)('the agent image in a real container', () => {
  let tree: ProjectTree;
  let daemon: Daemon;
  afterAll(async () => { await daemon?.stop(); tree?.cleanup(); });

  it('answers a chat message with the group\'s and the global KIMI.md in the model input', async () => {
    tree = makeProjectTree(['main']);
    fs.rmSync(path.join(tree.dataDir, 'nanokimi.db'));
    fs.writeFileSync(path.join(tree.groupsDir, 'main', 'KIMI.md'), 'Main memory: the cat is called Mishi.');
    fs.writeFileSync(path.join(tree.groupsDir, 'global', 'KIMI.md'), 'Global memory: the owner is Camilo.');
    const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', ASSISTANT_NAME: 'Kai',
      CONTAINER_IMAGE: FAKE_AGENT_IMAGE, CONTAINER_USER: TEST_USER, AGENT_IDLE_SECONDS: '2' }, tree.root);
    const log = silentLogger();
    const agent = createDockerAgentRunner({ runtime: createDockerRuntime(), log,
      paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir }, image: config.containerImage,
      user: config.containerUser, limits: config.containerLimits, network: 'none', assistantName: config.assistantName,
      timeZone: 'UTC', mountAllowlist: config.mountAllowlist });
    daemon = await startDaemon({ config, log, agent });

    const replies: string[] = [];
    const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
    client.send('what is my cat called?');
    await waitFor('the reply from the container', () => replies.length > 0, 60_000);
    client.close();

    expect(replies).toEqual(['echo: </messages>']);
    const history = sessionHistory(tree.dataDir);
    expect(history).toContain('You are Kai');
    expect(history).toContain('the cat is called Mishi');
    expect(history).toContain('the owner is Camilo');
    expect(history).toContain('what is my cat called?');
  });
});
