/**
 * @module The least-privilege mount plan for a group's container. Pure: it receives paths and facts
 * the caller looked up (which project secrets exist, real paths of requested extra mounts) and
 * returns data; the Docker agent prepares directories and starts the container from it.
 *
 * | host                               | container                      | mode              |
 * | groups/<group>/                    | /workspace/group               | rw                |
 * | groups/global/                     | /workspace/global              | ro (main: rw)     |
 * | data/credentials/config.toml       | /home/node/.kimi/config.toml   | ro (a single file)|
 * | data/oauth-token/                  | /home/node/.kimi/credentials   | rw (shared)       |
 * | data/sessions/<group>/.kimi/       | /home/node/.kimi/sessions      | rw                |
 * | data/ipc/<group>/                  | /workspace/ipc                 | rw                |
 * | project root (main only)           | /workspace/project             | ro, secrets hidden|
 *
 * Below the agent's writable mounts, each directory the host works in is bound again onto itself
 * (pinnedDirs): a mountpoint cannot be renamed, removed or replaced by a link from inside the
 * container, so no path component above the file names the host handles is the agent's to change.
 */
import path from 'node:path';
import { GROUP_MOUNT } from '@nanokimi/protocol/container';

export type Mount =
  | { kind: 'bind'; source: string; target: string; readonly: boolean }
  /** An empty in-memory directory laid over a path, to hide what is beneath it. */
  | { kind: 'tmpfs'; target: string };

export type MountPaths = { projectRoot: string; groupsDir: string; dataDir: string };

/** Where the CLI inside the container keeps its home. */
export const KIMI_HOME = '/home/node/.kimi';

export function hostPaths(p: MountPaths, folder: string) {
  return {
    group: path.join(p.groupsDir, folder),
    global: path.join(p.groupsDir, 'global'),
    configToml: path.join(p.dataDir, 'credentials', 'config.toml'),
    tokenDir: path.join(p.dataDir, 'oauth-token'),
    sessions: path.join(p.dataDir, 'sessions', folder, '.kimi'),
    ipc: path.join(p.dataDir, 'ipc', folder),
    logs: path.join(p.groupsDir, folder, 'logs'),
  };
}

/**
 * The directories the host reads, writes, renames in or deletes from while a container runs, under
 * mounts the agent may write: the IPC subdirectories (errors/ read-only: the agent only reads the
 * host's reasons there) and the run logs (read-only: they are the host's record).
 */
export function pinnedDirs(p: MountPaths, folder: string): Mount[] {
  const h = hostPaths(p, folder);
  return [
    ...(['messages', 'tasks', 'input'] as const).map((d) => ({ kind: 'bind' as const, source: path.join(h.ipc, d), target: `/workspace/ipc/${d}`, readonly: false })),
    { kind: 'bind', source: path.join(h.ipc, 'errors'), target: '/workspace/ipc/errors', readonly: true },
    { kind: 'bind', source: h.logs, target: '/workspace/group/logs', readonly: true },
  ];
}

/** A path inside the project that main's read-only view must not show, as found on disk. */
export type ProjectSecret = { relative: string; kind: 'file' | 'dir' };

/** Paths under the project root to hide from main when they exist: runtime state and secrets. */
export function secretCandidates(p: MountPaths): string[] {
  const inside = (abs: string) => {
    const rel = path.relative(p.projectRoot, abs);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? [rel] : [];
  };
  return [...inside(p.dataDir), '.env', '.env.local', '.tools'];
}

export function planMounts(input: {
  folder: string;
  isMain: boolean;
  paths: MountPaths;
  /** Which candidates from secretCandidates() exist, and as what. */
  projectSecrets: readonly ProjectSecret[];
  extra?: readonly Mount[];
  /** False when what must be hidden could not all be found: main then gets no project view at all. */
  projectView?: boolean;
}): Mount[] {
  const h = hostPaths(input.paths, input.folder);
  const mounts: Mount[] = [
    { kind: 'bind', source: h.group, target: GROUP_MOUNT, readonly: false },
    { kind: 'bind', source: h.global, target: '/workspace/global', readonly: !input.isMain },
    { kind: 'bind', source: h.ipc, target: '/workspace/ipc', readonly: false },
    { kind: 'bind', source: h.configToml, target: `${KIMI_HOME}/config.toml`, readonly: true },
    { kind: 'bind', source: h.tokenDir, target: `${KIMI_HOME}/credentials`, readonly: false },
    { kind: 'bind', source: h.sessions, target: `${KIMI_HOME}/sessions`, readonly: false },
    ...pinnedDirs(input.paths, input.folder),
  ];
  if (input.isMain && input.projectView !== false) {
    mounts.push({ kind: 'bind', source: input.paths.projectRoot, target: '/workspace/project', readonly: true });
    for (const s of input.projectSecrets) {
      const target = path.posix.join('/workspace/project', ...s.relative.split(path.sep));
      // A directory is covered by an empty tmpfs; a file by /dev/null, which reads as empty.
      mounts.push(s.kind === 'dir' ? { kind: 'tmpfs', target } : { kind: 'bind', source: '/dev/null', target, readonly: true });
    }
  }
  return [...mounts, ...(input.extra ?? [])];
}

/** The table a person reads in the run log: `host -> container (ro|rw)`. */
export function describeMounts(mounts: readonly Mount[]): string[] {
  return mounts.map((m) => m.kind === 'tmpfs'
    ? `(empty tmpfs) -> ${m.target} (hidden)`
    : `${m.source} -> ${m.target} (${m.readonly ? 'ro' : 'rw'})`);
}
