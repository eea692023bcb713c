/**
 * @module The Agent that runs each group's agent in its own Docker container. A run, in order:
 * refuse what a person must fix first (config.toml, the token directory, the model, the image),
 * having prepared the group's directories; plan the mounts, limits and container spec; hand over
 * the first input; run the container through the Docker engine (docker-engine.ts), with extra
 * CPUs while it starts; explain its end for the chat (explain-exit.ts); and write the run log a
 * person can read (run-log.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { SESSION_READY_EVENT } from '@nanokimi/protocol/container';
import type { Group } from '../domain.ts';
import type { Logger } from '../logger.ts';
import { ensureIpcDirs, WORKSPACE_DIR_MODE } from '../ipc/ipc-dirs.ts';
import { modelProblem } from '../kimi/config-toml.ts';
import type { Agent, AgentRunRequest, AgentRunResult } from './agent.ts';
import { containerSpec, startupCpus, type ContainerNetwork, type Limits } from './container-spec.ts';
import { DockerUnavailable, type ContainerExit, type DockerEngine } from './docker-engine.ts';
import { dockerDown, explainError, explainExit, failed, imageMissing } from './explain-exit.ts';
import { allowlistSchema, checkExtraMount, type Allowlist } from './extra-mounts.ts';
import { hostPaths, planMounts, secretCandidates, type Mount, type MountPaths } from './mounts.ts';
import { findProjectHides } from './project-hides.ts';
import { logFooter, logHeader, runLogFile, writeRunLog, type RunLog } from './run-log.ts';

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
/** How soon a CPU limit that could not be lowered (the container not created yet) is tried again. */
const LOWER_RETRY_MS = 500;

/** What a run starts: its container, and what the log says was left out (`notes`). */
type RunPlan = {
  name: string; spec: Docker.ContainerCreateOptions; mounts: Mount[]; limits: Limits; cpusAtStart: number; network: ContainerNetwork;
  notes: string[];
};
/** How the container ended, or the error the engine failed the run with; the last of its output either way. */
type Ran = { exit: ContainerExit; output: string } | { exit?: undefined; error: unknown; output: string };

/** The group's own limits where it sets them, the defaults otherwise. Pure. */
function limitsFor(group: Group, defaults: Limits): Limits {
  return {
    memoryMb: group.container.memoryMb ?? defaults.memoryMb,
    cpus: group.container.cpus ?? defaults.cpus,
    pids: group.container.pids ?? defaults.pids,
  };
}

function readAllowlist(file: string, log: Logger): Allowlist {
  if (!fs.existsSync(file)) return { allowedRoots: [], blockedPatterns: [] };
  try {
    return allowlistSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    log.error({ file, err: String(err) }, 'Mount allowlist is not valid; no extra mounts are allowed until it is fixed');
    return { allowedRoots: [], blockedPatterns: [] };
  }
}

