/**
 * @module Benchmark: the daemon's memory once started and idle. The real daemon (with the file
 * agent, and every module `nanokimi start` loads: Baileys, dockerode), with the unit's Node flags and
 * a compile cache filled by a first start, as the service runs; no chat connected, 10 groups. Prints
 * its resident memory 3 s after it says it runs, p50 and range over several starts; passes or fails
 * nothing. bench/load.ts gives the peak under load.
 * Run: `node bench/daemon-memory.ts [starts]` (default 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { registerGroup } from '../src/groups/register.ts';
import { openDb } from '../src/store/db.ts';
import { createStores } from '../src/store/stores.ts';
import { makeTree, spawnDaemon } from '../test/e2e/spawn-daemon.ts';
import { serviceNode } from './service-env.ts';

const starts = Number(process.argv[2] ?? 5);
const tree = makeTree();
fs.mkdirSync(tree.dataDir, { recursive: true });
const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
for (let i = 1; i <= 10; i++) registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: `g${i}@g.us`, name: `g${i}`, folder: `g${i}` });
stores.db.close();
const service = serviceNode();
const env = { ...service.env, FILE_AGENT_PROCESS: '1', LOAD_START_MODULES: '1', NODE_COMPILE_CACHE: path.join(tree.root, 'node-compile-cache') };
const fixture = 'test/fixtures/daemon-with-file-agent.ts';

const statusKb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const rss: number[] = [];
const anon: number[] = [];
try {
  for (let i = 0; i <= starts; i++) {
    const daemon = await spawnDaemon(tree, fixture, env, service.nodeArgs);
    await new Promise((r) => setTimeout(r, 3000));
    // The first start fills the compile cache and is not counted.
    if (i > 0) { rss.push(statusKb(daemon.proc.pid!, 'VmRSS') / 1024); anon.push(statusKb(daemon.proc.pid!, 'RssAnon') / 1024); }
    daemon.proc.kill('SIGTERM');
    await daemon.exited;
  }
} finally {
  tree.cleanup();
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (name: string, xs: number[]) => `  ${name.padEnd(26)} p50 ${p50(xs).toFixed(0)} MB   range ${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} MB`;
console.log(`daemon memory, idle 3 s after start, ${starts} starts, ${process.version}`);
console.log(line('resident (VmRSS)', rss));
console.log(line('of which anonymous', anon));
