/**
 * @module The agent-runner's work, once main.ts has started the CLI: it speaks ACP with the Kimi
 * Code CLI, opens the group's session (resumed when the host's session id already has one), takes
 * its work from /workspace/ipc/input (the first prompt and every follow-up) as one `session/prompt`
 * each, writes each answer to /workspace/ipc/messages when the turn ends, and exits on the host's
 * close request. Our tools reach the CLI as an MCP server this process serves (tool-server.ts),
 * named in the session.
 * Failures end the process with one line the host turns into a message for the chat.
 */
import path from 'node:path';
import { resolveModel } from '@nanokimi/protocol/kimi-config';
import { connectKimiAcp } from './acp-client.ts';
import type { KimiProcess } from './cli-process.ts';
import { buildContext, composePrompt } from './context.ts';
import { classifyRpcError, exitWithFailure } from './failures.ts';
import { imageBlocks } from './images.ts';
import { removeInternal } from './internal.ts';
import { nextInput, writeMessage, writeTurnEnd } from './ipc-io.ts';
import { log } from './log.ts';
import { createSessionLedger } from './session-ledger.ts';
import { createCompactionCounter } from './session-log.ts';
import { readSettings } from './settings.ts';
import { startToolServer } from './tool-server.ts';
import { runTurn } from './turn.ts';

/** A safety net only: the host asks the runner to close long before this. */
const IDLE_EXIT_MS = 60 * 60_000;

/** Runs until the host asks the runner to close; `cli` was started by main.ts, before this module loaded. */
export async function runAgent(cli: KimiProcess): Promise<never> {
  const s = readSettings(process.env);
  const acp = connectKimiAcp(cli, s.workDir);
  const chosen = await resolveModel(path.join(s.kimiHome, 'config.toml'), s.model ?? null);
  if (!chosen.ok) { await acp.close(); exitWithFailure({ kind: 'config', message: chosen.problem }); }
  const model = chosen.model;
  const tools = await startToolServer({ ipcDir: s.ipcDir, isMain: s.isMain, workDir: s.workDir });

  // The host stops a container with SIGTERM: take the CLI down with us rather than leave it orphaned.
  process.once('SIGTERM', () => { void Promise.all([acp.close(), tools.close()]).finally(() => process.exit(143)); });

  const sessionsDir = path.join(s.kimiHome, 'sessions');
  const ledger = createSessionLedger(sessionsDir);
  const known = ledger.get(s.sessionId);
  let session: { id: string; resumed: boolean };
  try {
    session = await acp.openSession(known?.cli, [tools.mcpServer], model);
  } catch (err) {
    // A CLI that died on the way says more (its exit and stderr) than the closed connection does.
    const died = await Promise.race([acp.exited, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
    await acp.close();
    exitWithFailure(died ? { kind: 'crashed', message: `${died}, before its session was open` } : classifyRpcError(err, model));
  }
  // A session the CLI no longer has starts afresh, and so must its context.
  let entry = known?.cli === session.id ? known : { cli: session.id };
  ledger.set(s.sessionId, entry);
  log('runner-start', { group: s.group, session: s.sessionId, cliSession: session.id, resumed: session.resumed, model });
  const compactionsSoFar = createCompactionCounter(sessionsDir, session.id);

  for (;;) {
    const input = await nextInput(s.ipcDir, IDLE_EXIT_MS);
    if (input === 'close' || input === 'idle') { log('runner-close', { why: input }); break; }
    const context = buildContext({ assistantName: s.assistantName, group: s.group, isMain: s.isMain, globalDir: s.globalDir, workDir: s.workDir });
    const compactions = compactionsSoFar();
    // After a compaction the summary may have dropped who the agent is: send the context again.
    const seen = compactions === (entry.compactions ?? 0) ? entry.context : undefined;
    const prompt = composePrompt(input.text, context, seen);
    const images = input.type === 'messages' ? imageBlocks(s.workDir, input.images) : [];
    log('turn-start', { input: input.type, contextSent: prompt !== input.text, compactions, images: images.length });
    const outcome = await runTurn(acp, session.id, [{ type: 'text', text: prompt }, ...images], { timeoutMs: s.turnTimeoutMs, model, sessionsDir });
    if (!outcome.ok) {
      await acp.close();
      exitWithFailure(outcome.failure);
    }
    // The count from before the turn: a compaction during it may have dropped this context, so the next turn resends it.
    entry = { cli: session.id, context: context.hash, compactions };
    ledger.set(s.sessionId, entry);
    const { visible, hidden } = removeInternal(outcome.text);
    if (hidden) log('internal-text', { text: hidden });
    const answersThrough = input.type === 'messages' ? input.toSeq : undefined;
    if (visible) await writeMessage(s.ipcDir, { text: visible, ...(answersThrough !== undefined ? { answersThrough } : {}) });
    else {
      // Silence is an answer too: the host must hear that the turn is over.
      log('turn-silent', { answersThrough });
      await writeTurnEnd(s.ipcDir, answersThrough);
    }
  }
  await acp.close();
  process.exit(0);
}
