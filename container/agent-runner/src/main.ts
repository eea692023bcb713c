/**
 * @module The agent-runner: the program each group's container runs. It takes its work from
 * /workspace/ipc/input (the first prompt and every follow-up), runs each as a turn of the group's
 * Kimi session, writes replies to /workspace/ipc/messages as they are ready, and ends on the host's
 * close request. Failures end the process with one line the host turns into a message for the chat.
 */
import path from 'node:path';
import { createSession } from '@moonshot-ai/kimi-agent-sdk';
import { buildContext, composePrompt, createContextLedger } from './context.ts';
import { exitWithFailure } from './failures.ts';
import { writeMessage, nextInput } from './ipc-io.ts';
import { ensureWorkDirEntry } from './kimi-json.ts';
import { log } from './log.ts';
import { checkModel } from './model-check.ts';
import { readSettings } from './settings.ts';
import { createTools } from './tools.ts';
import { removeInternal } from './internal.ts';
import { runTurn } from './turn.ts';

/** A safety net only: the host asks the runner to close long before this. */
const IDLE_EXIT_MS = 60 * 60_000;

const s = readSettings(process.env);
const modelProblem = checkModel(path.join(s.shareDir, 'config.toml'), s.model);
if (modelProblem) exitWithFailure({ kind: 'config', message: modelProblem });

ensureWorkDirEntry(s.shareDir, s.workDir, s.sessionId);
const session = createSession({
  workDir: s.workDir, sessionId: s.sessionId, model: s.model, thinking: false, yoloMode: true,
  executable: s.executable, externalTools: createTools({ ipcDir: s.ipcDir, isMain: s.isMain }),
});
const ledger = createContextLedger(path.join(s.shareDir, 'sessions'));
log('runner-start', { group: s.group, session: s.sessionId, model: s.model });

for (;;) {
  const input = await nextInput(s.ipcDir, IDLE_EXIT_MS);
  if (input === 'close' || input === 'idle') { log('runner-close', { why: input }); break; }
  const context = buildContext({ assistantName: s.assistantName, group: s.group, isMain: s.isMain, globalDir: s.globalDir, workDir: s.workDir });
  const prompt = composePrompt(input.text, context, ledger.seen(s.sessionId));
  log('turn-start', { input: input.type, contextSent: prompt !== input.text });
  const outcome = await runTurn(session, prompt, { timeoutMs: s.turnTimeoutMs, model: s.model });
  if (!outcome.ok) {
    await session.close();
    exitWithFailure(outcome.failure);
  }
  ledger.record(s.sessionId, context.hash);
  const { visible, hidden } = removeInternal(outcome.text);
  if (hidden) log('internal-text', { text: hidden });
  if (visible) await writeMessage(s.ipcDir, { text: visible, ...(input.type === 'messages' ? { answersThrough: input.toSeq } : {}) });
}
await session.close();
process.exit(0);
