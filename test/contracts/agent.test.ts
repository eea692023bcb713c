/**
 * Every Agent against the one contract: the file agent, the process agent, and the Docker
 * agent with the product's agent image on the real engine (skipped, loudly, when no engine answers).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { createDockerAgent, instanceId } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { silentLogger } from '../../src/logger.ts';
import { startKimiWorld } from '../fixtures/kimi-world.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { createProcessAgent } from '../fixtures/process-agent.ts';
import { AGENT_IMAGE, dockerReady, installFakeLogin, makeProjectTree, startFakeApiContainer, TEST_USER } from '../integration/docker-harness.ts';
import { agentContract } from './agent.contract.ts';

const tempRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nk-agent-contract-'));

agentContract('the file agent (the test double that writes IPC files as a container does)', async () => {
  const root = tempRoot();
  return { agent: createFileAgent(), dataDir: path.join(root, 'data'), close: async () => fs.rmSync(root, { recursive: true, force: true }) };
});

agentContract('the process agent (the real agent-runner and the real Kimi Code CLI, against the fake API)', async () => {
  const root = tempRoot();
  const dataDir = path.join(root, 'data');
  const groupsDir = path.join(root, 'groups');
  for (const d of ['main', 'global']) fs.mkdirSync(path.join(groupsDir, d), { recursive: true });
  const world = await startKimiWorld();
  world.install(dataDir);
  const agent = createProcessAgent({ paths: { projectRoot: root, groupsDir, dataDir }, runDir: path.join(root, 'run'),
    env: { KIMI_LOOP_MAX_ATTEMPTS_PER_STEP: '2' } });
  return { agent, dataDir, close: async () => { await world.close(); fs.rmSync(root, { recursive: true, force: true }); } };
});

const ready = await dockerReady();

describe.skipIf(!ready)('on a real Docker engine', () => {
  agentContract('the Docker agent (the agent image, the real CLI inside, the fake API in its own container)', async () => {
    const engine = createDockerEngine();
    if (!(await engine.imageExists(AGENT_IMAGE))) {
      throw new Error(`${AGENT_IMAGE} is not built: run the whole suite once (its global setup builds the test images)`);
    }
    const tree = makeProjectTree(['main']);
    const api = await startFakeApiContainer();
    installFakeLogin(tree);
    const agent = createDockerAgent({ engine, log: silentLogger(),
      paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir }, image: AGENT_IMAGE, user: TEST_USER,
      limits: { memoryMb: 1024, cpus: 1, pids: 256 }, network: api.network as `container:${string}`, assistantName: 'Kai',
      timeZone: 'UTC', mountAllowlist: path.join(tree.root, 'no-allowlist.json') });
    return { agent, dataDir: tree.dataDir, async close() {
      // A test that failed mid-run leaves its container running: it goes before the API it talks to.
      await engine.removeOrphans(instanceId(tree.dataDir));
      await api.stop();
      tree.cleanup();
    } };
  });
});
