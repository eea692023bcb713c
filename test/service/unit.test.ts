/** The systemd user unit: valid for systemd, and it loads .env (seed 001's wrong-name failure). */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnvironmentFile, renderUnit, repoRoot, serviceEnvironment, serviceSettings } from './unit-file.ts';

const hasAnalyze = (() => { try { execFileSync('systemd-analyze', ['--version']); return true; } catch { return false; } })();
if (!hasAnalyze && process.env.CI === 'true') throw new Error('CI=true but systemd-analyze is missing; .ci/run must install systemd');
if (!hasAnalyze) console.warn('\n*** SKIPPING systemd-analyze verify: systemd-analyze is not installed. CI runs it. ***\n');

describe('systemd/nanokimi.service', () => {
  const unit = renderUnit();
  const s = serviceSettings(unit);

  it('loads the project .env, runs from the project, and starts the daemon with Node', () => {
    expect(s.EnvironmentFile).toBe(path.join(repoRoot, '.env'));
    expect(s.WorkingDirectory).toBe(repoRoot);
    expect(s.ExecStart).toMatch(new RegExp(`^/\\S+/node --max-semi-space-size=4 --optimize-for-size ${repoRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/src/cli\\.ts start$`));
    expect(s.Restart).toBe('on-failure');
    expect(Number(s.RestartSec)).toBeGreaterThan(0);
    expect(unit).toContain('WantedBy=default.target');
  });

  it('starts nanokimi-failed.service when systemd gives up restarting it, which runs `nanokimi service-failed`', () => {
    expect(serviceSettings(unit, '[Unit]').OnFailure).toBe('nanokimi-failed.service');
    expect(Number(serviceSettings(unit, '[Unit]').StartLimitBurst)).toBeGreaterThan(1);
    const failed = serviceSettings(renderUnit('nanokimi-failed'));
    expect(failed.Type).toBe('oneshot');
    expect(failed.ExecStart).toMatch(/\/node \S+\/src\/cli\.ts service-failed$/);
    // "-": a missing or broken .env must not stop the one unit that reports the failure.
    expect(failed.EnvironmentFile).toBe(`-${path.join(repoRoot, '.env')}`);
  });

  it.skipIf(!hasAnalyze)('passes systemd-analyze verify, with the unit it starts on failure beside it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-unit-'));
    const file = path.join(dir, 'nanokimi.service');
    fs.writeFileSync(file, unit);
    fs.writeFileSync(path.join(dir, 'nanokimi-failed.service'), renderUnit('nanokimi-failed'));
    // verify exits non-zero, or warns on stderr, on any problem with the units.
    for (const f of [file, path.join(dir, 'nanokimi-failed.service')]) {
      const res = spawnSync('systemd-analyze', ['verify', f], { encoding: 'utf8', cwd: dir });
      expect({ status: res.status, stderr: res.stderr, stdout: res.stdout }).toEqual({ status: 0, stderr: '', stdout: '' });
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('starts from the compile cache that installing fills: even the first start strips no TypeScript', () => {
    const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-cache-'));
    const rendered = renderUnit('nanokimi', { ...process.env, XDG_CACHE_HOME: cacheHome });
    const settings = serviceSettings(rendered);
    const cache = serviceEnvironment(rendered).NODE_COMPILE_CACHE;
    expect(cache).toBe(path.join(cacheHome, 'nanokimi', 'node-compile-cache'));
    execFileSync('bash', [path.join(repoRoot, 'scripts/warm-compile-cache.sh')], { env: { ...process.env, NODE_COMPILE_CACHE: cache } });
    // The unit's own command line, with a setting it refuses once `start` and everything it imports are loaded.
    const [node, ...args] = settings.ExecStart!.split(' ');
    const res = spawnSync(node!, args, { cwd: repoRoot, encoding: 'utf8',
      env: { ...process.env, NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', MAX_CONCURRENT_CONTAINERS: 'many' } });
    expect(res.status).toBe(78);
    expect(res.stderr).toContain(`retrieving transpile cache for StrippedTypeScript file://${repoRoot}/src/cli/start.ts...success`);
    expect(res.stderr).toContain(`retrieving transpile cache for StrippedTypeScript file://${repoRoot}/src/daemon.ts...success`);
    expect(res.stderr.match(/no transpile cache for .*/g) ?? []).toEqual([]);
    // V8's flags are part of the cache's key: filled with other flags than the unit's, none of it would be used.
    expect(res.stderr).toContain(`V8 code cache for ESM file://${repoRoot}/src/daemon.ts was accepted`);
    fs.rmSync(cacheHome, { recursive: true });
  });

  it('runs the daemon with two malloc arenas, as scripts/start.sh does in the foreground', () => {
    expect(serviceEnvironment(unit).MALLOC_ARENA_MAX).toBe('2');
    expect(fs.readFileSync(path.join(repoRoot, 'scripts/start.sh'), 'utf8')).toMatch(/^export MALLOC_ARENA_MAX=2$/m);
  });

  it('reads .env the way .env.example writes it', () => {
    const env = parseEnvironmentFile(fs.readFileSync(path.join(repoRoot, '.env.example'), 'utf8'));
    expect(env.ASSISTANT_NAME).toBe('Kai');
    expect(env.MOUNT_ALLOWLIST).toBeUndefined(); // commented out
  });
});
