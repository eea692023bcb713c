import { describe, expect, it } from 'vitest';
import { allowlistSchema, alwaysBlocked, checkExtraMount, type Allowlist, type ExtraMountRequest } from './extra-mounts.ts';

const allowlist: Allowlist = {
  allowedRoots: [
    { path: '/home/me/projects', allowReadWrite: true },
    { path: '/home/me/photos', allowReadWrite: false },
  ],
  blockedPatterns: ['private', 'work/secret-stuff'],
};
const protectedRoots = ['/srv/nanokimi/data', '/srv/nanokimi/groups'];

const check = (req: Partial<ExtraMountRequest> & { hostPath: string }, real: string | null = req.hostPath, list = allowlist) =>
  checkExtraMount({ name: 'x', ...req }, real, list, protectedRoots);

const refusal = (d: ReturnType<typeof checkExtraMount>) => {
  expect(d.ok).toBe(false);
  return d.ok ? '' : d.reason;
};

describe('checkExtraMount: allowed paths', () => {
  it('mounts a folder under an allowed root read-only by default, at /workspace/extra/<name>', () => {
    expect(check({ hostPath: '/home/me/projects/app', name: 'app' })).toEqual({
      ok: true, mount: { kind: 'bind', source: '/home/me/projects/app', target: '/workspace/extra/app', readonly: true },
    });
  });

  it('accepts the allowed root itself', () => {
    expect(check({ hostPath: '/home/me/projects' })).toMatchObject({ ok: true });
  });

  it.each([
    ['requested rw, root allows rw', '/home/me/projects/app', true, false],
    ['requested rw, root is read-only', '/home/me/photos/2024', true, true],
    ['not requested, root allows rw', '/home/me/projects/app', false, true],
    ['not requested, root is read-only', '/home/me/photos/2024', undefined, true],
  ])('is read-write only when requested and allowed by the root (%s)', (_what, hostPath, readWrite, readonly) => {
    const d = check({ hostPath, readWrite });
    expect(d).toMatchObject({ ok: true, mount: { readonly } });
  });

  it('uses the real path (symlinks resolved by the caller) as the mount source', () => {
    const d = check({ hostPath: '/home/me/link-to-app' }, '/home/me/projects/app');
    expect(d).toMatchObject({ ok: true, mount: { source: '/home/me/projects/app' } });
  });

  it('decides by the real path, not the requested one', () => {
    // The request names an allowed folder, but it is a symlink to somewhere else.
    const d = check({ hostPath: '/home/me/projects/innocent' }, '/etc');
    expect(refusal(d)).toMatch(/not under any allowed root/);
  });
});

