/**
 * @module A group's IPC directories, always real directories. The agent can write inside
 * `data/ipc/<group>/`, so it could swap `messages/` for a symlink to a host folder and have the host
 * read (and quarantine into reach) files that are not its own. Every host access goes through here.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ipcDirNames } from '@nanokimi/protocol/ipc';

/** For directories a container writes: see ipcSubdir. */
export const WORKSPACE_DIR_MODE = 0o770;

export type IpcSubdir = (typeof ipcDirNames)[number];

/** The path of a group's IPC subdirectory, replacing anything there that is not a real directory. */
export function ipcSubdir(ipcDir: string, folder: string, sub: IpcSubdir): string {
  const dir = path.join(ipcDir, folder, sub);
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) fs.rmSync(dir, { force: true });
  // Group bits open: under the default ACLs that rootless Docker needs they set the ACL mask, so the
  // container's user can write here; privacy comes from data/ itself (0700).
  if (!st || !st.isDirectory()) fs.mkdirSync(dir, { recursive: true, mode: WORKSPACE_DIR_MODE });
  return dir;
}

/** Creates (or repairs) `data/ipc/<folder>/{messages,tasks,input,errors}`; returns the group's IPC root. */
export function ensureIpcDirs(ipcDir: string, folder: string): string {
  for (const d of ipcDirNames) ipcSubdir(ipcDir, folder, d);
  return path.join(ipcDir, folder);
}

/**
 * Reads a file the agent may have planted: never through a link (O_NOFOLLOW), never blocking on a
 * FIFO (O_NONBLOCK), only a regular file of at most `maxBytes`. Null for anything else.
 */
export async function readAgentFile(file: string, maxBytes: number): Promise<string | null> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    const st = await handle.stat();
    return st.isFile() && st.size <= maxBytes ? await handle.readFile('utf8') : null;
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** Removes a file or link the agent may have planted; a directory there is left alone. */
export async function removeAgentEntry(file: string): Promise<void> {
  const st = await fsp.lstat(file).catch(() => null);
  if (st && !st.isDirectory()) await fsp.unlink(file).catch(() => undefined);
}
