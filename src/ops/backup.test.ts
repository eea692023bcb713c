import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { openDb } from '../store/db.ts';
import { createStores } from '../store/stores.ts';
import { migrations } from '../store/migrations.ts';
import { backupDatabase } from './backup.ts';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('copies a consistent, private, dated snapshot while the database stays open', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-backup-'));
  const db = openDb(path.join(dir, 'nanokimi.db'));
  const stores = createStores(db);
  stores.messages.insert({ chatJid: 'local:main', id: 'm1', senderId: 'me', senderName: 'Me', text: 'keep me', sentAt: 1 }, 'main', true);
  const file = await backupDatabase(db, path.join(dir, 'backups'), new Date('2026-11-22T10:20:30Z'));
  expect(path.basename(file)).toBe('nanokimi-2026-11-22T10-20-30.db');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const copy = new Database(file, { readonly: true });
  expect(copy.prepare('SELECT text FROM messages').all()).toEqual([{ text: 'keep me' }]);
  expect(copy.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
  copy.close();
  db.close();
});
