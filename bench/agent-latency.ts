/**
 * @module Benchmark: a chat message in, to the first reply in the chat, through the real daemon, the
 * real agent-runner and the real Kimi Code CLI, with the fake Kimi API answering at once. Cold: a new
 * agent (container) for the message. Warm: a follow-up into the live one. Prints p50/p90 with a
 * breakdown from the runner's own time-stamped log lines and the fake API's record; passes or fails
 * nothing. With a Docker engine it runs real containers (the test images are built if missing);
 * without one, or with `--process`, the agent runs as local processes.
 * Run: `node bench/agent-latency.ts [--process] [--cpus=N] [--host-cpus=N] [cold-rounds] [warm-rounds]`
 * (containers get CONTAINER_CPUS' default, 1, unless --cpus says otherwise, and up to 2 while they
 * start where the host has them; --host-cpus=1 leaves that allowance out).
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { createDockerAgent } from '../src/agent/docker-agent.ts';
import { createDockerEngine } from '../src/agent/docker-engine.ts';
import { connectChat } from '../src/channels/local/client.ts';
import { loadConfig } from '../src/config.ts';
import { startDaemon } from '../src/daemon.ts';
import { silentLogger } from '../src/logger.ts';
import { waitFor } from '../test/e2e/spawn-daemon.ts';
import { startKimiWorld } from '../test/fixtures/kimi-world.ts';
import { createProcessAgent } from '../test/fixtures/process-agent.ts';
import { AGENT_IMAGE, buildTestImages, installFakeLogin, makeProjectTree, startFakeApiContainer, TEST_USER } from '../test/integration/docker-harness.ts';

const args = process.argv.slice(2);
const forceProcess = args.includes('--process');
const cpus = Number(args.find((a) => a.startsWith('--cpus='))?.slice(7) ?? 1);
// The host's CPUs as the runner sees them; --host-cpus=1 runs without the start-up allowance (A/B).
const hostCpus = Number(args.find((a) => a.startsWith('--host-cpus='))?.slice(12)) || undefined;
const [coldRounds = 5, warmRounds = 10] = args.filter((a) => !a.startsWith('--')).map(Number);
const useDocker = !forceProcess && await new Docker().ping().then(() => true, () => false);

const tree = makeProjectTree(['main']);
fs.rmSync(path.join(tree.dataDir, 'nanokimi.db'));
let apiRequests: () => { time: string; path: string }[];
let stopApi: () => Promise<void>;
let network = 'none';
let agentLogs: () => string[];
const log = silentLogger();
const paths = { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir };

let agent;
if (useDocker) {
  await buildTestImages();
  const api = await startFakeApiContainer();
  installFakeLogin(tree);
  apiRequests = () => api.requests() as unknown as { time: string; path: string }[];
  stopApi = () => api.stop();
  network = api.network;
  agent = createDockerAgent({ engine: createDockerEngine(), log, paths, image: AGENT_IMAGE, user: TEST_USER,
    limits: { memoryMb: 1024, cpus, pids: 256 }, network: network as `container:${string}`, assistantName: 'Kai',
    timeZone: 'UTC', mountAllowlist: '/nonexistent', ...(hostCpus ? { hostCpus } : {}) });
  const logDir = path.join(tree.groupsDir, 'main', 'logs');
  agentLogs = () => (fs.existsSync(logDir) ? fs.readdirSync(logDir).sort().map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')) : []);
} else {
  const world = await startKimiWorld();
  world.install(tree.dataDir);
  apiRequests = () => world.requests;
  stopApi = () => world.close();
  const processAgent = createProcessAgent({ paths, runDir: path.join(tree.root, 'run') });
  agent = processAgent;
  agentLogs = () => processAgent.output;
}

const base = { DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', CONTAINER_USER: TEST_USER, LOG_LEVEL: 'silent' };
const config = loadConfig({ ...base, AGENT_IDLE_SECONDS: '1' }, tree.root);
const daemon = await startDaemon({ config, log, agent });
const replies: number[] = [];
const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: () => replies.push(performance.now()) });
const running = () => daemon.stores.db.prepare("SELECT 1 FROM runs WHERE status = 'running'").get() !== undefined;
const epoch = () => Date.now() - performance.now(); // performance.now() -> epoch ms

type Sample = Record<string, number>;
/** The runner's log lines of the newest run: event -> epoch ms. */
function runnerTimes(): Record<string, number> {
  const text = agentLogs().at(-1) ?? '';
  const times: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"time"')) continue;
    try { const l = JSON.parse(line) as { time: string; event: string }; times[l.event] ??= Date.parse(l.time); } catch { /* not ours */ }
  }
  return times;
}
const modelRequestAfter = (t: number) => apiRequests().map((r) => Date.parse(r.time)).find((x) => x >= t - 5);

async function turn(text: string): Promise<{ sent: number; replied: number }> {
  const before = replies.length;
  const sent = Date.now();
  client.send(text);
  await waitFor('the reply', () => replies.length > before, 120_000);
  return { sent, replied: replies[before]! + epoch() };
}

const cold: Sample[] = [];
for (let i = 0; i < coldRounds; i++) {
  const { sent, replied } = await turn(`cold ${i}`);
  await waitFor('the run to end', () => !running(), 120_000);
  const t = runnerTimes();
  const model = modelRequestAfter(sent) ?? replied;
  cold.push({ total: replied - sent, 'container start': t['runner-boot']! - sent, 'CLI ready': t['cli-ready']! - t['runner-boot']!,
    'session ready': t['session-ready']! - t['cli-ready']!, 'to the model': model - t['session-ready']!, 'model to chat': replied - model });
}

// Warm: a run kept alive, each message a follow-up piped into it.
const warm: Sample[] = [];
const idleLong = loadConfig({ ...base, AGENT_IDLE_SECONDS: '600' }, tree.root);
await daemon.stop();
const daemon2 = await startDaemon({ config: idleLong, log, agent });
const client2 = connectChat({ socketPath: idleLong.socketPath, group: 'main', onReply: () => replies.push(performance.now()) });
const turn2 = async (text: string) => {
  const before = replies.length;
  const sent = Date.now();
  client2.send(text);
  await waitFor('the reply', () => replies.length > before, 120_000);
  return { sent, replied: replies[before]! + epoch() };
};
await turn2('warm-up: starts the run');
for (let i = 0; i < warmRounds; i++) {
  const { sent, replied } = await turn2(`warm ${i}`);
  const model = modelRequestAfter(sent) ?? replied;
  warm.push({ total: replied - sent, 'host and CLI to the model': model - sent, 'model to chat': replied - model });
}

client.close();
client2.close();
await daemon2.stop();
await stopApi();
tree.cleanup();

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
function report(name: string, samples: Sample[]): void {
  console.log(`\n${name} (${samples.length} rounds), milliseconds`);
  for (const key of Object.keys(samples[0] ?? {})) {
    const xs = samples.map((s) => s[key]!).filter(Number.isFinite);
    console.log(`  ${key.padEnd(28)} p50 ${pct(xs, 50).toFixed(0).padStart(6)}   p90 ${pct(xs, 90).toFixed(0).padStart(6)}`);
  }
}
console.log(`agent latency: ${useDocker ? `real containers (agent image on the local base, ${cpus} CPU)` : 'local processes'}, real Kimi Code CLI, fake API answering at once`);
report('cold: a new agent for the message', cold);
report('warm: a follow-up into the live agent', warm);
process.exit(0);
