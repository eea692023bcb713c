/**
 * @module Benchmark: storing messages through the group commit (src/store/group-commit.ts), against
 * a real SQLite file (synchronous=FULL, as the daemon runs it) with 50 groups: a burst of 100
 * messages asked for in one turn of the event loop (one transaction, one fsync), and one message a
 * turn (a commit of its own each). Prints the median over rounds, in microseconds per message; passes
 * or fails nothing.
 * Run: `node bench/store-writes.ts [rounds]` (default 50).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../src/store/db.ts';
import { createStores } from '../src/store/stores.ts';

const rounds = Number(process.argv[2] ?? 50);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-store-writes-'));
const stores = createStores(openDb(path.join(dir, 'nanokimi.db')));
const folders = Array.from({ length: 50 }, (_, i) => `g${String(i + 1).padStart(2, '0')}`);
for (const folder of folders) stores.groups.insert({ jid: `${folder}@g.us`, name: folder, folder, requiresTrigger: true, isMain: false, container: {}, createdAt: 0 });

let n = 0;
const store = () => {
  const folder = folders[n++ % folders.length]!;
  return stores.messages.insertSoon({ chatJid: `${folder}@g.us`, id: `m${n}`, senderId: 'p@s.whatsapp.net', senderName: 'P',
    text: `@Kai message ${n}, about as long as a chat message is`, sentAt: n }, folder, true);
};
/** Microseconds per message of `turns` turns of `perTurn` messages each. */
async function measure(perTurn: number, turns: number): Promise<number> {
  const start = performance.now();
  for (let t = 0; t < turns; t++) await Promise.all(Array.from({ length: perTurn }, store));
  return ((performance.now() - start) * 1000) / (perTurn * turns);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const burst: number[] = [];
const single: number[] = [];
for (let r = 0; r < rounds; r++) {
  burst.push(await measure(100, 1));
  single.push(await measure(1, 10));
}
console.log(`store writes: messages through the group commit, ${rounds} rounds, microseconds per message (median)`);
console.log(`  a burst of 100 in one turn     ${median(burst).toFixed(1)}`);
console.log(`  one message a turn             ${median(single).toFixed(1)}`);
stores.db.close();
fs.rmSync(dir, { recursive: true, force: true });
