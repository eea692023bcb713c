/**
 * @module What main's read-only view of the project must not show, beyond the fixed list of
 * secretCandidates(): the run logs, git history, database backups anywhere in the checkout, and
 * every file or folder whose name the mount allowlist blocks (keys, credentials, `.env` files).
 * The decision is pure (`isHidden`); `findProjectHides` walks the tree once per main run, never
 * following a link, and the mount plan lays an empty tmpfs or /dev/null over each hit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { alwaysBlocked } from './extra-mounts.ts';
import type { ProjectSecret } from './mounts.ts';

/** Folders of the checkout hidden whole, wherever NanoKimi writes them. */
const HIDDEN_DIRS = new Set(['logs', '.git', 'backups']);
/** Third-party code: nothing of ours in it, and far too big to walk for each run. */
const NOT_WALKED = new Set(['node_modules']);
const MAX_DEPTH = 8;
const MAX_HIDES = 256;

/** Whether an entry of the project, by its name, is kept out of main's view. Pure. */
export function isHidden(name: string, kind: 'file' | 'dir', blockedPatterns: readonly string[]): boolean {
  if (kind === 'dir' && HIDDEN_DIRS.has(name)) return true;
  // A database or a backup of one holds every chat and the WhatsApp link.
  if (kind === 'file' && /\.(db|sqlite3?)(-wal|-shm|-journal)?$/.test(name)) return true;
  if (name.startsWith('.env')) return true;
  return [...alwaysBlocked, ...blockedPatterns].some((p) => !p.includes('/') && p === name);
}

/** Every hidden entry under `root`, relative to it; `skip` lists relative paths already covered. */
export function findProjectHides(root: string, blockedPatterns: readonly string[], skip: readonly string[]):
  { hides: ProjectSecret[]; truncated: boolean } {
  const hides: ProjectSecret[] = [];
  let truncated = false;
  const visit = (rel: string, depth: number) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const relative = rel ? path.join(rel, e.name) : e.name;
      if (skip.includes(relative)) continue;
      const kind = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : null;
      if (!kind) continue; // links and special files: never followed, and a link shows only where it points
      if (isHidden(e.name, kind, blockedPatterns)) {
        if (hides.length >= MAX_HIDES) { truncated = true; return; }
        hides.push({ relative, kind });
      } else if (kind === 'dir' && depth < MAX_DEPTH && !NOT_WALKED.has(e.name)) visit(relative, depth + 1);
    }
  };
  visit('', 0);
  return { hides, truncated };
}
