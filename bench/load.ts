/**
 * @module Load and soak: the real daemon process (with the file agent: answers after a random delay,
 * through the same IPC files a container writes, from a process of its own as containers are), 50
 * groups, 10,000 messages in bursts through the local channel, and the daemon killed (-9) and
 * restarted in the middle. Prints messages in, answers out, lost, answered twice, the latency from a
 * message to the answer that covers it, the daemon's peak memory and the database size, and the
 * host's own share: a message to the daemon's "stored", an agent's answer file to the chat (both as
 * the terminals see them, their own delays included), the same inside the daemon (from its reading a
 * message to stored, from an answer file to its reply queued: the "host overhead"; and in how
 * few bursts, or moments, the slowest 1 % of each came), the event loop (how busy the daemon's is,
 * how late a timer fires in it and in a bare Node process beside it: the machine's own floor), and
 * the daemon's CPU time per message. What waited on a restart (sent, or answered, before its terminal
 * had reconnected to the new daemon) is counted apart from the steady state. Passes or fails nothing.
 * Run: `node bench/load.ts [messages] [groups] [restarts] [pause-ms]` (default 10000 50 2, and a pause of
 * 50-200 ms between bursts of 100: about 800 messages a second); LOAD_NODE_OPTIONS adds Node
 * options to the daemon (e.g. --heapsnapshot-signal=SIGUSR2 to look at its heap).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connectChat, type ChatClient } from '../src/channels/local/client.ts';
import { registerGroup } from '../src/groups/register.ts';
import { openDb } from '../src/store/db.ts';
import { createStores } from '../src/store/stores.ts';
import { makeTree, spawnDaemon, waitFor, type RunningDaemon } from '../test/e2e/spawn-daemon.ts';
import { serviceNode } from './service-env.ts';

const [total = 10_000, groupCount = 50, restarts = 2, pauseMs] = process.argv.slice(2).map(Number);
const AGENT_DELAY = '20-200';
const tree = makeTree();
fs.mkdirSync(tree.dataDir, { recursive: true });
const folders = Array.from({ length: groupCount }, (_, i) => `g${String(i + 1).padStart(2, '0')}`);
const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
for (const folder of folders) registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: `${folder}@g.us`, name: folder, folder });
stores.db.close();

const service = serviceNode();
const env = { ...service.env, NODE_OPTIONS: process.env.LOAD_NODE_OPTIONS ?? '', FILE_AGENT_PROCESS: '1', FILE_AGENT_REPLY: 'timed', FILE_AGENT_DELAY_MS: AGENT_DELAY, AGENT_IDLE_SECONDS: '2', MAX_CONCURRENT_CONTAINERS: String(groupCount), LOG_LEVEL: 'warn',
  NODE_COMPILE_CACHE: path.join(tree.root, 'node-compile-cache'), LOAD_START_MODULES: '1', LOAD_TIMINGS_FILE: path.join(tree.root, 'timings'),
  FILE_AGENT_PUBLISHED_LOG: path.join(tree.root, 'published') };
// As the unit runs it: from a compile cache filled before (scripts/warm-compile-cache.sh); here a
// first start and stop fills it, since the fixture's graph is not quite `start`'s.
const warming = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', { ...env, LOG_LEVEL: 'info' }, service.nodeArgs);
warming.proc.kill('SIGTERM');
await warming.exited;
let daemon: RunningDaemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', { ...env, LOG_LEVEL: 'info' }, service.nodeArgs);
let peakRss = 0;
/** CPU seconds each daemon process had used when last looked at (a killed one keeps its last figure). */
const cpuByPid = new Map<number, number>();
const TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux
const sampleDaemon = () => {
  try {
    const pid = daemon.proc.pid!;
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    peakRss = Math.max(peakRss, kb * 1024);
    // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the command name's closing parenthesis.
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    cpuByPid.set(pid, (Number(stat[11]) + Number(stat[12])) / TICKS_PER_SECOND);
  } catch { /* between a kill and the restart */ }
};
const sampler = setInterval(sampleDaemon, 100);

