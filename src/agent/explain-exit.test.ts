import { describe, expect, it } from 'vitest';
import { DockerUnavailable, ImageMissing } from './docker-engine.ts';
import { explainError, explainExit } from './explain-exit.ts';

const limits = { memoryMb: 512, cpus: 1, pids: 64 };
const log = '/groups/family/logs/container-1.log';
const line = (kind: string, message: string) => `${JSON.stringify({ nanokimi: 'failure', kind, message })}\n`;
const exit = (over: Partial<{ exitCode: number; oomKilled: boolean; stopped: boolean }> = {}) => ({ exitCode: 1, oomKilled: false, stopped: false, ...over });

describe('how a container\'s end reads in the chat', () => {
  it.each([
    ['stopped by NanoKimi (time limit)', exit({ stopped: true }), '', 'timeout', 'the agent took too long and was stopped.', true],
    ['stopped by NanoKimi, even when the program then exited cleanly', exit({ exitCode: 0, stopped: true }), '', 'timeout',
      'the agent took too long and was stopped.', true],
    ['the runner\'s own sentence, with the log for a crash', exit(), line('crashed', 'the Kimi CLI exited (code 1).'), 'crashed',
      `the Kimi CLI exited (code 1); the log is ${log}.`, true],
    ['an expired login is not retried', exit(), line('auth-expired', 'the Kimi login has expired. Fix: run kimi login.'), 'auth-expired',
      'the Kimi login has expired. Fix: run kimi login.', false],
    ['a rate limit is retried later', exit(), line('rate-limited', 'the Kimi API is rate limiting.'), 'rate-limited',
      'the Kimi API is rate limiting.', true],
    ['the last sentence counts when there are several', exit(), line('provider', 'first') + 'noise\n' + line('config', 'KIMI_MODEL is unknown.'),
      'config', 'KIMI_MODEL is unknown.', false],
    ['out of memory, with the limit', exit({ exitCode: 137, oomKilled: true }), '', 'crashed',
      `the agent ran out of memory (limit 512 MB) and was stopped; see ${log}.`, true],
    ['anything else: the exit code and the log', exit({ exitCode: 3 }), 'Error: boom\n', 'crashed', `the agent crashed (exit code 3); the log is ${log}.`, true],
  ] as const)('%s', (_what, e, output, kind, message, retryable) => {
    expect(explainExit(e, limits, log, output)).toEqual({ ok: false, failure: { kind, message, retryable } });
  });

  it.each([
    ['no output', ''],
    ['a failure line printed before it recovered', line('provider', 'the Kimi API failed.')],
  ])('a clean exit is done, whatever it printed: %s', (_what, output) => {
    expect(explainExit(exit({ exitCode: 0 }), limits, log, output)).toEqual({ ok: true });
  });
});

describe('how the engine failing a run reads in the chat', () => {
  it.each([
    ['Docker went away: retried once it is back', new DockerUnavailable('the Docker engine is not reachable (ENOENT on /var/run/docker.sock)'),
      'unavailable', 'the Docker engine is not reachable (ENOENT on /var/run/docker.sock); start Docker and the message will be retried.', true],
    ['the image vanished: build it', new ImageMissing('No such image: nanokimi-agent:latest'),
      'config', 'the agent image nanokimi-agent:latest is not built. Build it with container/build.sh.', false],
    ['anything else: its message and the log', new Error('port is already allocated'),
      'crashed', `the container could not run: port is already allocated; the log is ${log}.`, true],
  ] as const)('%s', (_what, err, kind, message, retryable) => {
    expect(explainError(err, 'nanokimi-agent:latest', log)).toEqual({ ok: false, failure: { kind, message, retryable } });
  });
});
