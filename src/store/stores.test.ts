/** The stores stamp what they record with the clock they are given, not the machine's. */
import { expect, it } from 'vitest';
import { openDb } from './db.ts';
import { createStores } from './stores.ts';

it('stamps queued and sent replies, run starts and ends, and kept sessions with the clock', () => {
  let t = 1_000;
  const stores = createStores(openDb(':memory:'), () => t);
  stores.groups.insert({ folder: 'main', jid: 'local:main', name: 'Main', requiresTrigger: false, isMain: true, container: {}, createdAt: 0 });
  const id = stores.outbox.add({ sourceKey: 'k', groupFolder: 'main', chatJid: 'local:main', text: 'hi', runId: null })!;
  const done = stores.runs.start('main', 'chat', 'local:main', 1, 1);
  const cut = stores.runs.start('main', 'chat', 'local:main', 2, 1);
  t = 2_000;
  stores.outbox.markSent(id);
  stores.runs.finish(done, 'done');
  stores.groups.saveSession('main', 's-1');
  t = 3_000;
  stores.runs.interruptAll();
  const row = (sql: string) => stores.db.prepare(sql).all();
  expect(row('SELECT created_at AS queued, sent_at AS sent FROM outbox')).toEqual([{ queued: 1_000, sent: 2_000 }]);
  expect(row('SELECT id, started_at AS started, ended_at AS ended FROM runs ORDER BY id')).toEqual([
    { id: done, started: 1_000, ended: 2_000 }, { id: cut, started: 1_000, ended: 3_000 }]);
  expect(row('SELECT updated_at AS at FROM sessions')).toEqual([{ at: 2_000 }]);
});
