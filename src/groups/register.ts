/** @module Registering a group: validate, create its folder and KIMI.md, record it. */
import fs from 'node:fs';
import path from 'node:path';
import type { Group } from '../domain.ts';
import type { createGroupStore } from '../store/groups.ts';
import { checkFolderName, groupPath } from './folder.ts';

type GroupStore = ReturnType<typeof createGroupStore>;

export type NewGroup = { jid: string; name: string; folder: string; requiresTrigger?: boolean; isMain?: boolean };

/** The starting memory of a new group. The agent reads and edits it; people may too. */
export function kimiTemplate(groupName: string, assistantName: string): string {
  return `# ${groupName}

You are ${assistantName}, the assistant of the WhatsApp group "${groupName}".
This file is your memory for this group: keep here what you should remember between conversations
(people, preferences, ongoing matters). Keep it short and current.
`;
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

export function registerGroup(
  deps: { groups: GroupStore; groupsDir: string; assistantName: string },
  g: NewGroup,
): Group {
  const problem = checkFolderName(g.folder);
  if (problem) throw new RegistrationError(problem.message);
  if (deps.groups.get(g.folder)) throw new RegistrationError(`the folder "${g.folder}" is already used by a group`);
  if (deps.groups.byJid(g.jid)) throw new RegistrationError(`the chat ${g.jid} is already registered`);

  const dir = groupPath(deps.groupsDir, g.folder);
  fs.mkdirSync(dir, { recursive: true });
  const kimiMd = path.join(dir, 'KIMI.md');
  // A folder restored from a backup keeps its memory; 'wx' never writes through a link found there.
  try {
    fs.writeFileSync(kimiMd, kimiTemplate(g.name, deps.assistantName), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }

  const group: Group = {
    folder: g.folder, jid: g.jid, name: g.name,
    requiresTrigger: g.isMain ? false : (g.requiresTrigger ?? true), isMain: g.isMain ?? false,
    container: {}, createdAt: Date.now(),
  };
  deps.groups.insert(group);
  return group;
}
