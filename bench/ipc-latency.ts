/**
 * @module Benchmark: how long a reply file written into a group's IPC directory takes to reach the
 * chat (watcher -> validate -> authorize -> outbox -> channel -> terminal client). Prints p50/p99/max;
 * passes or fails nothing. Run: `node bench/ipc-latency.ts [count]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { connectChat } from '../src/channels/local/client.ts';
import { loadConfig } from '../src/config.ts';
import { startDaemon } from '../src/daemon.ts';
import { silentLogger } from '../src/logger.ts';

const count = Number(process.argv[2] ?? 200);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-bench-'));
const config = loadConfig({ DATA_DIR: 'data', GROUPS_DIR: 'groups', TZ: 'UTC' }, root);
const daemon = await startDaemon({ config, log: silentLogger(),
  agent: { run: async () => ({ ok: true }) } });

const arrived = new Map<string, number>();
let onArrive: (() => void) | undefined;
const client = connectChat({ socketPath: config.socketPath, group: 'main',
  onReply: (text) => { arrived.set(text, performance.now()); onArrive?.(); } });
await new Promise((r) => setTimeout(r, 300));

const samples: number[] = [];
const dir = path.join(config.ipcDir, 'main', 'messages');
for (let i = 0; i < count; i++) {
  const text = `reply ${i}`;
  const done = new Promise<void>((r) => { onArrive = () => arrived.has(text) && r(); });
  const t0 = performance.now();
  await writeJsonAtomic(dir, { type: 'message', text });
  await done;
  samples.push(arrived.get(text)! - t0);
}

samples.sort((a, b) => a - b);
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(2);
console.log(`IPC reply file -> terminal client, ${count} replies, one at a time`);
console.log(`p50 ${at(0.5)} ms   p99 ${at(0.99)} ms   max ${samples.at(-1)!.toFixed(2)} ms`);

client.close();
await daemon.stop();
fs.rmSync(root, { recursive: true, force: true });
