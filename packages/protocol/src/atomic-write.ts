/**
 * @module Writes a file so that a watcher never sees it half-written: temp name, fsync, rename.
 * The directory may be writable by an agent, so nothing it planted can be in the way or be written
 * through: the temp name is one it cannot guess, created afresh (O_EXCL, O_NOFOLLOW), and a
 * directory it put at the final name is moved aside (within the same directory) before the rename,
 * which replaces a link rather than following it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

let named = 0;
/**
 * A name that sorts by creation time and never collides: `<ms>-<count>-<random>.json`. The count
 * keeps two names of one process in the same millisecond in the order they were asked for (a
 * group's follow-ups, an agent's replies); the random part keeps processes apart.
 */
export function uniqueFileName(now = Date.now()): string {
  named = (named + 1) % 1e9;
  return `${String(now).padStart(14, '0')}-${String(named).padStart(9, '0')}-${randomBytes(6).toString('hex')}.json`;
}

const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
// Readable by the container's user, which may not own it (rootless Docker); data/ (0700) guards access.
const MODE = 0o644;
const tempFor = (dir: string, name: string) => path.join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);

export async function writeFileAtomic(dir: string, name: string, content: string): Promise<string> {
  const final = path.join(dir, name);
  const tmp = tempFor(dir, name);
  const handle = await fsp.open(tmp, CREATE, MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if ((await fsp.lstat(final).catch(() => null))?.isDirectory()) await fsp.rename(final, `${tmp}.moved-aside`);
  await fsp.rename(tmp, final);
  return final;
}

/** The same, for callers that cannot wait (the agents' list snapshots). */
export function writeFileAtomicSync(dir: string, name: string, content: string): string {
  const final = path.join(dir, name);
  const tmp = tempFor(dir, name);
  const fd = fs.openSync(tmp, CREATE, MODE);
  try { fs.writeFileSync(fd, content); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  if (fs.lstatSync(final, { throwIfNoEntry: false })?.isDirectory()) fs.renameSync(final, `${tmp}.moved-aside`);
  fs.renameSync(tmp, final);
  return final;
}

export async function writeJsonAtomic(dir: string, value: unknown, name = uniqueFileName()): Promise<string> {
  return writeFileAtomic(dir, name, JSON.stringify(value));
}
