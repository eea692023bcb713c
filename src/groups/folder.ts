/** @module Group folder names: the only shapes allowed, and a path that cannot leave `groups/`. */
import fs from 'node:fs';
import path from 'node:path';

/** Folders the program owns itself; a group may not take them. */
const reserved = new Set(['global']);

export type FolderProblem = { kind: 'bad-folder'; folder: string; message: string };

/** Checks a proposed folder name; returns a problem that says what a valid name looks like. */
export function checkFolderName(folder: string): FolderProblem | null {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(folder)) {
    return { kind: 'bad-folder', folder,
      message: `"${folder}" is not a valid group folder: use 1-63 lowercase letters, digits and dashes, starting with a letter or digit (e.g. "family-chat")` };
  }
  if (reserved.has(folder)) {
    return { kind: 'bad-folder', folder, message: `"${folder}" is reserved for NanoKimi's own use: choose another folder name` };
  }
  return null;
}

/**
 * The absolute path of a group's folder, refusing anything that is (or would be) a symlink or
 * outside `groupsDir`: the folder is mounted into a container, so an escape would expose the host.
 */
export function groupPath(groupsDir: string, folder: string): string {
  const problem = checkFolderName(folder);
  if (problem && folder !== 'global') throw new Error(problem.message);
  const full = path.join(groupsDir, folder);
  if (path.dirname(full) !== path.resolve(groupsDir)) throw new Error(`group folder "${folder}" escapes ${groupsDir}`);
  const stat = fs.lstatSync(full, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink()) {
    throw new Error(`${full} is a symbolic link; group folders must be real directories inside ${groupsDir}`);
  }
  return full;
}
