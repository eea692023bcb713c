/**
 * @module Turns what went wrong into one sentence for the chat and a kind the host acts on (retry
 * or not). The sentence is written to stdout as a JSON line the host's container runner reads.
 */
import { CliError, TransportError, isAgentSdkError } from '@moonshot-ai/kimi-agent-sdk';
import type { AgentFailureLine } from '../../../src/ipc/protocol.ts';

export type Failure = Omit<AgentFailureLine, 'nanokimi'>;

export function classify(err: unknown, model: string): Failure {
  if (err instanceof CliError) {
    if (err.numericCode === -32004) {
      return { kind: 'auth-expired', message: 'the Kimi login has expired. On the host, run `kimi login` and then ' +
        '`scripts/setup-oauth-isolation.sh`; your message is kept and will be answered once the login works again.' };
    }
    if (err.code === 'LLM_NOT_SET' || err.code === 'LLM_NOT_SUPPORTED') {
      return { kind: 'config', message: `the Kimi CLI cannot use the model "${model}" (${err.message}); check [models] in data/credentials/config.toml.` };
    }
    if (err.code === 'CHAT_PROVIDER_ERROR') {
      return { kind: 'provider', message: `the Kimi service answered with an error (${err.message}); the message will be retried.` };
    }
  }
  if (err instanceof TransportError) {
    if (err.code === 'CLI_NOT_FOUND' || err.code === 'SPAWN_FAILED') {
      return { kind: 'config', message: `the Kimi CLI could not be started (${err.message}); the agent image may be broken: rebuild it with container/build.sh.` };
    }
    return { kind: 'crashed', message: `the Kimi CLI crashed (${err.message.slice(0, 300)})` };
  }
  const detail = isAgentSdkError(err) ? `${err.code}: ${err.message}` : String(err);
  return { kind: 'crashed', message: `the agent failed (${detail.slice(0, 300)})` };
}

/** Reports the failure to the host and ends the process with a non-zero code. */
export function exitWithFailure(f: Failure): never {
  process.stdout.write(`${JSON.stringify({ nanokimi: 'failure', ...f })}\n`);
  process.exit(1);
}
