/**
 * @module What the agent's list tools read: the tasks it may manage and (for main) the group chats
 * seen, written by the host into the group's IPC root whenever they may have changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '@nanokimi/protocol/atomic-write';
import { GROUPS_SNAPSHOT, TASKS_SNAPSHOT, type groupsSnapshotSchema, type tasksSnapshotSchema } from '@nanokimi/protocol/ipc';
import type { Group } from '../domain.ts';
import type { createGroupStore } from '../store/groups.ts';
import type { createTaskStore } from '../store/tasks.ts';
import { WORKSPACE_DIR_MODE } from './ipc-dirs.ts';
import type { z } from 'zod';

export type SnapshotDeps = {
  ipcDir: string;
  groups: ReturnType<typeof createGroupStore>;
  tasks: ReturnType<typeof createTaskStore>;
};

/** The IPC root is the agent's to write: see writeFileAtomicSync. */
const writeJson = (dir: string, name: string, value: unknown) => writeFileAtomicSync(dir, name, JSON.stringify(value));

export function writeSnapshots(deps: SnapshotDeps, group: Group): void {
  const dir = path.join(deps.ipcDir, group.folder);
  fs.mkdirSync(dir, { recursive: true, mode: WORKSPACE_DIR_MODE });
  const tasks: z.infer<typeof tasksSnapshotSchema> = (group.isMain ? deps.tasks.listAll() : deps.tasks.listForGroup(group.folder))
    .filter((t) => t.status !== 'cancelled')
    .map((t) => ({ id: t.id, groupFolder: t.groupFolder, prompt: t.prompt, schedule: t.schedule, contextMode: t.contextMode,
      status: t.status, nextRunAt: t.nextRunAt === null ? null : new Date(t.nextRunAt).toISOString() }));
  writeJson(dir, TASKS_SNAPSHOT, tasks);
  if (group.isMain) {
    const chats: z.infer<typeof groupsSnapshotSchema> = deps.groups.groupChats().map((c) => ({ jid: c.jid, name: c.name, folder: c.folder }));
    writeJson(dir, GROUPS_SNAPSHOT, chats);
  }
}

/** After a change that touches `folder`'s tasks: that group and main see it. */
export function refreshSnapshots(deps: SnapshotDeps, folder: string): void {
  for (const g of deps.groups.list()) if (g.folder === folder || g.isMain) writeSnapshots(deps, g);
}
