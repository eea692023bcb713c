/**
 * @module The agent's side of the IPC directory: replies out (temp name, then rename, so the host
 * never reads half a file), requests out with the host's verdict awaited, inputs in.
 */
import fs from 'node:fs';
import path from 'node:path';
import { uniqueFileName, writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { CLOSE_SENTINEL, inputFileSchema, type InputFile, type MessageFile, type TaskFile } from '@nanokimi/protocol/ipc';

/** The same temp-name-then-rename writer the host uses, so the host never reads half a file. */
export async function writeMessage(ipcDir: string, msg: Omit<MessageFile, 'type'>): Promise<void> {
  await writeJsonAtomic(path.join(ipcDir, 'messages'), { type: 'message', ...msg });
}

/** Tells the host a turn ended with nothing for the chat, so it marks the messages answered and waits idle. */
export async function writeTurnEnd(ipcDir: string, answersThrough: number | undefined): Promise<void> {
  await writeJsonAtomic(path.join(ipcDir, 'messages'), { type: 'turn_end', ...(answersThrough !== undefined ? { answersThrough } : {}) });
}

/** Resolves when `check` is true, watching `dir` (inotify) with a slow poll as a safety net. */
function waitFor(dir: string, check: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (check()) { resolve(true); return; }
    const done = (v: boolean) => { watcher?.close(); clearInterval(poll); clearTimeout(timer); resolve(v); };
    let watcher: fs.FSWatcher | undefined;
    try { watcher = fs.watch(dir, () => { if (check()) done(true); }); } catch { /* the poll covers it */ }
    const poll = setInterval(() => { if (check()) done(true); }, 500);
    const timer = setTimeout(() => done(check()), timeoutMs);
  });
}

export type RequestVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Writes a task request and waits for the host to take it (it removes the file once acted on); a
 * refusal is read from the reason file the host leaves in errors/, so the model learns why.
 */
export async function request(ipcDir: string, file: TaskFile, timeoutMs = 15_000): Promise<RequestVerdict> {
  const dir = path.join(ipcDir, 'tasks');
  const name = uniqueFileName();
  await writeJsonAtomic(dir, file, name);
  const taken = await waitFor(dir, () => !fs.existsSync(path.join(dir, name)), timeoutMs);
  if (!taken) return { ok: false, reason: 'the host did not answer in time; the request stays queued and may still be applied' };
  const reason = path.join(ipcDir, 'errors', `${name}.reason`);
  return fs.existsSync(reason) ? { ok: false, reason: fs.readFileSync(reason, 'utf8').trim() } : { ok: true };
}

/** The next input in name order (removed as it is taken), or 'close' when the host asked to finish. */
export async function nextInput(ipcDir: string, timeoutMs: number): Promise<InputFile | 'close' | 'idle'> {
  const dir = path.join(ipcDir, 'input');
  const pending = () => fs.readdirSync(dir).filter((n) => n === CLOSE_SENTINEL || (n.endsWith('.json') && !n.startsWith('.'))).sort();
  // Inputs sort before the sentinel ('0…' < '_'), so follow-ups written before a close are still answered.
  const arrived = await waitFor(dir, () => pending().length > 0, timeoutMs);
  if (!arrived) return 'idle';
  const name = pending()[0]!;
  if (name === CLOSE_SENTINEL) return 'close';
  const file = path.join(dir, name);
  const parsed = inputFileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  fs.rmSync(file);
  return parsed;
}
