/**
 * @module `nanokimi backup`: an online copy of the database (messages, groups, tasks, outbox and the
 * WhatsApp auth state, which lives in it too) to a dated file, safe while the daemon runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.ts';

export async function backupDatabase(db: Db, dir: string, now = new Date()): Promise<string> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  const file = path.join(dir, `nanokimi-${stamp}.db`);
  // SQLite's backup API copies a consistent snapshot while other connections keep writing.
  await db.backup(file);
  fs.chmodSync(file, 0o600);
  return file;
}
