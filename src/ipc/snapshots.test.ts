import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { TASKS_SNAPSHOT, tasksSnapshotSchema } from '@nanokimi/protocol/ipc';
import { openDb } from '../store/db.ts';
import { createStores } from '../store/stores.ts';
import { writeSnapshots } from './snapshots.ts';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('writes the snapshot whatever the agent planted in its IPC root, and never through it', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-snap-'));
  const stores = createStores(openDb(':memory:'));
  const group = { folder: 'family', jid: 'f@g.us', name: 'Family', requiresTrigger: true, isMain: false, container: {}, createdAt: 0 };
  const root = path.join(dir, 'family');
  fs.mkdirSync(path.join(root, TASKS_SNAPSHOT), { recursive: true }); // a directory where the file goes
  const outside = path.join(dir, 'outside.txt');
  fs.writeFileSync(outside, 'host');
  fs.symlinkSync(outside, path.join(root, `.${TASKS_SNAPSHOT}.tmp`)); // the old, guessable temp name
  writeSnapshots({ ipcDir: dir, groups: stores.groups, tasks: stores.tasks }, group);
  expect(tasksSnapshotSchema.parse(JSON.parse(fs.readFileSync(path.join(root, TASKS_SNAPSHOT), 'utf8')))).toEqual([]);
  expect(fs.readFileSync(outside, 'utf8')).toBe('host');
});
