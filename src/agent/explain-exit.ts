/**
 * @module How the end of a Docker agent run reads to the person in the chat, and whether to try
 * again: the container's exit, the engine failing the run, or the engine or the image missing
 * before it. Pure: the run's facts in, one sentence and a retry decision out.
 */
import { lastFailureLine } from '@nanokimi/protocol/failure';
import type { AgentFailure, AgentRunResult } from './agent.ts';
import type { Limits } from './container-spec.ts';
import { DockerUnavailable, ImageMissing, type ContainerExit } from './docker-engine.ts';

/** Failures worth another attempt: the next one may well succeed. */
export const retryableKinds: ReadonlySet<AgentFailure['kind']> = new Set(['provider', 'rate-limited', 'crashed', 'timeout']);

export const failed = (kind: AgentFailure['kind'], message: string, retryable: boolean): AgentRunResult =>
  ({ ok: false, failure: { kind, message, retryable } });
export const dockerDown = (err: Error) => failed('unavailable', `${err.message}; start Docker and the message will be retried.`, true);
export const imageMissing = (image: string) =>
  failed('config', `the agent image ${image} is not built. Build it with container/build.sh.`, false);

/** How a container's end reads: a clean exit is done; otherwise what stopped it, in the runner's words where it said. */
export function explainExit(exit: ContainerExit, limits: Limits, logFile: string, output: string): AgentRunResult {
  if (exit.exitCode === 0 && !exit.stopped) return { ok: true };
  if (exit.stopped) return failed('timeout', 'the agent took too long and was stopped.', true);
  const reported = lastFailureLine(output);
  if (reported) {
    const where = reported.kind === 'crashed' || reported.kind === 'timeout' ? `; the log is ${logFile}` : '';
    return failed(reported.kind, `${reported.message.replace(/\.$/, '')}${where}.`, retryableKinds.has(reported.kind));
  }
  if (exit.oomKilled) {
    return failed('crashed', `the agent ran out of memory (limit ${limits.memoryMb} MB) and was stopped; see ${logFile}.`, true);
  }
  return failed('crashed', `the agent crashed (exit code ${exit.exitCode}); the log is ${logFile}.`, true);
}

/** How the engine failing a run reads (the container may never have started). */
export function explainError(err: unknown, image: string, logFile: string): AgentRunResult {
  if (err instanceof DockerUnavailable) return dockerDown(err);
  if (err instanceof ImageMissing) return imageMissing(image);
  return failed('crashed', `the container could not run: ${(err as Error).message}; the log is ${logFile}.`, true);
}
