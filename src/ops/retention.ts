/**
 * @module Retention: what is older than RETENTION_DAYS goes. Chat text of chats nobody registered,
 * messages a group's agent has already answered (the prompt only ever holds what comes after the
 * cursor), sent replies and the ids of sent WhatsApp messages, run logs, refused IPC files, and
 * the files that came with messages (groups/<group>/media/<day>/).
 * Unanswered messages and undelivered or dead replies stay, whatever their age. Runs at start-up and
 * every few hours.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/db.ts';
import type { Logger } from '../logger.ts';
import { removeAgentEntry } from '../ipc/ipc-dirs.ts';

const DAY_MS = 24 * 60 * 60_000;
const EVERY_MS = 6 * 60 * 60_000;

export type RetentionDeps = {
  db: Db;
  days: number;
  /** Group folders with run logs (groups/<folder>/logs/) and IPC errors (data/ipc/<folder>/errors/). */
  folders: () => readonly string[];
  groupsDir: string;
  ipcDir: string;
  log: Logger;
  now?: () => number;
};

export type Pruned = { messages: number; replies: number; sentIds: number; runLogs: number; refusedFiles: number; mediaFiles: number };

export async function pruneOnce(deps: RetentionDeps): Promise<Pruned> {
  const cutoff = (deps.now ?? Date.now)() - deps.days * DAY_MS;
  const db = deps.db;
  const rows = db.transaction(() => ({
    messages: db.prepare(`DELETE FROM messages WHERE sent_at < ? AND (group_folder IS NULL
      OR seq <= COALESCE((SELECT seq FROM cursors WHERE cursors.group_folder = messages.group_folder), 0))`).run(cutoff).changes,
    replies: db.prepare("DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?").run(cutoff).changes,
    sentIds: db.prepare('DELETE FROM wa_sent WHERE sent_at < ?').run(cutoff).changes,
  }))();
  let runLogs = 0;
  let refusedFiles = 0;
  let mediaFiles = 0;
  for (const folder of deps.folders()) {
    runLogs += await removeOlder(path.join(deps.groupsDir, folder, 'logs'), cutoff, (n) => n.endsWith('.log'));
    refusedFiles += await removeOlder(path.join(deps.ipcDir, folder, 'errors'), cutoff, () => true);
    mediaFiles += await removeOldMedia(path.join(deps.groupsDir, folder, 'media'), cutoff);
  }
  return { ...rows, runLogs, refusedFiles, mediaFiles };
}

/**
 * Removes the files (and links) in `dir` last changed before `cutoff`. Both directories are writable
 * by the agent: nothing is followed, no directory is entered, and a `dir` that is not a real
 * directory is left alone.
 */
async function removeOlder(dir: string, cutoff: number, wanted: (name: string) => boolean): Promise<number> {
  if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return 0;
  let removed = 0;
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fs.promises.lstat(file).catch(() => null);
    if (!st || st.isDirectory() || st.mtimeMs >= cutoff || !wanted(name)) continue;
    await removeAgentEntry(file);
    removed++;
  }
  return removed;
}

/** Files that came with messages: media/<day>/*, each day's folder removed once empty. */
async function removeOldMedia(media: string, cutoff: number): Promise<number> {
  if (!fs.lstatSync(media, { throwIfNoEntry: false })?.isDirectory()) return 0;
  let removed = 0;
  for (const day of await fs.promises.readdir(media).catch(() => [] as string[])) {
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) continue;
    const dir = path.join(media, day);
    removed += await removeOlder(dir, cutoff, () => true);
    await fs.promises.rmdir(dir).catch(() => undefined); // only if empty
  }
  return removed;
}

/** Prunes now and every 6 hours; `stop()` resolves once a pass under way has finished. */
export function startRetention(deps: RetentionDeps): { stop(): Promise<void> } {
  if (deps.days === 0) return { stop: async () => {} };
  let current = Promise.resolve();
  const run = () => { current = current.then(() => pruneOnce(deps)).then((p) => {
    if (Object.values(p).some((n) => n > 0)) deps.log.info({ ...p, days: deps.days }, 'Pruned what is older than RETENTION_DAYS');
  }, (err: unknown) => deps.log.error({ err: String(err) }, 'Pruning old data failed; it is tried again in 6 hours')); };
  run();
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  return { async stop() { clearInterval(timer); await current; } };
}
