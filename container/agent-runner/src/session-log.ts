/**
 * @module Reads the CLI's own event log of a session (`<sessions>/<workspace>/<id>/agents/main/wire.jsonl`,
 * one JSON record a line). ACP says too little in two places, and the log says it: a failed turn
 * ends with `stopReason: "end_turn"` and no error (the log has `turn.ended` with the error's code),
 * and a compaction is invisible (the log has `context.apply_compaction`). The CLI version is pinned
 * and the real-CLI tests read these records, so a change of format fails a test, not a user.
 */
import fs from 'node:fs';
import path from 'node:path';

export type TurnError = { code?: string; message?: string; name?: string; details?: { statusCode?: number } };
export type TurnEnd = { reason: string; error?: TurnError };

/** The log file of a session, or null while the CLI has not created it. */
export function findSessionLog(sessionsDir: string, cliSessionId: string): string | null {
  let workspaces: string[] = [];
  try { workspaces = fs.readdirSync(sessionsDir); } catch { return null; }
  for (const ws of workspaces) {
    const file = path.join(sessionsDir, ws, cliSessionId, 'agents', 'main', 'wire.jsonl');
    if (fs.existsSync(file)) return file;
  }
  return null;
}

const sizeOf = (file: string | null) => (file ? fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0 : 0);

function readFrom(file: string, offset: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    return buf;
  } finally { fs.closeSync(fd); }
}

/**
 * Counts a session's compactions so far. Each call reads only the whole lines the log gained since
 * the last one, so a long-lived group's growing log is read once per container, not once per turn.
 */
export function createCompactionCounter(sessionsDir: string, cliSessionId: string): () => number {
  let offset = 0;
  let count = 0;
  return () => {
    const file = findSessionLog(sessionsDir, cliSessionId);
    if (!file) return count;
    const gained = readFrom(file, offset);
    const whole = gained.subarray(0, gained.lastIndexOf(0x0a) + 1);
    count += whole.toString('utf8').split('"context.apply_compaction"').length - 1;
    offset += whole.length;
    return count;
  };
}

/** Marks where the log ends before a turn, so the turn's own records can be read after it. */
export function markSessionLog(sessionsDir: string, cliSessionId: string): { offset: number } {
  return { offset: sizeOf(findSessionLog(sessionsDir, cliSessionId)) };
}

/**
 * The `turn.ended` record written after `mark`. The CLI appends it just after answering the prompt,
 * so this waits for it a little; null when it never came (an old or changed CLI).
 */
export async function readTurnEnd(sessionsDir: string, cliSessionId: string, mark: { offset: number }, waitMs = 3000): Promise<TurnEnd | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const file = findSessionLog(sessionsDir, cliSessionId);
    if (file) {
      const lines = readFrom(file, mark.offset).toString('utf8').split('\n').filter((l) => l.includes('"turn.ended"'));
      for (const line of lines.reverse()) {
        try {
          const rec = JSON.parse(line) as { type?: string; reason?: string; error?: TurnError };
          if (rec.type === 'turn.ended' && typeof rec.reason === 'string') return { reason: rec.reason, error: rec.error };
        } catch { /* a line still being written */ }
      }
    }
    if (Date.now() > deadline) return null;
    await changeOf(file, 50);
  }
}

/** Resolves when `file` changes (inotify), or after `ms` at the latest (also when it does not exist yet). */
function changeOf(file: string | null, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const done = () => { watcher?.close(); clearTimeout(timer); resolve(); };
    const timer = setTimeout(done, ms);
    try { if (file) watcher = fs.watch(file, done); } catch { /* the timer covers it */ }
  });
}
