/**
 * @module One turn of the group's session, bounded: it ends with the answer, or a failure when the
 * turn errs (read from the CLI's session log, since ACP reports a failed turn as a normal end),
 * outlives its time limit, or the CLI process dies under it.
 */
import type { ContentBlock } from '@agentclientprotocol/sdk';
import type { ReportedFailure } from '@nanokimi/protocol/failure';
import type { KimiAcp } from './acp-client.ts';
import { classifyRpcError, classifyTurnError } from './failures.ts';
import { log } from './log.ts';
import { markSessionLog, readTurnEnd } from './session-log.ts';

export type TurnOutcome = { ok: true; text: string } | { ok: false; failure: ReportedFailure };
export type TurnOptions = { timeoutMs: number; model: string; sessionsDir: string };

const duration = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} seconds` : `${Math.round(ms / 60_000)} minutes`);

export async function runTurn(acp: KimiAcp, sessionId: string, blocks: ContentBlock[], opts: TurnOptions): Promise<TurnOutcome> {
  let text = '';
  const started = Date.now();
  const mark = markSessionLog(opts.sessionsDir, sessionId);
  const turn = acp.prompt(sessionId, blocks, { onText: (t) => { text += t; } })
    .then(async (stopReason): Promise<TurnOutcome> => {
      const end = await readTurnEnd(opts.sessionsDir, sessionId, mark);
      if (end?.reason === 'failed') return { ok: false, failure: classifyTurnError(end.error, opts.model) };
      if (!end) log('turn-end-unrecorded', { stopReason });
      return { ok: true, text };
    })
    .catch((err: unknown): TurnOutcome => ({ ok: false, failure: classifyRpcError(err, opts.model) }));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<TurnOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, failure: { kind: 'timeout',
      message: `the agent did not finish within ${duration(opts.timeoutMs)} and was stopped` } }), opts.timeoutMs);
  });
  const died = acp.exited.then((why): TurnOutcome => ({ ok: false, failure: { kind: 'crashed', message: `${why}, in the middle of a turn` } }));
  const outcome = await Promise.race([turn, timeout, died]);
  clearTimeout(timer);
  if (!outcome.ok && outcome.failure.kind === 'timeout') await acp.cancel(sessionId);
  log('turn-end', { ok: outcome.ok, ...(outcome.ok ? { chars: outcome.text.length } : { failure: outcome.failure.kind }),
    seconds: (Date.now() - started) / 1000 });
  return outcome;
}
