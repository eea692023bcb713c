/**
 * @module When systemd gives up restarting the service (StartLimitBurst), it starts
 * nanokimi-failed.service (OnFailure=), which runs `nanokimi service-failed`: one line in the journal
 * and a note in data/. The daemon's next start finds the note and tells main. Nobody is left
 * wondering why the assistant went quiet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomicSync } from '@nanokimi/protocol/atomic-write';
import { formatTime } from '../router/prompt.ts';

const NOTE = 'service-failed.json';
const noteSchema = z.object({ at: z.number(), result: z.string(), exit: z.string() });
export type ServiceFailure = z.infer<typeof noteSchema>;

/** What systemd tells an OnFailure= unit about the unit that failed (systemd >= 251). */
export function failureFromEnv(env: NodeJS.ProcessEnv, now: number): ServiceFailure {
  const exit = [env.MONITOR_EXIT_CODE, env.MONITOR_EXIT_STATUS].filter(Boolean).join(' ');
  return { at: now, result: env.MONITOR_SERVICE_RESULT || 'unknown', exit: exit || 'unknown' };
}

export function journalLine(f: ServiceFailure, assistantName: string): string {
  return `nanokimi: the service failed (${f.result}, ${f.exit}) and systemd stopped restarting it: ` +
    `${assistantName} answers nobody until it is started again. Why: journalctl --user -u nanokimi -n 100. ` +
    'After the fix: systemctl --user restart nanokimi';
}

export function mainNotice(f: ServiceFailure, assistantName: string, timeZone: string): string {
  return `${assistantName} was down: at ${formatTime(f.at, timeZone)} the service failed (${f.result}, ${f.exit}) ` +
    'and systemd stopped restarting it, so messages in that time were answered only now or not at all. ' +
    `It is running again. Why it failed: journalctl --user -u nanokimi --since "${new Date(f.at - 15 * 60_000).toISOString().slice(0, 16).replace('T', ' ')}"`;
}

export function recordServiceFailure(dataDir: string, f: ServiceFailure): void {
  fs.mkdirSync(dataDir, { recursive: true });
  writeFileAtomicSync(dataDir, NOTE, JSON.stringify(f));
}

/** The note of a failure not yet told, or null. `done()` removes it once main has been told. */
export function pendingServiceFailure(dataDir: string): { failure: ServiceFailure; done(): void } | null {
  const file = path.join(dataDir, NOTE);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return null; }
  let failure: ServiceFailure;
  try { failure = noteSchema.parse(JSON.parse(text)); } catch { failure = { at: fs.statSync(file).mtimeMs, result: 'unknown', exit: 'unknown' }; }
  return { failure, done: () => fs.rmSync(file, { force: true }) };
}
