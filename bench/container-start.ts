/**
 * @module Benchmark: container start to the first IPC reply file, through our Docker agent (dockerode) and
 * through `docker run` on the CLI (how the product we replace starts containers), side by side.
 * Prints figures; passes or fails nothing. Needs a Docker engine and the test images
 * (they are built if missing). Run: `node bench/container-start.ts [rounds]`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDockerAgent } from '../src/agent/docker-agent.ts';
import { createDockerEngine } from '../src/agent/docker-engine.ts';
import { planMounts } from '../src/agent/mounts.ts';
import { silentLogger } from '../src/logger.ts';
import { buildTestImages, makeProjectTree, PROBE_IMAGE, TEST_USER } from '../test/integration/docker-harness.ts';

const rounds = Number(process.argv[2] ?? 10);
await buildTestImages();
const tree = makeProjectTree(['bench']);
const ipc = path.join(tree.dataDir, 'ipc', 'bench');
const paths = { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir };
const input = { type: 'messages' as const, text: JSON.stringify({ checks: ['id'], then: 'exit' }), fromSeq: 1, toSeq: 1 };

/** Resolves when the first reply file appears in messages/ (inotify), with the time it took. */
function firstReply(t0: number): Promise<number> {
  return new Promise((resolve) => {
    const dir = path.join(ipc, 'messages');
    const w = fs.watch(dir, () => {
      if (fs.readdirSync(dir).some((n) => !n.startsWith('.'))) { w.close(); resolve(performance.now() - t0); }
    });
  });
}
const clear = () => { for (const n of fs.readdirSync(path.join(ipc, 'messages'))) fs.rmSync(path.join(ipc, 'messages', n)); };

const agent = createDockerAgent({ engine: createDockerEngine(), paths, image: PROBE_IMAGE, user: TEST_USER,
  limits: { memoryMb: 256, cpus: 1, pids: 64 }, network: 'none', assistantName: 'Kai', timeZone: 'UTC',
  mountAllowlist: '/nonexistent', log: silentLogger() });
const group = { folder: 'bench', jid: 'bench@g.us', name: 'bench', requiresTrigger: true, isMain: false, container: {}, createdAt: 0 };

async function viaAgent(i: number): Promise<number> {
  clear();
  const t0 = performance.now();
  const seen = firstReply(t0);
  await agent.run({ runId: i, group, input, sessionId: 'bench', chatJid: group.jid, ipcDir: ipc, signal: new AbortController().signal });
  return seen;
}

// The same container through the CLI: a `docker run` process per start.
const cliArgs = ['run', '--rm', '--user', TEST_USER, '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
  '--network', 'none', '-m', '256m', '--pids-limit', '64', '--init',
  ...planMounts({ folder: 'bench', isMain: false, paths, projectSecrets: [] })
    .flatMap((m) => (m.kind === 'bind' ? ['-v', `${m.source}:${m.target}${m.readonly ? ':ro' : ''}`] : [])),
  PROBE_IMAGE];
async function viaCli(i: number): Promise<number> {
  clear();
  fs.writeFileSync(path.join(ipc, 'input', `${i}.json`), JSON.stringify(input));
  fs.chmodSync(path.join(ipc, 'input', `${i}.json`), 0o644);
  const t0 = performance.now();
  const seen = firstReply(t0);
  await promisify(execFile)('docker', cliArgs);
  return seen;
}

// One warm-up each, then alternate so both see the same machine load.
await viaAgent(-1);
await viaCli(-1);
const ours: number[] = [];
const cli: number[] = [];
for (let i = 0; i < rounds; i++) {
  ours.push(await viaAgent(i));
  cli.push(await viaCli(i));
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(0);
  return `p50 ${q(0.5)} ms  p90 ${q(0.9)} ms  max ${s.at(-1)!.toFixed(0)} ms`;
};
console.log(`Container start -> first IPC reply file, ${rounds} runs each (probe image, same mounts and limits)`);
console.log(`  Docker agent        ${stats(ours)}`);
console.log(`  docker run (CLI)    ${stats(cli)}`);
tree.cleanup();
