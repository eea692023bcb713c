import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from './db.ts';
import { createGroupCommit, type CommitSoon } from './group-commit.ts';

let dir: string;
let db: Db;
/** A second connection, as another process would see the file: only what is committed. */
let reader: Database.Database;
let soon: CommitSoon;
let commits: number;
let savepoints: number;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  db = openDb(path.join(dir, 'test.db'));
  db.exec('CREATE TABLE t (v TEXT NOT NULL)');
  reader = new Database(path.join(dir, 'test.db'), { readonly: true });
  // Counts the transactions begun (outer ones) and the savepoints (nested ones).
  commits = 0;
  savepoints = 0;
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const t = transaction(fn);
    return Object.assign((...a: unknown[]) => { if (db.inTransaction) savepoints += 1; else commits += 1; return t(...a); }, t);
  }) as typeof db.transaction;
  soon = createGroupCommit(db);
});
afterEach(() => { reader.close(); db.close(); fs.rmSync(dir, { recursive: true, force: true }); });

const insert = (v: unknown) => () => Number(db.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid);
const seen = () => (reader.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);

describe('group commit', () => {
  it('commits the writes of one turn together, in the order asked, each caller getting its result once it is on disk', async () => {
    const pending = [soon(insert('a')), soon(insert('b')), soon(insert('c'))];
    expect(seen()).toEqual([]); // nothing runs before the turn ends
    const onDisk: string[][] = [];
    const results = await Promise.all(pending.map((p) => p.then((id) => { onDisk.push(seen()); return id; })));
    expect(results).toEqual([1, 2, 3]);
    expect(onDisk).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(commits).toBe(1);
    // The next turn's writes are a commit of their own.
    await soon(insert('d'));
    expect(commits).toBe(2);
  });

  it('runs a turn in which no write throws without a savepoint per write (a third of an insert\'s cost)', async () => {
    await Promise.all([soon(insert('a')), soon(insert('b')), soon(insert('c'))]);
    expect(savepoints).toBe(0);
    expect(seen()).toEqual(['a', 'b', 'c']);
  });

  it('fails only the write that throws; the others of its turn commit, each once', async () => {
    const results = await Promise.allSettled([soon(insert('a')), soon(insert(null)), soon(() => { throw new Error('refused'); }), soon(insert('d'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('refused'));
    // The turn was undone and run again with a savepoint per write: 'a' ran twice, and is there once.
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(seen()).toEqual(['a', 'd']);
  });

  it('undoes what a failed write did before it threw', async () => {
    await Promise.allSettled([soon(() => { insert('half')(); throw new Error('then failed'); }), soon(insert('b'))]);
    expect(seen()).toEqual(['b']);
  });

  it('runs no write outside the transaction once SQLite has ended it: the whole turn fails, nothing after is committed', async () => {
    // Stands for SQLite rolling back on its own (disk full, I/O error).
    const results = await Promise.allSettled([soon(insert('a')), soon(() => db.exec('ROLLBACK')), soon(insert('c'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(seen()).toEqual([]);
    // The next turn works again.
    await soon(insert('e'));
    expect(seen()).toEqual(['e']);
  });
});
