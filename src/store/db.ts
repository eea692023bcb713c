/** @module Opens the SQLite database in WAL mode and brings its schema up to date. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from './migrations.ts';

export type Db = Database.Database;

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** Opens (creating if needed) the database at `file`, or an in-memory one for ':memory:'. */
export function openDb(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL makes a committed transaction survive power loss, not only a process kill.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/**
 * Applies the migrations the database has not seen, each in its own transaction, recorded in
 * `schema_migrations`. A database that has migrations this program does not know (written by a
 * newer NanoKimi) is refused rather than guessed at.
 */
export function migrate(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as
    { version: number; name: string }[];
  applied.forEach((row, i) => {
    const known = migrations[i];
    if (!known || known.version !== row.version || known.name !== row.name) {
      throw new SchemaError(
        `The database has migration ${row.version} "${row.name}", which this version of NanoKimi does not know. ` +
        'It was probably written by a newer NanoKimi: upgrade, or restore a backup made by this version.',
      );
    }
  });
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations.slice(applied.length)) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    })();
  }
}
