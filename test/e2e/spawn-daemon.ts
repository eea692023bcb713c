/** @module Starts the real daemon as a child process in a temp project tree, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export type TestTree = { root: string; dataDir: string; groupsDir: string; socketPath: string; cleanup(): void };

export function makeTree(): TestTree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-e2e-'));
  const dataDir = path.join(root, 'data');
  return { root, dataDir, groupsDir: path.join(root, 'groups'), socketPath: path.join(dataDir, 'nanokimi.sock'),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

export type RunningDaemon = { proc: ChildProcess; output: () => string; exited: Promise<number | null> };

/**
 * Spawns `entry` (a script path relative to the repo), with `nodeArgs` before it, and resolves once
 * the daemon says it runs.
 */
export async function spawnDaemon(tree: TestTree, entry: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<RunningDaemon> {
  const { proc, output, exited } = launchDaemon(tree, entry, env, nodeArgs);
  const deadline = Date.now() + 30_000;
  while (!output().includes('NanoKimi is running')) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      // A daemon that runs without saying so (a LOG_LEVEL that hides the line) must not outlive the test.
      proc.kill('SIGKILL');
      throw new Error(`daemon did not start (or did not log "NanoKimi is running"):\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { proc, output, exited };
}

/** Spawns `entry` without waiting for anything: for tests of what happens while the daemon starts. */
export function launchDaemon(tree: TestTree, entry: string, env: Record<string, string> = {}, nodeArgs: string[] = []): RunningDaemon {
  const proc = spawn(process.execPath, [...nodeArgs, path.join(repoRoot, entry), ...(entry.endsWith('cli.ts') ? ['start'] : [])], {
    cwd: tree.root,
    env: { PATH: process.env.PATH ?? '', HOME: tree.root, DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir,
      LOG_LEVEL: 'info', ASSISTANT_NAME: 'Kai', TZ: 'UTC', LOG_FILE: path.join(tree.root, 'logs', 'nanokimi.log'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
