/**
 * @module The Docker create options for one agent run. Pure: every security setting is decided here,
 * in one place a test can read: non-root user, no capabilities, no privilege escalation, a read-only
 * root filesystem with size-capped scratch space, limits on memory, CPU and processes, labels for
 * clean-up, and only the environment variables of the container contract (@nanokimi/protocol/container).
 */
import type Docker from 'dockerode';
import { containerEnvNames, GROUP_MOUNT, type ContainerEnv } from '@nanokimi/protocol/container';
import { KIMI_HOME, type Mount } from './mounts.ts';

export type Limits = { memoryMb: number; cpus: number; pids: number };

/**
 * CPUs a container may use until its session is open (then the host lowers it to the limit): the
 * CLI's start-up is CPU-bound and is most of a cold run's wait. Two, where the host has them, as
 * measured by bench/agent-latency.ts on a 2-core machine (cold p50 1.6 s at 1 CPU, 1.15 s at 2).
 * Never below the group's own limit.
 */
export function startupCpus(limit: number, hostCpus: number): number {
  return Math.max(limit, Math.min(2, hostCpus));
}

/** Labels that mark a container as ours; the instance keeps two checkouts on one host apart. */
export const LABEL_INSTANCE = 'nanokimi.instance';
export const LABEL_GROUP = 'nanokimi.group';
export const LABEL_RUN = 'nanokimi.run';

/** `bridge`, `none`, or `container:<name>`: join another container's network (an egress-filtering sidecar). */
export type ContainerNetwork = 'bridge' | 'none' | `container:${string}`;

/**
 * Writable scratch space, each capped in size, on an otherwise read-only root: /tmp, the user's home,
 * and the CLI's home (its logs, cache and indexes; the binds of config.toml, credentials and sessions
 * sit on top). In memory and new for every container, so nothing of it is shared between groups.
 */
export function scratchSpace(user: string): Record<string, string> {
  const [uid = '1000', gid = uid] = user.split(':');
  const owned = `uid=${uid},gid=${gid},mode=0700`;
  return {
    '/tmp': 'rw,nosuid,nodev,size=256m',
    '/home/node': `rw,nosuid,nodev,size=64m,${owned}`,
    [KIMI_HOME]: `rw,nosuid,nodev,size=256m,${owned}`,
  };
}
export type ContainerSpecInput = {
  name: string;
  image: string;
  /** "uid:gid" as the container process runs; the image's `node` user is 1000:1000. */
  user: string;
  mounts: readonly Mount[];
  env: ContainerEnv;
  limits: Limits;
  /** The CPU limit it starts with (see startupCpus); limits.cpus when not given. */
  cpusAtStart?: number;
  network: ContainerNetwork;
  labels: { instance: string; group: string; run: number };
};

export function containerSpec(i: ContainerSpecInput): Docker.ContainerCreateOptions {
  // Only the contract's variables, whatever else the object holds at run time.
  const env = Object.entries(i.env).filter(([k, v]) => (containerEnvNames as readonly string[]).includes(k) && v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return {
    name: i.name,
    Image: i.image,
    User: i.user,
    Env: env,
    WorkingDir: GROUP_MOUNT,
    Labels: { [LABEL_INSTANCE]: i.labels.instance, [LABEL_GROUP]: i.labels.group, [LABEL_RUN]: String(i.labels.run) },
    HostConfig: {
      Mounts: i.mounts.map((m) => m.kind === 'tmpfs'
        ? { Type: 'tmpfs' as const, Source: '', Target: m.target, TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o500 } }
        : { Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readonly }),
      Memory: i.limits.memoryMb * 1024 * 1024,
      MemorySwap: i.limits.memoryMb * 1024 * 1024, // equal to Memory: no swap on top
      NanoCpus: Math.round((i.cpusAtStart ?? i.limits.cpus) * 1e9),
      PidsLimit: i.limits.pids,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      NetworkMode: i.network,
      // tini as PID 1 reaps the CLI's children and forwards SIGTERM.
      Init: true,
      ReadonlyRootfs: true,
      Tmpfs: scratchSpace(i.user),
    },
  };
}
