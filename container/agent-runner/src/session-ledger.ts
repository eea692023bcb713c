/**
 * @module What the runner remembers about each of the group's sessions, kept beside the CLI's own
 * sessions (the group's persistent `sessions` mount), so it lives exactly as long as they do:
 * which CLI session a host session id stands for (the host owns the id; the CLI picks its own),
 * which version of the context that session has seen, and how many compactions it had then.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const entrySchema = z.object({ cli: z.string().min(1), context: z.string().optional(), compactions: z.number().int().optional() });
export type LedgerEntry = z.infer<typeof entrySchema>;
const FILE = 'nanokimi-sessions.json';

export function createSessionLedger(sessionsDir: string) {
  const file = path.join(sessionsDir, FILE);
  const read = (): Record<string, LedgerEntry> => {
    try {
      const parsed = z.record(z.string(), entrySchema).safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch { return {}; }
  };
  return {
    get: (hostSessionId: string): LedgerEntry | undefined => read()[hostSessionId],
    set(hostSessionId: string, entry: LedgerEntry): void {
      const all = { ...read(), [hostSessionId]: entry };
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(all));
      fs.renameSync(tmp, file);
    },
  };
}
