/**
 * @module How many CPUs the container may use, read from its cgroup, and the Node flags the CLI
 * starts best with under that quota. Measured on a 2-core machine (bench/agent-latency.ts and a
 * bare `kimi acp` initialize): with a 1-CPU quota the CLI's start-up (mostly building zod schemas)
 * spends a fifth of its time in garbage collection, and V8's parallel GC helper threads only fight
 * the main thread for the one CPU; one GC thread answers about 150 ms sooner. With 2 CPUs or more
 * the helpers pay for themselves, so the flag is left off. A larger young generation
 * (`--min-semi-space-size` 8 or 16) makes a bare `kimi acp` session/new faster but gave no
 * consistent gain in interleaved bench/agent-latency.ts runs, so it is not set.
 */
import fs from 'node:fs';

type Read = (file: string) => string;

/** CPUs the quota allows (cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us`); undefined when unlimited or unknown. */
export function cpuQuota(read: Read = (f) => fs.readFileSync(f, 'utf8')): number | undefined {
  const attempt = (f: string) => { try { return read(f).trim(); } catch { return undefined; } };
  const v2 = attempt('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return ratio(quota, period);
  }
  return ratio(attempt('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), attempt('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  // "max" (v2) and -1 (v1) mean no quota.
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : undefined;
}

/** Node flags for the CLI's process under a quota of `cpus`. */
export function cliNodeFlags(cpus: number | undefined): string[] {
  return cpus !== undefined && cpus <= 1 ? ['--single-threaded-gc'] : [];
}
