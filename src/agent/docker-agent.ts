/**
 * @module The Agent that runs each group's agent in its own Docker container: prepares the
 * group's directories, checks what must exist, plans the mounts, starts the container through the
 * Docker engine (docker-engine.ts), and writes a run log a person can read
 * (`groups/<group>/logs/container-<time>.log`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { lastFailureLine } from '@nanokimi/protocol/failure';
import type { Logger } from '../logger.ts';
import { ensureIpcDirs, WORKSPACE_DIR_MODE } from '../ipc/ipc-dirs.ts';
import type { Agent, AgentFailure, AgentRunRequest, AgentRunResult } from './agent.ts';
import { SESSION_READY_EVENT } from '@nanokimi/protocol/container';
import { containerSpec, startupCpus, type ContainerNetwork, type Limits } from './container-spec.ts';
import { DockerUnavailable, ImageMissing, type ContainerExit, type DockerEngine } from './docker-engine.ts';
import { modelProblem } from '../kimi/config-toml.ts';
import { allowlistSchema, checkExtraMount, type Allowlist } from './extra-mounts.ts';
import { describeMounts, hostPaths, planMounts, secretCandidates, type Mount, type MountPaths } from './mounts.ts';
import { findProjectHides } from './project-hides.ts';

export type DockerAgentDeps = {
  engine: DockerEngine;
  paths: MountPaths;
  image: string;
  user: string;
  limits: Limits;
  network: ContainerNetwork;
  /** KIMI_MODEL; unset or null for config.toml's default_model. */
  model?: string | null;
  assistantName: string;
  timeZone: string;
  mountAllowlist: string;
  log: Logger;
  graceSeconds?: number;
  /** Names and times each run log (and a logs/ entry moved aside). */
  now?: () => number;
  /** CPUs of the host the engine runs on (the daemon's own, by default: the engine is local). */
  hostCpus?: number;
  /** How long a container keeps its start-up CPUs when it never says its session is open. */
  startupMs?: number;
};

/** Tells this checkout's containers from another's on the same host. */
export const instanceId = (dataDir: string) => createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);

const MAX_LOG_OUTPUT = 256 * 1024;
/** Failures worth another attempt: the next one may well succeed. */
export const retryableKinds: ReadonlySet<AgentFailure['kind']> = new Set(['provider', 'rate-limited', 'crashed', 'timeout']);
const fail = (kind: AgentFailure['kind'], message: string, retryable: boolean): AgentRunResult =>
  ({ ok: false, failure: { kind, message, retryable } });
const dockerDown = (err: Error) => fail('unavailable', `${err.message}; start Docker and the message will be retried.`, true);

function readAllowlist(file: string, log: Logger): Allowlist {
  if (!fs.existsSync(file)) return { allowedRoots: [], blockedPatterns: [] };
  try {
    return allowlistSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    log.error({ file, err: String(err) }, 'Mount allowlist is not valid; no extra mounts are allowed until it is fixed');
    return { allowedRoots: [], blockedPatterns: [] };
  }
}

/** How a container's end reads to the person in the chat, and whether to try again. Pure. */
export function explainExit(exit: ContainerExit, limits: Limits, logFile: string, output: string): AgentRunResult {
  if (exit.stopped) return fail('timeout', 'the agent took too long and was stopped.', true);
  const reported = lastFailureLine(output);
  if (reported) {
    const where = reported.kind === 'crashed' || reported.kind === 'timeout' ? `; the log is ${logFile}` : '';
    return fail(reported.kind, `${reported.message.replace(/\.$/, '')}${where}.`, retryableKinds.has(reported.kind));
  }
  if (exit.oomKilled) {
    return fail('crashed', `the agent ran out of memory (limit ${limits.memoryMb} MB) and was stopped; see ${logFile}.`, true);
  }
  return fail('crashed', `the agent crashed (exit code ${exit.exitCode}); the log is ${logFile}.`, true);
}