export function createDockerAgent(deps: DockerAgentDeps): Agent {
  const instance = instanceId(deps.paths.dataDir);
  const graceSeconds = deps.graceSeconds ?? 10;
  const now = deps.now ?? Date.now;
  const hostCpus = deps.hostCpus ?? os.availableParallelism();
  const startupMs = deps.startupMs ?? 5000;
  const sessionReady = `"event":"${SESSION_READY_EVENT}"`;

  async function run(req: AgentRunRequest): Promise<AgentRunResult> {
    const refused = await refuse(req);
    if (refused) return refused;
    const plan = planRun(req);
    // The agent reads its work from input/, the first prompt like every follow-up.
    await writeJsonAtomic(path.join(req.ipcDir, 'input'), req.input);
    const started = new Date(now());
    const log = runLogFile(deps.paths.groupsDir, req.group.folder, started);
    try { fs.mkdirSync(log.dir, { recursive: true }); } catch { /* reported when the log is written */ }
    const ran = await runContainer(plan, req);
    const result = ran.exit ? explainExit(ran.exit, plan.limits, log.file, ran.output) : explainError(ran.error, deps.image, log.file);
    writeLog(req, plan, log, started, ran, result);
    return result;
  }

  /** Why the run cannot start (a problem a person can fix, Docker down), or null; prepares the group's directories first. */
  async function refuse(req: AgentRunRequest): Promise<AgentRunResult | null> {
    const folder = req.group.folder;
    const problem = prepare(folder) ?? await modelProblem(hostPaths(deps.paths, folder).configToml, deps.model ?? null);
    if (problem) return failed('config', problem, false);
    try {
      return (await deps.engine.imageExists(deps.image)) ? null : imageMissing(deps.image);
    } catch (err) {
      if (err instanceof DockerUnavailable) return dockerDown(err);
      throw err;
    }
  }

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

  /** Everything the container is started with. */
  function planRun(req: AgentRunRequest): RunPlan {
    const folder = req.group.folder;
    const notes: string[] = [];
    const mounts = mountsFor(req, notes);
    const limits = limitsFor(req.group, deps.limits);
    const cpusAtStart = startupCpus(limits.cpus, hostCpus);
    const network = req.group.container.network ?? deps.network;
    const name = `nanokimi-${instance}-${folder}-${req.runId}`;
    const spec = containerSpec({
      name, image: deps.image, user: deps.user, mounts, limits, cpusAtStart, network,
      labels: { instance, group: folder, run: req.runId },
      env: {
        ASSISTANT_NAME: deps.assistantName, TZ: deps.timeZone, NANOKIMI_GROUP: folder,
        NANOKIMI_IS_MAIN: req.group.isMain ? '1' : '0',
        NANOKIMI_CHAT_JID: req.chatJid, NANOKIMI_SESSION_ID: req.sessionId, KIMI_MODEL: deps.model ?? undefined,
      },
    });
    return { name, spec, mounts, limits, cpusAtStart, network, notes };
  }

  /** The mounts, from what exists now: the project's secrets hidden, main's view of the project, the allowed extra mounts. */
  function mountsFor(req: AgentRunRequest, notes: string[]): Mount[] {
    const folder = req.group.folder;
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
    return planMounts({ folder, isMain: req.group.isMain, paths: deps.paths, projectSecrets, projectView,
      extra: extraMounts(req, notes) });
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

  /**
   * Runs the planned container to its end, keeping the last of its output. Its start-up CPUs last
   * until the runner says its session is open, or startupMs whatever it says: what the container
   * prints can only end them sooner.
   */
  async function runContainer(plan: RunPlan, req: AgentRunRequest): Promise<Ran> {
    let output = '';
    let startupOver = plan.cpusAtStart <= plan.limits.cpus;
    let finished = false;
    let retryTimer: NodeJS.Timeout | undefined;
    const lower = () => {
      deps.engine.setCpus(plan.name, plan.limits.cpus).catch((err: unknown) => {
        // A container already gone needs no limit.
        if (finished) return;
        // Not created yet (an engine slower than startupMs): again shortly.
        if (/no such container/i.test(String(err))) { retryTimer = setTimeout(lower, LOWER_RETRY_MS); return; }
        deps.log.warn({ group: req.group.folder, container: plan.name, err: String(err) }, 'Could not lower the container\'s CPU limit after its start; it keeps its start-up CPUs for this run');
      });
    };
    const endStartup = () => {
      if (startupOver) return;
      startupOver = true;
      clearTimeout(startupTimer);
      lower();
    };
    const startupTimer = setTimeout(endStartup, startupMs);
    try {
      const exit = await deps.engine.run(plan.spec, { signal: req.signal, graceSeconds,
        onOutput: (t) => {
          output = (output + t).slice(-MAX_LOG_OUTPUT);
          if (!startupOver && output.includes(sessionReady)) endStartup();
        } });
      return { exit, output };
    } catch (err) {
      return { error: err, output };
    } finally {
      finished = startupOver = true;
      clearTimeout(startupTimer);
      clearTimeout(retryTimer);
    }
  }

  /** The run log, and one line in the daemon's own log; a log that cannot be written is said there. */
  function writeLog(req: AgentRunRequest, plan: RunPlan, log: RunLog, started: Date, ran: Ran, result: AgentRunResult): void {
    const folder = req.group.folder;
    const seconds = ((now() - started.getTime()) / 1000).toFixed(1);
    const header = logHeader({ runId: req.runId, folder, isMain: req.group.isMain, name: plan.name, image: deps.image, user: deps.user,
      limits: plan.limits, cpusAtStart: plan.cpusAtStart, network: plan.network, started, mounts: plan.mounts, notes: plan.notes });
    try {
      writeRunLog(log, [...header, ...logFooter(seconds, ran.exit, result)], ran.output);
    } catch (err) {
      deps.log.warn({ group: folder, log: log.file, err: String(err) }, 'Could not write the run log');
    }
    deps.log.info({ group: folder, runId: req.runId, exitCode: ran.exit?.exitCode, seconds, log: log.file }, 'Container finished');
  }

  return { run };
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
