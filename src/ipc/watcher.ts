/**
 * @module Watches every group's `messages/` and `tasks/` directories (inotify through fs.watch, plus
 * a slow rescan in case an event is missed) and hands each finished file to a processor. Files the
 * processor refuses are moved to `errors/` with a `.reason` file; the watcher itself never stops.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MAX_IPC_FILE_BYTES } from '@nanokimi/protocol/ipc';
import { ignoreEvents, type Emit } from '../events.ts';
import type { Logger } from '../logger.ts';
import { ensureIpcDirs, ipcSubdir } from './ipc-dirs.ts';

export type IpcSource = 'messages' | 'tasks';
export type ProcessResult = { ok: true } | { ok: false; reason: string };
export type IpcProcessor = (folder: string, source: IpcSource, fileName: string, content: string) => Promise<ProcessResult>;

export type IpcWatcherDeps = {
  ipcDir: string;
  folders: () => readonly string[];
  process: IpcProcessor;
  log: Logger;
  emit?: Emit;
  rescanMs?: number;
};

export type IpcWatcher = {
  /** Processes everything waiting for this group now; resolves when its directories are empty. */
  drain(folder: string): Promise<void>;
  drainAll(): Promise<void>;
  /** Starts watching a group registered after start-up. */
  add(folder: string): void;
  stop(): Promise<void>;
};

const sources: readonly IpcSource[] = ['messages', 'tasks'];

/**
 * What an error opening an IPC entry means. Only the entry's own kind is a reason to refuse it (a
 * link, a socket, a device); anything else (EACCES, EMFILE, EIO, ...) says nothing about the file,
 * which may be a valid reply: it stays where it is for the next scan.
 */
export function openFailure(code: string | undefined): 'gone' | 'refuse' | 'retry' {
  if (code === 'ENOENT') return 'gone';
  if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR' || code === 'ENODEV' || code === 'EOPNOTSUPP') return 'refuse';
  return 'retry';
}

const NOT_A_FILE = 'not a regular file (symbolic links and directories are refused)';

export type IpcEntry = { content: string } | { openFailed: string } | { refused: string };

/**
 * Reads one IPC entry whole. O_NOFOLLOW refuses a symlink at open, so none can be swapped in after a
 * check; O_NONBLOCK keeps a FIFO from blocking the open. Synchronous on purpose: a reply is a small
 * file just written to a local disk, and these few system calls cost the main thread less than the
 * thread-pool round trips of their async forms (with them, the daemon used about a fifth more CPU
 * under bench/load.ts). It reads no more than the size it checked, however the file grows meanwhile.
 */
export function readEntry(file: string): IpcEntry {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { openFailed: e.code ?? String(err) };
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return { refused: NOT_A_FILE };
    if (stat.size > MAX_IPC_FILE_BYTES) return { refused: `file is ${stat.size} bytes; the limit is ${MAX_IPC_FILE_BYTES}` };
    const buf = Buffer.allocUnsafe(stat.size);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { content: buf.toString('utf8', 0, got) };
  } finally {
    fs.closeSync(fd);
  }
}

