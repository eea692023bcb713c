/** @module Writes a file so that a watcher never sees it half-written: temp name, fsync, rename. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A name that sorts by creation time and never collides: `<ms>-<random>.json`. */
export function uniqueFileName(now = Date.now()): string {
  return `${String(now).padStart(14, '0')}-${randomBytes(6).toString('hex')}.json`;
}

export async function writeFileAtomic(dir: string, name: string, content: string): Promise<string> {
  const final = path.join(dir, name);
  // The directory may be writable by an agent: a temp name it cannot guess, created afresh ('wx'
  // fails rather than follow a link), so nothing it planted can be in the way or be written through.
  const tmp = path.join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
  // Readable by the container's user, which may not own it (rootless Docker); data/ (0700) guards access.
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, final);
  return final;
}

export async function writeJsonAtomic(dir: string, value: unknown, name = uniqueFileName()): Promise<string> {
  return writeFileAtomic(dir, name, JSON.stringify(value));
}
