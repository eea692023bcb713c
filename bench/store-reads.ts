/**
 * @module Benchmark: the store reads the daemon makes on every message and reply, against a real
 * SQLite file with 50 groups and 20,000 messages, each asked with the folder or chat changing from
 * call to call as under load. Prints microseconds per call (the median of 5 rounds); passes or
 * fails nothing. A statement SQLite compiles again on every call shows here as a read several
 * times slower than its neighbours (see src/store/query-plans.test.ts).
 * Run: `node bench/store-reads.ts [calls-per-round]` (default 20000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../src/store/db.ts';
import { createStores } from '../src/store/stores.ts';

const calls = Number(process.argv[2] ?? 20_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-store-reads-'));
const stores = createStores(openDb(path.join(dir, 'nanokimi.db')));
const MESSAGES = 20_000;
const folders = Array.from({ length: 50 }, (_, i) => `g${String(i + 1).padStart(2, '0')}`);
stores.db.transaction(() => {
  for (const folder of folders) stores.groups.insert({ jid: `${folder}@g.us`, name: folder, folder, requiresTrigger: true, isMain: false, container: {}, createdAt: 0 });
  for (let i = 0; i < MESSAGES; i++) {
    const folder = folders[i % folders.length]!;
    stores.messages.insert({ chatJid: `${folder}@g.us`, id: `m${i}`, senderId: 'p@s.whatsapp.net', senderName: 'P', text: `@Kai ${i}`, sentAt: i },
      folder, true);
  }
})();

const reads: Record<string, (i: number) => unknown> = {
  'groups.byJid': (i) => stores.groups.byJid(`${folders[i % folders.length]}@g.us`),
  'groups.cursor': (i) => stores.groups.cursor(folders[i % folders.length]!),
  'messages.has': (i) => stores.messages.has(`${folders[i % folders.length]}@g.us`, `m${i % MESSAGES}`),
  'messages.lastTriggerAfter': (i) => stores.messages.lastTriggerAfter(folders[i % folders.length]!, MESSAGES - 1000),
  'messages.countAfter': (i) => stores.messages.countAfter(`${folders[i % folders.length]}@g.us`, MESSAGES - 1000),
  'runs.latestOpen': (i) => stores.runs.latestOpen(folders[i % folders.length]!),
  'outbox.next': (i) => stores.outbox.next(`${folders[i % folders.length]}@g.us`),
};

console.log(`store reads: ${calls} calls a round, 5 rounds, microseconds per call (median)`);
for (const [name, read] of Object.entries(reads)) {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) read(i);
    rounds.push(((performance.now() - start) * 1000) / calls);
  }
  rounds.sort((a, b) => a - b);
  console.log(`  ${name.padEnd(28)} ${rounds[2]!.toFixed(2)}`);
}
stores.db.close();
fs.rmSync(dir, { recursive: true, force: true });
