/**
 * @module The agent step `nanokimi start` uses until the Docker container runner lands (issue 3):
 * every run fails with a message that says so, so the chat hears why there is no answer and the
 * messages stay unanswered (kept) rather than being dropped.
 */
import type { AgentRunner } from './agent-runner.ts';

export function createUnbuiltAgentRunner(): AgentRunner {
  return {
    async run() {
      return { ok: false, failure: { kind: 'unavailable', retryable: false,
        message: 'the Docker agent runner is not part of this build yet, so no agent can run.' } };
    },
  };
}