const sentAt = new Map<string, number>();
const answers = new Map<string, number>();
const latency: number[] = [];
/**
 * When each message was sent, and whether it was sent to a connected terminal in this life of the
 * daemon: one sent while its terminal was still reconnecting after a restart, or stored only by the
 * next daemon, waited on the restart, not on the host, and is counted apart.
 */
const sentById = new Map<string, { at: number; life: number; connected: boolean }>();
let life = 0;
const toStored: number[] = [];
const acrossRestart: number[] = [];
const answerToChat: number[] = [];
const answerAcrossRestart: number[] = [];
/** Per terminal: connected now, and since when (epoch ms); an answer written before that waited on the restart. */
const connectedSince = folders.map(() => null as number | null);
const clients: ChatClient[] = folders.map((folder, g) => connectChat({ socketPath: tree.socketPath, group: folder, reconnect: true,
  onConnected: () => { connectedSince[g] = Date.now(); },
  onDisconnected: () => { connectedSince[g] = null; },
  onStored: (id) => {
    const sent = sentById.get(id);
    if (sent === undefined) return;
    (sent.life === life && sent.connected ? toStored : acrossRestart).push(performance.now() - sent.at);
    sentById.delete(id);
  },
  onReply: (text) => {
    const now = performance.now();
    const parsed = /^answered at (\d+): (.*)$/s.exec(text);
    if (!parsed) return;
    const written = Number(parsed[1]);
    (written >= (connectedSince[g] ?? Infinity) ? answerToChat : answerAcrossRestart).push(Date.now() - written);
    for (const m of JSON.parse(parsed[2]!) as string[]) {
      const n = (answers.get(m) ?? 0) + 1;
      answers.set(m, n);
      if (n === 1 && sentAt.has(m)) latency.push(now - sentAt.get(m)!);
    }
  } }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const burst = 100;
const restartAt = new Set(Array.from({ length: restarts }, (_, i) => Math.floor(((i + 1) * total) / (restarts + 1))));
await waitFor('every terminal connected', () => connectedSince.every((c) => c !== null), 30_000);
const started = performance.now();
const probe = startLoopProbe();
/** When a daemon was down (killed, until the next said it runs), epoch ms: an answer written then waited on the restart. */
const down: [number, number][] = [];
for (let i = 1; i <= total; i++) {
  const g = Math.floor(Math.random() * groupCount);
  const text = `${folders[g]}-m${i}`;
  sentAt.set(text, performance.now());
  sentById.set(clients[g]!.send(text), { at: performance.now(), life, connected: connectedSince[g] !== null });
  if (i % burst === 0) await sleep(pauseMs ?? 50 + Math.random() * 150);
  if (restartAt.has(i)) {
    life++;
    const killedAt = Date.now();
    daemon.proc.kill('SIGKILL');
    await daemon.exited;
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', { ...env, LOG_LEVEL: 'info' }, service.nodeArgs);
    down.push([killedAt, Date.now()]);
  }
}
const allIn = performance.now();
await waitFor('every message answered', () => [...sentAt.keys()].every((m) => answers.has(m)), 300_000).catch(() => undefined);
const answeredAt = Date.now();
const probed = await probe.stop();
await sleep(3000); // a window for answers that would come twice
const lost = [...sentAt.keys()].filter((m) => !answers.has(m)).length;
const twice = [...answers.values()].filter((n) => n > 1).length;
sampleDaemon();
clearInterval(sampler);
const dbBytes = ['nanokimi.db', 'nanokimi.db-wal'].map((f) => path.join(tree.dataDir, f)).filter(fs.existsSync)
  .reduce((s, f) => s + fs.statSync(f).size, 0);
clients.forEach((c) => c.close());
daemon.proc.kill('SIGTERM');
await daemon.exited;
const inside = insideTheDaemon();
tree.cleanup();

/**
 * A bare Node process beside the daemon while the load runs, doing nothing but a 1 ms timer: how late
 * that fires is the wait the machine itself (its CPUs shared with the agents and the terminals)
 * puts on any process's events, the floor under the daemon's own figures.
 */
function startLoopProbe(): { stop(): Promise<{ p99: number; max: number } | null> } {
  const code = `const d = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 1 }); d.enable(); setInterval(() => {}, 60000);
    process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ p99: d.percentile(99) / 1e6, max: d.max / 1e6 })); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  // 'close', not 'exit': the figure is on stdout, which may still be draining when the process exits.
  const exited = new Promise((r) => child.once('close', r));
  // A probe that died early (its error is on stderr) leaves the figure out, not the whole run.
  return { async stop() { child.kill('SIGTERM'); await exited; try { return JSON.parse(out) as { p99: number; max: number }; } catch { return null; } } };
}

/**
 * The host's share as the daemon itself saw it (no terminal in it): a message from the moment the
 * daemon read it (its sent_at, whole milliseconds, so up to 1 ms more) to stored; an answer from
 * the moment its file appeared in messages/ (the file agents' FILE_AGENT_PUBLISHED_LOG; the agent's
 * writing and fsync before it are its own time) to its reply queued in the outbox. Times from the
 * fixture's LOAD_TIMINGS_FILE.
 */
function insideTheDaemon() {
  const stored = new Map<string, number>();
  const queued = new Map<string, number>();
  /** Each daemon process's latest event-loop line up to the last answer, and how many it wrote (its life, in quarter seconds). */
  const loops = new Map<string, { busy: number; p99: number; max: number; lines: number }>();
  for (const line of fs.readFileSync(env.LOAD_TIMINGS_FILE, 'utf8').split('\n')) {
    const [kind, key, t, ...rest] = line.split(' ');
    if (kind === 'stored') stored.set(key!, Number(t));
    else if (kind === 'queued') queued.set(key!, Number(t));
    else if (kind === 'loop' && Number(t) <= answeredAt) {
      const [busy, p99, max] = rest.map(Number);
      loops.set(key!, { busy: busy!, p99: p99!, max: max!, lines: (loops.get(key!)?.lines ?? 0) + 1 });
    }
  }
  // The longest-lived process: the steady state, not a warm-up start or a life cut short by a kill.
  const loop = [...loops.values()].sort((a, b) => b.lines - a.lines)[0];
  const db = openDb(path.join(tree.dataDir, 'nanokimi.db'));
  /** Each message's time, and its burst (its number in the text, `<folder>-m<i>`): where the tail comes from. */
  const storedInside: { burst: number; ms: number }[] = [];
  for (const r of db.prepare('SELECT msg_id, sent_at, text FROM messages').all() as { msg_id: string; sent_at: number; text: string }[]) {
    const t = stored.get(r.msg_id);
    if (t !== undefined) storedInside.push({ burst: Math.ceil(Number(/-m(\d+)$/.exec(r.text)?.[1]) / burst), ms: t - r.sent_at });
  }
  db.close();
  const toStoredInside = storedInside.map((m) => m.ms);
  const slowest = storedInside.sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(storedInside.length / 100));
  const tailBursts = new Set(slowest.map((m) => m.burst)).size;
  /** Each answer's time, and when it was queued. */
  const queuedInside: { at: number; ms: number }[] = [];
  for (const line of fs.readFileSync(env.FILE_AGENT_PUBLISHED_LOG, 'utf8').split('\n')) {
    const [kind, key, at] = line.split(' ');
    const published = Number(at);
    const t = kind === 'published' ? queued.get(key!) : undefined;
    // One that waited while a daemon was down (published before its kill or during its restart) is a restart's, not the host's.
    if (t !== undefined && !down.some(([from, to]) => published <= to && t >= from)) queuedInside.push({ at: t, ms: t - published });
  }
  const toQueuedInside = queuedInside.map((a) => a.ms);
  // The slowest 1 % of answers, by when they were queued: how many separate moments (20 ms apart or more) they came in.
  const slowAnswers = queuedInside.sort((a, b) => b.ms - a.ms).slice(0, Math.ceil(queuedInside.length / 100)).map((a) => a.at).sort((a, b) => a - b);
  const answerStalls = slowAnswers.filter((at, i) => i === 0 || at - slowAnswers[i - 1]! >= 20).length;
  return { toStoredInside, toQueuedInside, loop, tailBursts, slowest: slowest.length, answerStalls, slowAnswers: slowAnswers.length };
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
console.log(`load: ${groupCount} groups, ${total} messages in bursts of ${burst} every ${pauseMs ?? '50-200'} ms, the daemon killed -9 and restarted ${restarts} times, agents answering after ${AGENT_DELAY} ms`);
console.log(`  messages in            ${sentAt.size} (sent in ${((allIn - started) / 1000).toFixed(1)} s)`);
console.log(`  answered               ${answers.size}`);
console.log(`  lost                   ${lost}`);
console.log(`  answered twice         ${twice}`);
console.log(`  message -> answer      p50 ${pct(latency, 50).toFixed(0)} ms   p99 ${pct(latency, 99).toFixed(0)} ms (agent delay and batching included)`);
console.log('  the host\'s own share:');
console.log(`    message -> stored    p50 ${pct(toStored, 50).toFixed(1)} ms   p99 ${pct(toStored, 99).toFixed(1)} ms (received, in the database, acknowledged; ${toStored.length} messages)`);
if (acrossRestart.length) console.log(`      across a restart   p50 ${pct(acrossRestart, 50).toFixed(0)} ms   p99 ${pct(acrossRestart, 99).toFixed(0)} ms (sent before a restart or before the terminal had reconnected: ${acrossRestart.length} messages, resent by the terminal)`);
console.log(`    answer -> chat       p50 ${pct(answerToChat, 50).toFixed(1)} ms   p99 ${pct(answerToChat, 99).toFixed(1)} ms (answer file written, seen, queued, sent; ${answerToChat.length} answers)`);
if (answerAcrossRestart.length) console.log(`      across a restart   p50 ${pct(answerAcrossRestart, 50).toFixed(0)} ms   p99 ${pct(answerAcrossRestart, 99).toFixed(0)} ms (written before the terminal had reconnected to a restarted daemon: ${answerAcrossRestart.length} answers)`);
console.log(`    inside the daemon    message -> stored p50 ${pct(inside.toStoredInside, 50).toFixed(1)} ms   p99 ${pct(inside.toStoredInside, 99).toFixed(1)} ms (read from its socket, in the database; ${inside.toStoredInside.length} messages)`);
console.log(`                         answer -> queued  p50 ${pct(inside.toQueuedInside, 50).toFixed(1)} ms   p99 ${pct(inside.toQueuedInside, 99).toFixed(1)} ms (answer file in messages/, seen, its reply in the outbox; ${inside.toQueuedInside.length} answers)`);
console.log(`                         the slowest 1 % of messages (${inside.slowest}) came in ${inside.tailBursts} of the ${Math.ceil(total / burst)} bursts; the slowest 1 % of answers (${inside.slowAnswers}) were queued at ${inside.answerStalls} moments (20 ms or more apart)`);
if (inside.loop) console.log(`    event loop           the daemon's busy ${(inside.loop.busy * 100).toFixed(0)} % of the time; a 1 ms timer in it fires late by p99 ${inside.loop.p99.toFixed(1)} ms, at most ${inside.loop.max.toFixed(0)} ms (its longest-lived process)`);
if (probed) console.log(`                         in a bare Node process beside it, p99 ${probed.p99.toFixed(1)} ms, at most ${probed.max.toFixed(0)} ms (the machine's own wait, under everything above)`);
const cpuSeconds = [...cpuByPid.values()].reduce((a, b) => a + b, 0);
console.log(`    daemon CPU           ${cpuSeconds.toFixed(1)} s in all, ${((cpuSeconds * 1000) / sentAt.size).toFixed(2)} ms per message (the file agents run in a process of their own)`);
console.log(`  daemon peak RSS        ${(peakRss / 1024 / 1024).toFixed(0)} MB (the file agents not included)`);
console.log(`  database               ${(dbBytes / 1024 / 1024).toFixed(1)} MB`);
process.exit(0);
