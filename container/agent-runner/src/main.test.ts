import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = path.join(import.meta.dirname, 'main.ts');
let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Running: a zombie (ended, not yet reaped by whoever inherited it) is not. */
const running = (pid: number) => {
  try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

describe('the runner started with bad settings', () => {
  it('says which setting is wrong and takes the CLI it already started down with it', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-main-'));
    fs.mkdirSync(path.join(dir, 'group'));
    // Stands in for `kimi acp`: would wait forever for its client.
    const cli = path.join(dir, 'cli.mjs');
    fs.writeFileSync(cli, 'setInterval(() => {}, 1000);');
    const r = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH, NANOKIMI_WORKSPACE: dir, KIMI_CODE_HOME: path.join(dir, 'home'), NANOKIMI_KIMI_ENTRY: cli },
      encoding: 'utf8', timeout: 20_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('NANOKIMI_GROUP');
    // Started before the settings were read, as the run log says.
    const pid = Number(/"event":"cli-spawned","pid":(\d+)/.exec(r.stderr)?.[1]);
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 100 && running(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(running(pid)).toBe(false);
  });
});
