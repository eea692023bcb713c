import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDb, SchemaError, type Db } from './db.ts';
import { migrations } from './migrations.ts';

type MigrationRow = { version: number; name: string; applied_at: number };

const history = (db: Db) =>
  db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as MigrationRow[];

describe('openDb', () => {
  let dir: string;
  const opened: Db[] = [];
  const open = (file: string) => { const db = openDb(file); opened.push(db); return db; };

  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanokimi-db-')); });
  afterEach(async () => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('applies every migration and records each one in schema_migrations', () => {
    const before = Date.now();
    const db = open(':memory:');
    const rows = history(db);
    expect(rows.map((r) => [r.version, r.name])).toEqual(migrations.map((m) => [m.version, m.name]));
    for (const r of rows) expect(r.applied_at).toBeGreaterThanOrEqual(before);
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
      .map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['messages', 'groups', 'cursors', 'outbox', 'tasks', 'runs']));
  });

  it('opening the same file twice keeps one history and the data', () => {
    const file = path.join(dir, 'nanokimi.db');
    const first = open(file);
    first.prepare(`INSERT INTO chats (jid, name) VALUES ('123@g.us', 'Family')`).run();
    const firstHistory = history(first);
    first.close();

    const second = open(file);
    expect(history(second)).toEqual(firstHistory);
    expect(second.prepare('SELECT name FROM chats').all()).toEqual([{ name: 'Family' }]);
  });

  it('running migrate again on an up-to-date database changes nothing', () => {
    const db = open(':memory:');
    const before = history(db);
    migrate(db);
    expect(history(db)).toEqual(before);
  });

  it('refuses a database that has a migration this version does not know', () => {
    const file = path.join(dir, 'nanokimi.db');
    const db = open(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, ?)').run('from-the-future', 1);
    db.close();

    let thrown: unknown;
    try { open(file); } catch (err) { thrown = err; }
    expect(thrown).toBeInstanceOf(SchemaError);
    const message = (thrown as Error).message;
    expect(message).toContain('999');
    expect(message).toContain('from-the-future');
    expect(message).toMatch(/upgrade/i);
    expect(message).toMatch(/restore a backup/i);
  });

  it('refuses a database whose recorded migration has a different name at a known version', () => {
    const db = open(':memory:');
    db.prepare('UPDATE schema_migrations SET name = ? WHERE version = 1').run('renamed');
    expect(() => migrate(db)).toThrow(SchemaError);
  });

  it('creates the parent directory and puts a file database in WAL mode', () => {
    const file = path.join(dir, 'nested', 'data', 'nanokimi.db');
    const db = open(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});