export function startIpcWatcher(deps: IpcWatcherDeps): IpcWatcher {
  const watchers = new Map<string, fs.FSWatcher[]>();
  // One scan per directory at a time; a request during a scan runs one more scan after it.
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const emit = deps.emit ?? ignoreEvents;
  let stopped = false;
  // A failure that repeats on every rescan is logged once, until it clears.
  const failing = new Map<string, string>();
  function failed(key: string, code: string, line: () => void): void {
    if (failing.get(key) !== code) line();
    failing.set(key, code);
  }

  async function quarantine(folder: string, dir: string, name: string, reason: string): Promise<void> {
    const errors = ipcSubdir(deps.ipcDir, folder, 'errors');
    // errors/ is writable by the agent: never write through a link it may have planted at this name.
    const reasonFile = path.join(errors, `${name}.reason`);
    await fsp.rm(reasonFile, { force: true });
    await fsp.writeFile(reasonFile, `${reason}\n`, { flag: 'wx' });
    // Never a recursive delete of what the agent made: a tree it controls could be swapped for a link
    // mid-way. If the name is taken in errors/, the entry goes there under a fresh name instead.
    await fsp.rename(path.join(dir, name), path.join(errors, name))
      .catch(() => fsp.rename(path.join(dir, name), path.join(errors, `${name}.${randomUUID()}`)))
      .catch((err: unknown) => deps.log.error({ group: folder, file: name, err: String(err) }, 'A refused IPC entry could not be moved to errors/; left in place'));
  }

  /** Returns 'held' when the file stays for a later scan and nothing after it may go first. */
  async function handle(folder: string, source: IpcSource, dir: string, name: string): Promise<'done' | 'held'> {
    const file = path.join(dir, name);
    const entry = readEntry(file);
    let verdict: ProcessResult;
    if ('openFailed' in entry) {
      const code = entry.openFailed;
      const what = openFailure(code);
      if (what === 'gone') { failing.delete(file); return 'done'; } // processed by an earlier scan
      if (what === 'retry') {
        failed(file, code, () => deps.log.error({ group: folder, file: name, code },
          `IPC file cannot be opened (${code}); left in place and tried again on every rescan. If it persists, check that the daemon's user may read ${dir}`));
        return 'done';
      }
      verdict = { ok: false, reason: NOT_A_FILE };
    } else if ('refused' in entry) {
      verdict = { ok: false, reason: entry.refused };
    } else {
      // A refusal is the processor's answer; a throw is the host failing (database busy, disk
      // full): the file may be a valid reply, so it stays for the next scan. Acting on a file is
      // idempotent, so a second try has no second effect.
      const answer = await deps.process(folder, source, name, entry.content).catch((err: unknown) => err as Error);
      if (answer instanceof Error) {
        failed(file, answer.message, () => deps.log.error({ group: folder, file: name, err: String(answer) },
          'IPC file could not be processed; left in place and tried again at the next change or rescan'));
        emit({ type: 'ipc-held', group: folder, source, file: name, error: answer.message });
        return 'held';
      }
      verdict = answer;
    }
    failing.delete(file);
    if (verdict.ok) {
      // A plain unlink: the entry was opened as a regular file (fs.rm would walk it as a tree first).
      try { fs.unlinkSync(file); } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; }
      emit({ type: 'ipc-processed', group: folder, source, file: name });
    } else {
      deps.log.warn({ group: folder, source, file: name, reason: verdict.reason }, 'IPC file refused; moved to errors/');
      await quarantine(folder, dir, name, verdict.reason);
      emit({ type: 'ipc-refused', group: folder, source, file: name, reason: verdict.reason });
    }
    return 'done';
  }

  async function scanOnce(folder: string, source: IpcSource): Promise<void> {
    const dir = ipcSubdir(deps.ipcDir, folder, source);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
      failing.delete(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      failed(dir, code, () => deps.log.error({ group: folder, dir, code, err: String(err) },
        `IPC directory cannot be read (${code}); the group's replies wait until it can. Check that the daemon's user may read ${dir}`));
      return;
    }
    // Temp files (dot-prefixed) are still being written; sorted names keep a group's replies in order.
    for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
      const outcome = await handle(folder, source, dir, name).catch((err: unknown) => {
        deps.log.error({ err, group: folder, file: name }, 'IPC file could not be handled; will retry on rescan');
        return 'held' as const;
      });
      // A group's replies go out in order: none overtakes one that is waiting.
      if (outcome === 'held') break;
    }
  }

  function scan(folder: string, source: IpcSource): Promise<void> {
    const key = `${folder}/${source}`;
    const current = running.get(key);
    if (current) {
      again.add(key);
      return current.then(() => running.get(key));
    }
    // Begun a microtask later: the scan reads synchronously, and must be on record as running first.
    const p = Promise.resolve().then(async () => {
      do {
        again.delete(key);
        await scanOnce(folder, source);
      } while (again.has(key) && !stopped);
      running.delete(key);
    });
    running.set(key, p);
    return p;
  }

  function add(folder: string): void {
    if (watchers.has(folder) || stopped) return;
    ensureIpcDirs(deps.ipcDir, folder);
    watchers.set(folder, sources.flatMap((source) => {
      const dir = path.join(deps.ipcDir, folder, source);
      try {
        // A temp file being written (dot-prefixed) is not for us yet: its rename to the final name is
        // the event that counts. Skipping the others saves a scan or two per reply.
        const w = fs.watch(dir, (_event, name) => { if (!name?.startsWith('.')) void scan(folder, source); });
        w.on('error', (err) => deps.log.warn({ err, group: folder }, 'IPC watch failed; the rescan will cover it'));
        return [w];
      } catch (err) {
        // Unreadable, say: the scan says what is wrong, and the rescan keeps trying.
        deps.log.warn({ group: folder, dir, err: String(err) }, 'IPC directory cannot be watched; it is scanned every rescan instead');
        return [];
      }
    }));
    void drain(folder);
  }

  async function drain(folder: string): Promise<void> {
    for (const source of sources) await scan(folder, source);
  }

  async function drainAll(): Promise<void> {
    await Promise.all(deps.folders().map(drain));
  }

  for (const folder of deps.folders()) add(folder);
  const rescan = setInterval(() => {
    for (const folder of deps.folders()) { add(folder); void drain(folder); }
  }, deps.rescanMs ?? 30_000);
  rescan.unref();

  return {
    drain, drainAll, add,
    async stop() {
      stopped = true;
      clearInterval(rescan);
      for (const w of watchers.values()) w.forEach((x) => x.close());
      watchers.clear();
      await Promise.all(running.values());
    },
  };
}
