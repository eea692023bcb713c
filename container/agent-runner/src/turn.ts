/**
 * @module One turn of the Kimi session with a watchdog: the SDK waits forever when the CLI exits with
 * code 0 or dies from a signal mid-turn, so every turn is bounded in time and in the CLI's life.
 */
import type { Session } from '@moonshot-ai/kimi-agent-sdk';
import { classify, type Failure } from './failures.ts';
import { log } from './log.ts';

type WireEvent = {
  type: string; code?: string; message?: string;
  payload?: { type?: string; text?: string; function?: { name?: string }; token_usage?: unknown; context_usage?: unknown };
};

export type TurnOutcome = { ok: true; text: string } | { ok: false; failure: Failure };

/** Whether the SDK still has a CLI process: its client drops the process when the CLI exits. */
function cliAlive(session: Session): boolean {
  const client = (session as unknown as { client?: { isRunning?: boolean } | null }).client;
  return client?.isRunning !== false;
}

const duration = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} seconds` : `${Math.round(ms / 60_000)} minutes`);

export async function runTurn(session: Session, prompt: string, opts: { timeoutMs: number; model: string }): Promise<TurnOutcome> {
  const turn = session.prompt(prompt);
  let text = '';
  const consume = (async (): Promise<TurnOutcome> => {
    for await (const raw of turn) {
      // The SDK's declared event types come from zod 3 and do not resolve under zod 4; the shapes are the wire's.
      const event = raw as unknown as WireEvent;
      const p = event.payload ?? {};
      if (event.type === 'ContentPart' && p.type === 'text') text += p.text ?? '';
      else if (event.type === 'ToolCall') log('cli-tool-call', { tool: p.function?.name });
      else if (event.type === 'StatusUpdate') log('status', { tokenUsage: p.token_usage, contextUsage: p.context_usage });
      // Newer CLIs send event types this SDK does not know: they are noise, not failures.
      else if (event.type === 'error') log('sdk-event-ignored', { code: event.code, message: event.message });
    }
    const result = await turn.result;
    log('turn-end', { status: result.status, chars: text.length });
    return { ok: true, text };
  })().catch((err: unknown): TurnOutcome => ({ ok: false, failure: classify(err, opts.model) }));

  let timer: NodeJS.Timeout | undefined;
  let liveness: NodeJS.Timeout | undefined;
  const watchdog = new Promise<TurnOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, failure: { kind: 'timeout',
      message: `the agent did not finish within ${duration(opts.timeoutMs)} and was stopped` } }), opts.timeoutMs);
    // Checked after the turn had time to start the CLI; a CLI gone mid-turn will never answer.
    liveness = setInterval(() => {
      if (!cliAlive(session)) resolve({ ok: false, failure: { kind: 'crashed', message: 'the Kimi CLI exited in the middle of a turn' } });
    }, 1000);
  });
  const outcome = await Promise.race([consume, watchdog]);
  clearTimeout(timer);
  clearInterval(liveness);
  // A hung or dead CLI never answers the interrupt: give it a moment, then the caller closes the session.
  if (!outcome.ok) await Promise.race([turn.interrupt().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
  return outcome;
}
