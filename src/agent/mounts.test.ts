import { describe, expect, it } from 'vitest';
import { describeMounts, KIMI_HOME, pinnedDirs, planMounts, secretCandidates, type Mount, type MountPaths } from './mounts.ts';

const paths: MountPaths = { projectRoot: '/srv/nanokimi', groupsDir: '/srv/nanokimi/groups', dataDir: '/srv/nanokimi/data' };

const binds = (mounts: readonly Mount[]) => mounts.filter((m): m is Extract<Mount, { kind: 'bind' }> => m.kind === 'bind');
const byTarget = (mounts: readonly Mount[], target: string) => mounts.find((m) => m.target === target);
const plan = (folder: string, isMain = false, projectSecrets: { relative: string; kind: 'file' | 'dir' }[] = []) =>
  planMounts({ folder, isMain, paths, projectSecrets });

describe('planMounts for a non-main group', () => {
  const mounts = plan('family');
  const pinned = pinnedDirs(paths, 'family');

  it('is exactly the six mounts of the least-privilege table, with their modes, plus the pinned directories', () => {
    expect(mounts).toHaveLength(11);
    expect(new Set(mounts)).toEqual(new Set([
      { kind: 'bind', source: '/srv/nanokimi/groups/family', target: '/workspace/group', readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/groups/global', target: '/workspace/global', readonly: true },
      { kind: 'bind', source: '/srv/nanokimi/data/credentials/config.toml', target: `${KIMI_HOME}/config.toml`, readonly: true },
      { kind: 'bind', source: '/srv/nanokimi/data/oauth-token', target: `${KIMI_HOME}/credentials`, readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/data/sessions/family/.kimi', target: `${KIMI_HOME}/sessions`, readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/data/ipc/family', target: '/workspace/ipc', readonly: false },
      ...pinned,
    ]));
  });

  it('pins each directory the host works in below a writable mount, so the agent cannot rename or replace it', () => {
    expect(pinned).toEqual([
      { kind: 'bind', source: '/srv/nanokimi/data/ipc/family/messages', target: '/workspace/ipc/messages', readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/data/ipc/family/tasks', target: '/workspace/ipc/tasks', readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/data/ipc/family/input', target: '/workspace/ipc/input', readonly: false },
      { kind: 'bind', source: '/srv/nanokimi/data/ipc/family/errors', target: '/workspace/ipc/errors', readonly: true },
      { kind: 'bind', source: '/srv/nanokimi/groups/family/logs', target: '/workspace/group/logs', readonly: true },
    ]);
  });

  it.each([
    ['/workspace/global', true],
    ['/home/node/.kimi/config.toml', true],
    ['/home/node/.kimi/credentials', false],
    ['/home/node/.kimi/sessions', false],
    ['/workspace/ipc', false],
    ['/workspace/group', false],
  ])('mounts %s read-only=%s', (target, readonly) => {
    expect(byTarget(mounts, target)).toMatchObject({ kind: 'bind', readonly });
  });

  it('mounts config.toml as a single file, not the credentials directory', () => {
    const config = byTarget(mounts, '/home/node/.kimi/config.toml');
    expect(config).toMatchObject({ source: '/srv/nanokimi/data/credentials/config.toml' });
  });

  it.each([
    ['the credentials directory', '/srv/nanokimi/data/credentials'],
    ['the backup token', '/srv/nanokimi/data/credentials/kimi-code.json'],
    ['.env', '/srv/nanokimi/.env'],
    ['the project root', '/srv/nanokimi'],
    ['the data directory', '/srv/nanokimi/data'],
    ['the groups directory', '/srv/nanokimi/groups'],
    ["another group's folder", '/srv/nanokimi/groups/work'],
    ["another group's sessions", '/srv/nanokimi/data/sessions/work/.kimi'],
    ["another group's IPC", '/srv/nanokimi/data/ipc/work'],
    ['the sessions root', '/srv/nanokimi/data/sessions'],
    ['the IPC root', '/srv/nanokimi/data/ipc'],
  ])('never mounts %s', (_what, source) => {
    expect(binds(mounts).map((m) => m.source)).not.toContain(source);
  });

  it('does not mount the project, even when project secrets are passed in', () => {
    const withSecrets = plan('family', false, [{ relative: '.env', kind: 'file' }, { relative: 'data', kind: 'dir' }]);
    expect(withSecrets).toEqual(mounts);
    expect(withSecrets.map((m) => m.target).filter((t) => t.startsWith('/workspace/project'))).toEqual([]);
  });

  it('never binds a host path whose name is .env, wherever it is', () => {
    expect(binds(mounts).some((m) => m.source.split('/').includes('.env'))).toBe(false);
  });

  it('appends extra mounts after the plan', () => {
    const extra: Mount = { kind: 'bind', source: '/home/me/projects/x', target: '/workspace/extra/x', readonly: true };
    const withExtra = planMounts({ folder: 'family', isMain: false, paths, projectSecrets: [], extra: [extra] });
    expect(withExtra).toEqual([...mounts, extra]);
  });
});

describe('planMounts for the main group', () => {
  const secrets = [
    { relative: 'data', kind: 'dir' as const },
    { relative: '.env', kind: 'file' as const },
    { relative: '.tools', kind: 'dir' as const },
    { relative: 'config/secret.json', kind: 'file' as const },
  ];
  const mounts = plan('main', true, secrets);

  it('mounts global read-write', () => {
    expect(byTarget(mounts, '/workspace/global')).toMatchObject({ source: '/srv/nanokimi/groups/global', readonly: false });
  });

  it('mounts the project root read-only at /workspace/project', () => {
    expect(byTarget(mounts, '/workspace/project')).toEqual(
      { kind: 'bind', source: '/srv/nanokimi', target: '/workspace/project', readonly: true });
  });

  it('gets no project view at all when what must be hidden could not all be found', () => {
    const without = planMounts({ folder: 'main', isMain: true, paths, projectSecrets: secrets, projectView: false });
    expect(without.filter((m) => m.target.startsWith('/workspace/project'))).toEqual([]);
    expect(byTarget(without, '/workspace/group')).toBeDefined();
  });

  it('still gets its own group, ipc and session mounts read-write and config.toml read-only', () => {
    expect(byTarget(mounts, '/workspace/group')).toMatchObject({ source: '/srv/nanokimi/groups/main', readonly: false });
    expect(byTarget(mounts, '/workspace/ipc')).toMatchObject({ source: '/srv/nanokimi/data/ipc/main', readonly: false });
    expect(byTarget(mounts, `${KIMI_HOME}/sessions`)).toMatchObject({ source: '/srv/nanokimi/data/sessions/main/.kimi', readonly: false });
    expect(byTarget(mounts, `${KIMI_HOME}/config.toml`)).toMatchObject({ readonly: true });
  });

  it.each([
    ['data', { kind: 'tmpfs', target: '/workspace/project/data' }],
    ['.tools', { kind: 'tmpfs', target: '/workspace/project/.tools' }],
    ['.env', { kind: 'bind', source: '/dev/null', target: '/workspace/project/.env', readonly: true }],
    ['config/secret.json', { kind: 'bind', source: '/dev/null', target: '/workspace/project/config/secret.json', readonly: true }],
  ])('hides the project secret %s', (_relative, mount) => {
    expect(mounts).toContainEqual(mount);
  });

  it("is the six table mounts and the five pinned directories plus the project plus one per secret", () => {
    expect(mounts).toHaveLength(6 + 5 + 1 + secrets.length);
  });

  it('never binds the credentials directory or the backup token', () => {
    const sources = binds(mounts).map((m) => m.source);
    expect(sources).not.toContain('/srv/nanokimi/data/credentials');
    expect(sources).not.toContain('/srv/nanokimi/data/credentials/kimi-code.json');
  });
});

describe('secretCandidates', () => {
  it('includes the data directory relative to the project when data is inside it', () => {
    expect(secretCandidates(paths)).toContain('data');
  });

  it('gives a nested data directory as its relative path', () => {
    expect(secretCandidates({ ...paths, dataDir: '/srv/nanokimi/var/state' })).toContain('var/state');
  });

  it.each([
    ['a sibling directory', '/srv/state'],
    ['a sibling with the project name as prefix', '/srv/nanokimi-data'],
    ['somewhere else entirely', '/var/lib/nanokimi'],
  ])('omits the data directory when it is outside the project (%s)', (_what, dataDir) => {
    const c = secretCandidates({ ...paths, dataDir });
    expect(c.some((r) => r.startsWith('..') || r.startsWith('/'))).toBe(false);
    expect(c).toEqual(['.env', '.env.local', '.tools']);
  });

  it.each([
    ['data inside', paths],
    ['data outside', { ...paths, dataDir: '/var/lib/nanokimi' }],
  ])('always includes .env (%s)', (_what, p) => {
    expect(secretCandidates(p)).toContain('.env');
  });
});

describe('describeMounts', () => {
  it('renders one `host -> container (ro|rw)` line per bind and marks tmpfs as hidden', () => {
    expect(describeMounts([
      { kind: 'bind', source: '/a', target: '/x', readonly: true },
      { kind: 'bind', source: '/b', target: '/y', readonly: false },
      { kind: 'tmpfs', target: '/workspace/project/data' },
    ])).toEqual([
      '/a -> /x (ro)',
      '/b -> /y (rw)',
      '(empty tmpfs) -> /workspace/project/data (hidden)',
    ]);
  });

  it('renders every mount of a plan', () => {
    const lines = describeMounts(plan('family'));
    expect(lines).toHaveLength(11);
    expect(lines).toContain('/srv/nanokimi/data/credentials/config.toml -> /home/node/.kimi/config.toml (ro)');
    expect(lines).toContain('/srv/nanokimi/groups/family -> /workspace/group (rw)');
    for (const l of lines) expect(l).toMatch(/^\S+ -> \S+ \((ro|rw)\)$/);
  });
});

describe('two groups', () => {
  const a = binds(plan('family'));
  const b = binds(plan('work'));

  it('share only the token directory, config.toml and global', () => {
    const shared = a.map((m) => m.source).filter((s) => b.some((m) => m.source === s));
    expect(shared.sort()).toEqual([
      '/srv/nanokimi/data/credentials/config.toml',
      '/srv/nanokimi/data/oauth-token',
      '/srv/nanokimi/groups/global',
    ]);
  });

  it.each(['/workspace/group', '/workspace/ipc', `${KIMI_HOME}/sessions`])('have different sources at %s', (target) => {
    const sa = a.find((m) => m.target === target)!.source;
    const sb = b.find((m) => m.target === target)!.source;
    expect(sa).not.toBe(sb);
    expect(sa).toContain('family');
    expect(sb).toContain('work');
  });
});