describe('checkExtraMount: refused paths', () => {
  it.each([
    ['outside every root', '/etc'],
    ['the parent of a root', '/home/me'],
    ['a sibling whose name has a root as prefix', '/home/me/projects-evil'],
    ['a sibling file with a root as prefix', '/home/me/photosynthesis'],
  ])('refuses a path %s', (_what, hostPath) => {
    expect(refusal(check({ hostPath }))).toMatch(/not under any allowed root/);
  });

  it('refuses everything when the allowlist has no roots', () => {
    expect(refusal(check({ hostPath: '/home/me/projects/app' }, '/home/me/projects/app', { allowedRoots: [], blockedPatterns: [] })))
      .toMatch(/not under any allowed root/);
  });

  it.each([
    '/home/me/projects/.ssh',
    '/home/me/projects/app/.ssh/keys',
    '/home/me/projects/.gnupg',
    '/home/me/projects/.aws',
    '/home/me/projects/.kube',
    '/home/me/projects/.docker',
    '/home/me/projects/.kimi',
    '/home/me/projects/credentials',
    '/home/me/projects/app/credentials/inner',
    '/home/me/projects/.env',
    '/home/me/projects/id_rsa',
    '/home/me/projects/id_ed25519',
    '/home/me/projects/.netrc',
    '/home/me/projects/.npmrc',
    '/home/me/projects/oauth-token',
    '/home/me/projects/.config/gcloud/creds',
  ])('refuses %s, which matches an always-blocked pattern, even under an allowed root', (hostPath) => {
    expect(refusal(check({ hostPath }))).toMatch(/blocked pattern/);
  });

  it('has the documented keys and credentials in its always-blocked list', () => {
    expect(alwaysBlocked).toEqual(expect.arrayContaining(['.ssh', '.gnupg', '.aws', 'credentials', '.env', 'id_rsa']));
  });

  it('does not treat a name that merely contains a blocked word as blocked', () => {
    expect(check({ hostPath: '/home/me/projects/my-credentials-notes' })).toMatchObject({ ok: true });
  });

  it.each([
    ['a single-component pattern', '/home/me/projects/private'],
    ['a single-component pattern deeper down', '/home/me/projects/app/private/x'],
    ['a multi-component pattern', '/home/me/projects/work/secret-stuff/x'],
  ])("refuses the allowlist's own blockedPatterns (%s)", (_what, hostPath) => {
    expect(refusal(check({ hostPath }))).toMatch(/blocked pattern/);
  });

  it.each([
    ['inside the data directory', '/srv/nanokimi/data/credentials-copy'],
    ['the data directory itself', '/srv/nanokimi/data'],
    ['containing the data directory', '/srv/nanokimi'],
    ['inside the groups directory', '/srv/nanokimi/groups/other'],
  ])('refuses a path %s, even when an allowed root covers it', (_what, hostPath) => {
    const list: Allowlist = { allowedRoots: [{ path: '/srv', allowReadWrite: true }], blockedPatterns: [] };
    expect(refusal(check({ hostPath, readWrite: true }, hostPath, list))).toMatch(/overlaps NanoKimi's own/);
  });

  it('does not treat a sibling with the data directory as prefix as overlapping', () => {
    const list: Allowlist = { allowedRoots: [{ path: '/srv', allowReadWrite: false }], blockedPatterns: [] };
    expect(check({ hostPath: '/srv/nanokimi/data-export' }, '/srv/nanokimi/data-export', list)).toMatchObject({ ok: true });
  });

  it('refuses a path that does not exist (no real path)', () => {
    expect(refusal(check({ hostPath: '/home/me/projects/gone' }, null))).toMatch(/does not exist/);
  });

  it.each(['../x', 'a/b', '..', '.hidden', '', 'x y', '/abs', 'a'.repeat(64)])('refuses the mount name %j', (name) => {
    expect(refusal(check({ hostPath: '/home/me/projects/app', name }))).toMatch(/extra mount name/);
  });

  it.each(['app', 'my-app_2.0', 'A1'])('accepts the mount name %j', (name) => {
    expect(check({ hostPath: '/home/me/projects/app', name })).toMatchObject({ ok: true, mount: { target: `/workspace/extra/${name}` } });
  });
});

describe('allowlistSchema', () => {
  it('fills defaults: no roots, no patterns, read-only roots', () => {
    expect(allowlistSchema.parse({})).toEqual({ allowedRoots: [], blockedPatterns: [] });
    expect(allowlistSchema.parse({ allowedRoots: [{ path: '/home/me/projects' }] }))
      .toEqual({ allowedRoots: [{ path: '/home/me/projects', allowReadWrite: false }], blockedPatterns: [] });
  });

  it.each([
    ['an unknown top-level key', { allowedRoots: [], extra: true }],
    ['an unknown key in a root', { allowedRoots: [{ path: '/x', readWrite: true }] }],
    ['an empty root path', { allowedRoots: [{ path: '' }] }],
    ['an empty blocked pattern', { blockedPatterns: [''] }],
    ['a root without a path', { allowedRoots: [{ allowReadWrite: true }] }],
  ])('rejects %s', (_what, value) => {
    expect(allowlistSchema.safeParse(value).success).toBe(false);
  });
});

describe('checkExtraMount: the home directory', () => {
  const allowlist = allowlistSchema.parse({ allowedRoots: [{ path: '/', allowReadWrite: false }] });
  it('refuses the home directory itself and any folder that contains it', () => {
    for (const p of ['/home/me', '/home', '/']) {
      const d = checkExtraMount({ hostPath: p, name: 'x' }, p, allowlist, [], '/home/me');
      expect(d.ok, p).toBe(false);
    }
  });
  it('allows a folder inside the home directory', () => {
    expect(checkExtraMount({ hostPath: '/home/me/projects', name: 'x' }, '/home/me/projects', allowlist, [], '/home/me').ok).toBe(true);
  });
});
