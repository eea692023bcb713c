/**
 * @module The run log a person reads, `groups/<group>/logs/container-<time>.log`: what was started
 * (the run, its container, limits and mounts, and what was left out), how it ended, and the
 * container's output. Written once, when the run is over.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AgentRunResult } from './agent.ts';
import type { Limits } from './container-spec.ts';
import type { ContainerExit } from './docker-engine.ts';
import { describeMounts, type Mount } from './mounts.ts';

export type RunLog = { dir: string; file: string };

/** Where the log of a run started then goes. Pure. */
export function runLogFile(groupsDir: string, folder: string, started: Date): RunLog {
  const dir = path.join(groupsDir, folder, 'logs');
  return { dir, file: path.join(dir, `container-${started.toISOString().replace(/[:.]/g, '-')}.log`) };
}

export type Started = {
  runId: number; folder: string; isMain: boolean; name: string; image: string; user: string;
  limits: Limits; cpusAtStart: number; network: string; started: Date; mounts: Mount[];
  /** What was refused or withheld this run, and why. */
  notes: string[];
};

/** What was started. Pure. */
export function logHeader(s: Started): string[] {
  const startup = s.cpusAtStart > s.limits.cpus ? ` (${s.cpusAtStart} until its session is open)` : '';
  return [
    `NanoKimi agent run ${s.runId} for group ${s.folder}${s.isMain ? ' (main)' : ''}`,
    `Container: ${s.name}`, `Image: ${s.image}`, `User: ${s.user}`,
    `Limits: memory ${s.limits.memoryMb} MB, cpus ${s.limits.cpus}${startup}, pids ${s.limits.pids}, network ${s.network}`,
    `Started: ${s.started.toISOString()}`, 'Mounts:', ...describeMounts(s.mounts).map((l) => `  ${l}`), ...s.notes,
  ];
}

/** How it ended; `exit` is missing when the engine failed the run. Pure. */
export function logFooter(seconds: string, exit: ContainerExit | undefined, result: AgentRunResult): string[] {
  return [`Duration: ${seconds} s`,
    `Exit code: ${exit?.exitCode ?? 'none'}${exit?.oomKilled ? ' (out of memory)' : ''}${exit?.stopped ? ' (stopped by NanoKimi)' : ''}`,
    ...(result.ok ? [] : [`Failure: ${result.failure.message}`])];
}

/**
 * Writes the log; throws what prevented it. The group folder is mounted read-write, so the agent
 * may have swapped logs/ or the log's name for a symlink: a logs/ that is not a real directory is
 * refused, and no file is followed or overwritten.
 */
export function writeRunLog(log: RunLog, lines: string[], output: string): void {
  fs.mkdirSync(log.dir, { recursive: true });
  if (!fs.lstatSync(log.dir).isDirectory()) throw new Error(`${log.dir} is not a real directory`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(log.file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try { fs.writeFileSync(fd, [...lines, 'Output:', output].join('\n')); } finally { fs.closeSync(fd); }
}
