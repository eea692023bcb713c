import { describe, expect, it } from 'vitest';
import { cliNodeFlags, cpuQuota } from './cpu-quota.ts';

const files = (entries: Record<string, string>) => (f: string) => {
  if (f in entries) return entries[f]!;
  throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
};

describe('the container CPU quota', () => {
  it.each([
    ['cgroup v2, one CPU', { '/sys/fs/cgroup/cpu.max': '100000 100000\n' }, 1],
    ['cgroup v2, half a CPU', { '/sys/fs/cgroup/cpu.max': '50000 100000' }, 0.5],
    ['cgroup v2, no limit', { '/sys/fs/cgroup/cpu.max': 'max 100000' }, undefined],
    ['cgroup v1, two CPUs', { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '200000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }, 2],
    ['cgroup v1, no limit', { '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }, undefined],
    ['no cgroup files at all', {}, undefined],
    ['garbage', { '/sys/fs/cgroup/cpu.max': 'what' }, undefined],
  ])('%s', (_name, entries, cpus) => {
    expect(cpuQuota(files(entries))).toBe(cpus);
  });

  it('starts the CLI with one GC thread only when it has at most one CPU', () => {
    expect(cliNodeFlags(1)).toEqual(['--single-threaded-gc']);
    expect(cliNodeFlags(0.5)).toEqual(['--single-threaded-gc']);
    expect(cliNodeFlags(2)).toEqual([]);
    expect(cliNodeFlags(undefined)).toEqual([]);
  });
});