export function createDockerAgent(deps: DockerAgentDeps): Agent {
  const instance = instanceId(deps.paths.dataDir);
  const graceSeconds = deps.graceSeconds ?? 10;
  const now = deps.now ?? Date.now;
  const hostCpus = deps.hostCpus ?? os.availableParallelism();
  const startupMs = deps.startupMs ?? 5000;
  const sessionReady = `"event":"${SESSION_READY_EVENT}"`;

  /** Creates what the group's container writes to; returns a problem a person can fix, or null. */
  function prepare(folder: string): string | null {
    const h = hostPaths(deps.paths, folder);
    if (!fs.statSync(h.configToml, { throwIfNoEntry: false })?.isFile()) {
      return `the Kimi configuration ${h.configToml} is missing. Run scripts/setup-oauth-isolation.sh on the host to create it.`;
    }
    if (!fs.statSync(h.tokenDir, { throwIfNoEntry: false })?.isDirectory()) {
      return `the OAuth token directory ${h.tokenDir} is missing. Run \`kimi login\` on the host, then scripts/setup-oauth-isolation.sh.`;
    }
    fs.mkdirSync(h.sessions, { recursive: true, mode: WORKSPACE_DIR_MODE });
    fs.mkdirSync(h.group, { recursive: true });
    ensureIpcDirs(path.dirname(h.ipc), folder);
    // A mount source is followed by Docker: logs/ must be a real directory, not a link a past agent
    // left (no container of this group runs now, so nothing swaps it back before the mount).
    const logs = fs.lstatSync(h.logs, { throwIfNoEntry: false });
    if (logs && !logs.isDirectory()) fs.renameSync(h.logs, `${h.logs}.moved-aside-${now()}`);
    fs.mkdirSync(h.logs, { recursive: true });
    return null;
  }

  function extraMounts(req: AgentRunRequest, notes: string[]): Mount[] {
    const wanted = req.group.container.extraMounts ?? [];
    if (wanted.length === 0) return [];
    const allowlist = readAllowlist(deps.mountAllowlist, deps.log);
    const mounts: Mount[] = [];
    for (const w of wanted) {
      let real: string | null = null;
      try { real = fs.realpathSync(w.hostPath); } catch { /* reported below as missing */ }
      const decision = checkExtraMount(w, real, allowlist, [deps.paths.dataDir, deps.paths.groupsDir, deps.paths.projectRoot], os.homedir());
      if (decision.ok) mounts.push(decision.mount);
      else {
        notes.push(`extra mount refused: ${decision.reason}`);
        deps.log.warn({ group: req.group.folder, reason: decision.reason }, 'Extra mount refused');
      }
    }
    return mounts;
  }

  return {
    async run(req) {
      const folder = req.group.folder;
      const problem = prepare(folder) ?? await modelProblem(hostPaths(deps.paths, folder).configToml, deps.model ?? null);
      if (problem) return fail('config', problem, false);
      try {
        if (!(await deps.engine.imageExists(deps.image))) {
          return fail('config', `the agent image ${deps.image} is not built. Build it with container/build.sh.`, false);
        }
      } catch (err) {
        if (err instanceof DockerUnavailable) return dockerDown(err);
        throw err;
      }

      const notes: string[] = [];
      const fixed = secretCandidates(deps.paths);
      const projectSecrets = fixed.flatMap((relative) => {
        const st = fs.lstatSync(path.join(deps.paths.projectRoot, relative), { throwIfNoEntry: false });
        return st ? [{ relative, kind: st.isDirectory() ? 'dir' as const : 'file' as const }] : [];
      });
      let projectView = true;
      if (req.group.isMain) {
        // Group folders are written by agents: never walked (a swapped-in link would lead the walk out).
        const groupsRel = path.relative(deps.paths.projectRoot, deps.paths.groupsDir);
        const found = findProjectHides(deps.paths.projectRoot, readAllowlist(deps.mountAllowlist, deps.log).blockedPatterns,
          [...fixed, groupsRel]);
        projectSecrets.push(...found.hides);
        // Fail closed: a view with secrets it could not all cover is not given at all.
        if (found.truncated) {
          projectView = false;
          notes.push('project view withheld: more entries to hide than the limit (move backups, keys and logs out of the checkout)');
          deps.log.warn({ group: folder }, 'Main gets no project view this run: too many entries to hide');
        }
      }
      const mounts = planMounts({ folder, isMain: req.group.isMain, paths: deps.paths, projectSecrets, projectView,
        extra: extraMounts(req, notes) });
      const limits: Limits = {
        memoryMb: req.group.container.memoryMb ?? deps.limits.memoryMb,
        cpus: req.group.container.cpus ?? deps.limits.cpus,
        pids: req.group.container.pids ?? deps.limits.pids,
      };
      const cpusAtStart = startupCpus(limits.cpus, hostCpus);
      const name = `nanokimi-${instance}-${folder}-${req.runId}`;
      const spec = containerSpec({
        name, image: deps.image, user: deps.user, mounts, limits, cpusAtStart, network: req.group.container.network ?? deps.network,
        labels: { instance, group: folder, run: req.runId },
        env: {
          ASSISTANT_NAME: deps.assistantName, TZ: deps.timeZone, NANOKIMI_GROUP: folder,
          NANOKIMI_IS_MAIN: req.group.isMain ? '1' : '0', NANOKIMI_RUN_KIND: req.input.type === 'task' ? 'task' : 'chat',
          NANOKIMI_CHAT_JID: req.chatJid, NANOKIMI_SESSION_ID: req.sessionId, KIMI_MODEL: deps.model ?? undefined,
        },
      });

      // The agent reads its work from input/, the first prompt like every follow-up.
      await writeJsonAtomic(path.join(req.ipcDir, 'input'), req.input);

      const started = new Date(now());
      const logDir = path.join(deps.paths.groupsDir, folder, 'logs');
      try { fs.mkdirSync(logDir, { recursive: true }); } catch { /* reported when the log is written */ }
      const logFile = path.join(logDir, `container-${started.toISOString().replace(/[:.]/g, '-')}.log`);
      let output = '';
      const header = [
        `NanoKimi agent run ${req.runId} for group ${folder}${req.group.isMain ? ' (main)' : ''}`,
        `Container: ${name}`, `Image: ${deps.image}`, `User: ${deps.user}`,
        `Limits: memory ${limits.memoryMb} MB, cpus ${limits.cpus}${cpusAtStart > limits.cpus ? ` (${cpusAtStart} until its session is open)` : ''}, pids ${limits.pids}, network ${spec.HostConfig!.NetworkMode}`,
        `Started: ${started.toISOString()}`, 'Mounts:', ...describeMounts(mounts).map((l) => `  ${l}`), ...notes,
      ];
      // The group folder is mounted read-write, so the agent may have swapped logs/ or the log's name
      // for a symlink: refuse a logs/ that is not a real directory, and never follow or overwrite a file.
      const writeLog = (footer: string[]) => {
        try {
          fs.mkdirSync(logDir, { recursive: true });
          if (!fs.lstatSync(logDir).isDirectory()) throw new Error(`${logDir} is not a real directory`);
          const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
          const fd = fs.openSync(logFile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
          try { fs.writeFileSync(fd, [...header, ...footer, 'Output:', output].join('\n')); } finally { fs.closeSync(fd); }
        } catch (err) {
          deps.log.warn({ group: folder, log: logFile, err: String(err) }, 'Could not write the run log');
        }
      };

      // The start-up allowance ends when the runner says its session is open, or after startupMs
      // whatever it says: what the container prints can only end it sooner.
      let startupOver = cpusAtStart <= limits.cpus;
      let finished = false;
      const endStartup = () => {
        if (startupOver) return;
        startupOver = true;
        clearTimeout(startupTimer);
        deps.engine.setCpus(name, limits.cpus).catch((err: unknown) => {
          // A container already gone needs no limit.
          if (!finished) deps.log.warn({ group: folder, container: name, err: String(err) }, 'Could not lower the container\'s CPU limit after its start; it keeps its start-up CPUs for this run');
        });
      };
      const startupTimer = setTimeout(endStartup, startupMs);
      let result: AgentRunResult;
      let exit: ContainerExit | undefined;
      try {
        exit = await deps.engine.run(spec, { signal: req.signal, graceSeconds,
          onOutput: (t) => {
            output = (output + t).slice(-MAX_LOG_OUTPUT);
            if (!startupOver && output.includes(sessionReady)) endStartup();
          } });
        result = exit.exitCode === 0 && !exit.stopped ? { ok: true } : explainExit(exit, limits, logFile, output);
      } catch (err) {
        if (err instanceof DockerUnavailable) result = dockerDown(err);
        else if (err instanceof ImageMissing) result = fail('config', `the agent image ${deps.image} is not built. Build it with container/build.sh.`, false);
        else result = fail('crashed', `the container could not run: ${(err as Error).message}; the log is ${logFile}.`, true);
      }
      finished = startupOver = true;
      clearTimeout(startupTimer);
      const seconds = ((now() - started.getTime()) / 1000).toFixed(1);
      writeLog([`Duration: ${seconds} s`, `Exit code: ${exit?.exitCode ?? 'none'}${exit?.oomKilled ? ' (out of memory)' : ''}${exit?.stopped ? ' (stopped by NanoKimi)' : ''}`,
        ...(result.ok ? [] : [`Failure: ${result.failure.message}`])]);
      deps.log.info({ group: folder, runId: req.runId, exitCode: exit?.exitCode, seconds, log: logFile }, 'Container finished');
      return result;
    },
  };
}

/** At start-up: containers a previous daemon left running are stopped and removed. */
export async function removeOrphans(engine: DockerEngine, dataDir: string, log: Logger): Promise<void> {
  try {
    const n = await engine.removeOrphans(instanceId(dataDir));
    if (n > 0) log.warn({ containers: n }, 'Removed agent containers left by a previous run');
  } catch (err) {
    log.warn({ err: String(err) }, 'Could not look for orphan containers; Docker may be down');
  }
}
