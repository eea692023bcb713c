import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFooter, logHeader, runLogFile, writeRunLog } from './run-log.ts';

const started = new Date('2030-01-02T03:04:05.678Z');
const header = (over: Partial<Parameters<typeof logHeader>[0]> = {}) => logHeader({
  runId: 7, folder: 'family', isMain: false, name: 'nanokimi-abc-family-7', image: 'nanokimi-agent:latest', user: '1000:1000',
  limits: { memoryMb: 1024, cpus: 1, pids: 256 }, cpusAtStart: 1, network: 'bridge', started,
  mounts: [{ kind: 'bind', source: '/groups/family', target: '/workspace/group', readonly: false }], notes: [], ...over });

describe('the run log', () => {
  it('is named by the start time, in the group\'s logs/', () => {
    expect(runLogFile('/groups', 'family', started)).toEqual({ dir: '/groups/family/logs', file: '/groups/family/logs/container-2030-01-02T03-04-05-678Z.log' });
  });

  it('says what was started: the run, the container, its limits and mounts, and what was left out', () => {
    expect(header({ notes: ['extra mount refused: /srv is not allowed'] })).toEqual([
      'NanoKimi agent run 7 for group family', 'Container: nanokimi-abc-family-7', 'Image: nanokimi-agent:latest', 'User: 1000:1000',
      'Limits: memory 1024 MB, cpus 1, pids 256, network bridge', 'Started: 2030-01-02T03:04:05.678Z',
      'Mounts:', '  /groups/family -> /workspace/group (rw)', 'extra mount refused: /srv is not allowed']);
    expect(header({ isMain: true, cpusAtStart: 2 }).filter((l) => /^(NanoKimi|Limits)/.test(l))).toEqual([
      'NanoKimi agent run 7 for group family (main)', 'Limits: memory 1024 MB, cpus 1 (2 until its session is open), pids 256, network bridge']);
  });

  it.each([
    ['a clean end', { exitCode: 0, oomKilled: false, stopped: false }, { ok: true } as const, ['Duration: 1.5 s', 'Exit code: 0']],
    ['out of memory', { exitCode: 137, oomKilled: true, stopped: false }, { ok: false, failure: { kind: 'crashed', message: 'ran out', retryable: true } } as const,
      ['Duration: 1.5 s', 'Exit code: 137 (out of memory)', 'Failure: ran out']],
    ['stopped', { exitCode: 143, oomKilled: false, stopped: true }, { ok: false, failure: { kind: 'timeout', message: 'too long', retryable: true } } as const,
      ['Duration: 1.5 s', 'Exit code: 143 (stopped by NanoKimi)', 'Failure: too long']],
    ['the engine failed the run', undefined, { ok: false, failure: { kind: 'unavailable', message: 'Docker is down', retryable: true } } as const,
      ['Duration: 1.5 s', 'Exit code: none', 'Failure: Docker is down']],
  ])('says how it ended: %s', (_what, exit, result, lines) => {
    expect(logFooter('1.5', exit, result)).toEqual(lines);
  });

  it('is written once, with the output last, and never over a file already there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-run-log-'));
    try {
      const log = runLogFile(dir, 'family', started);
      writeRunLog(log, ['a', 'b'], 'out');
      expect(fs.readFileSync(log.file, 'utf8')).toBe('a\nb\nOutput:\nout');
      expect(() => writeRunLog(log, ['c'], '')).toThrow(/EEXIST/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
