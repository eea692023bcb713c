/**
 * @module Guards the CLI's resume trap: it finds a session's work dir through `<share>/kimi.json`, and
 * without that entry `--session <id>` starts the session anew, truncating its history. The file
 * lives in the container's throw-away home, so it is written before every start of the CLI.
 */
import fs from 'node:fs';
import path from 'node:path';

type WorkDirEntry = { path: string; kaos: string; last_session_id: string | null };

export function ensureWorkDirEntry(shareDir: string, workDir: string, sessionId: string): void {
  const file = path.join(shareDir, 'kimi.json');
  let data: { work_dirs?: WorkDirEntry[]; [k: string]: unknown } = {};
  try { data = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof data; } catch { /* absent or unreadable: start afresh */ }
  const others = (data.work_dirs ?? []).filter((w) => w.path !== workDir);
  data.work_dirs = [...others, { path: workDir, kaos: 'local', last_session_id: sessionId }];
  fs.mkdirSync(shareDir, { recursive: true });
  // The CLI replaces this file by rename too; a temp file and a rename keep it whole for either side.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
  fs.renameSync(tmp, file);
}
