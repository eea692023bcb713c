import { describe, expect, it } from 'vitest';
import { containerEnvNames, type ContainerEnv } from '@nanokimi/protocol/container';
import { containerSpec, startupCpus, LABEL_GROUP, LABEL_INSTANCE, LABEL_RUN, type ContainerSpecInput } from './container-spec.ts';

const env: ContainerEnv = { ASSISTANT_NAME: 'Kai', NANOKIMI_GROUP: 'family', NANOKIMI_CHAT_JID: '123@g.us', NANOKIMI_SESSION_ID: 'sess-1' };
const envLines = ['ASSISTANT_NAME=Kai', 'NANOKIMI_GROUP=family', 'NANOKIMI_CHAT_JID=123@g.us', 'NANOKIMI_SESSION_ID=sess-1'];

const input = (over: Partial<ContainerSpecInput> = {}): ContainerSpecInput => ({
  name: 'nanokimi-abc-family-7',
  image: 'nanokimi-agent:latest',
  user: '1000:1000',
  mounts: [
    { kind: 'bind', source: '/srv/groups/family', target: '/workspace/group', readonly: false },
    { kind: 'bind', source: '/srv/data/credentials/config.toml', target: '/home/node/.kimi/config.toml', readonly: true },
    { kind: 'tmpfs', target: '/workspace/project/data' },
  ],
  env,
  limits: { memoryMb: 512, cpus: 1.5, pids: 128 },
  network: 'bridge',
  labels: { instance: 'abc123', group: 'family', run: 7 },
  ...over,
});

describe('containerSpec', () => {
  const spec = containerSpec(input());
  const host = spec.HostConfig!;

  it('passes name, image and user through', () => {
    expect(spec).toMatchObject({ name: 'nanokimi-abc-family-7', Image: 'nanokimi-agent:latest', User: '1000:1000' });
    expect(containerSpec(input({ user: '1234:5678' })).User).toBe('1234:5678');
  });

  it('drops every capability and forbids privilege escalation', () => {
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toBeUndefined();
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.Privileged).not.toBe(true);
  });

  it.each([
    [128, 128 * 1024 * 1024],
    [512, 512 * 1024 * 1024],
    [4096, 4096 * 1024 * 1024],
  ])('limits memory to %i MB with no swap on top', (memoryMb, bytes) => {
    const h = containerSpec(input({ limits: { memoryMb, cpus: 1, pids: 64 } })).HostConfig!;
    expect(h.Memory).toBe(bytes);
    expect(h.MemorySwap).toBe(bytes);
  });

  it.each([
    [1, 1_000_000_000],
    [1.5, 1_500_000_000],
    [0.1, 100_000_000],
  ])('limits CPU: %f cpus is %i NanoCpus', (cpus, nano) => {
    expect(containerSpec(input({ limits: { memoryMb: 256, cpus, pids: 64 } })).HostConfig!.NanoCpus).toBe(nano);
  });

  it('limits processes', () => {
    expect(host.PidsLimit).toBe(128);
  });

  it('has a read-only root with size-capped scratch owned by the container user', () => {
    expect(host.ReadonlyRootfs).toBe(true);
    const tmpfs = containerSpec(input({ user: '1234:5678' })).HostConfig!.Tmpfs!;
    expect(Object.keys(tmpfs).sort()).toEqual(['/home/node', '/home/node/.kimi', '/tmp']);
    for (const opts of Object.values(tmpfs)) expect(opts).toMatch(/size=\d+m/);
    expect(tmpfs['/home/node/.kimi']).toContain('uid=1234,gid=5678,mode=0700');
  });

  it.each(['bridge', 'none', 'container:egress-proxy'] as const)('uses the network mode %s', (network) => {
    expect(containerSpec(input({ network })).HostConfig!.NetworkMode).toBe(network);
  });

  it('runs an init process as PID 1', () => {
    expect(host.Init).toBe(true);
  });

  it('labels the container with instance, group and run', () => {
    expect(spec.Labels).toEqual({ [LABEL_INSTANCE]: 'abc123', [LABEL_GROUP]: 'family', [LABEL_RUN]: '7' });
  });

  it('translates binds with their read-only flag and tmpfs hides', () => {
    expect(host.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/groups/family', Target: '/workspace/group', ReadOnly: false },
      { Type: 'bind', Source: '/srv/data/credentials/config.toml', Target: '/home/node/.kimi/config.toml', ReadOnly: true },
      expect.objectContaining({ Type: 'tmpfs', Target: '/workspace/project/data' }),
    ]);
    expect(host.Binds).toBeUndefined();
  });

  it('passes only the planned mounts: nothing else is bound', () => {
    expect(containerSpec(input({ mounts: [] })).HostConfig!.Mounts).toEqual([]);
  });

  it('passes allowlisted environment variables as KEY=value', () => {
    expect(spec.Env).toEqual(envLines);
  });

  it('drops any variable that is not on the allowlist', () => {
    const extra = { ...env, SECRET_TOKEN: 'sk-123', KIMI_API_KEY: 'k', PATH: '/evil' } as ContainerEnv;
    const e = containerSpec(input({ env: extra })).Env!;
    expect(e).toEqual(envLines);
    expect(e.join('\n')).not.toContain('sk-123');
  });

  it('omits variables whose value is undefined', () => {
    const e = containerSpec(input({ env: { ...env, KIMI_MODEL: undefined } })).Env!;
    expect(e).toEqual(envLines);
  });

  it('allows exactly the variables of the container contract', () => {
    expect([...containerEnvNames].sort()).toEqual(['ASSISTANT_NAME', 'KIMI_MODEL', 'NANOKIMI_CHAT_JID',
      'NANOKIMI_GROUP', 'NANOKIMI_IS_MAIN', 'NANOKIMI_SESSION_ID', 'TZ']);
  });

  it('passes every allowlisted variable', () => {
    const all = Object.fromEntries(containerEnvNames.map((k) => [k, `v-${k}`])) as ContainerEnv;
    expect(containerSpec(input({ env: all })).Env).toEqual(containerEnvNames.map((k) => `${k}=v-${k}`));
  });
});

describe('CPUs while an agent starts', () => {
  it.each([
    [1, 8, 2], [1, 2, 2], [0.5, 2, 2], [1, 1, 1], [3, 8, 3], [2, 4, 2],
  ])('a limit of %f on a host of %i CPUs starts with %f', (limit, host, start) => {
    expect(startupCpus(limit, host)).toBe(start);
  });

  it('is what the container is created with; the limit otherwise', () => {
    expect(containerSpec(input({ cpusAtStart: 2 })).HostConfig!.NanoCpus).toBe(2e9);
    expect(containerSpec(input()).HostConfig!.NanoCpus).toBe(1.5e9);
  });
});

