/** The AgentRunner implementations that run without Docker, against the one contract. (The Docker runner is held to the same behaviour by test/integration.) */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKimiWorld } from '../fixtures/kimi-world.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { createProcessAgent } from '../fixtures/process-agent.ts';
import { agentRunnerContract } from './agent-runner.contract.ts';

const tempRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nk-agent-contract-'));

agentRunnerContract('the file agent (the test double that writes IPC files as a container does)', async () => {
  const root = tempRoot();
  return { runner: createFileAgent(), dataDir: path.join(root, 'data'), close: async () => fs.rmSync(root, { recursive: true, force: true }) };
});

agentRunnerContract('the process agent (the real agent-runner and the real Kimi Code CLI, against the fake API)', async () => {
  const root = tempRoot();
  const dataDir = path.join(root, 'data');
  const groupsDir = path.join(root, 'groups');
  for (const d of ['main', 'global']) fs.mkdirSync(path.join(groupsDir, d), { recursive: true });
  const world = await startKimiWorld();
  world.install(dataDir);
  const runner = createProcessAgent({ paths: { projectRoot: root, groupsDir, dataDir }, runDir: path.join(root, 'run'),
    env: { KIMI_LOOP_MAX_ATTEMPTS_PER_STEP: '2' } });
  return { runner, dataDir, close: async () => { await world.close(); fs.rmSync(root, { recursive: true, force: true }); } };
});
