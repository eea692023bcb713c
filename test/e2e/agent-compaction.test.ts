/**
 * The agent-runner and the real Kimi Code CLI, driven through the IPC directory as the host drives
 * them: after the CLI compacted the conversation (its summary may have dropped who the agent is),
 * the next turn carries the assistant's name and both KIMI.md files again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { CLOSE_SENTINEL, messageFileSchema } from '@nanokimi/protocol/ipc';
import { ensureIpcDirs } from '../../src/ipc/ipc-dirs.ts';
import { startKimiWorld, textOf, type KimiWorld } from '../fixtures/kimi-world.ts';
import { createProcessAgent } from '../fixtures/process-agent.ts';
import { makeTree, waitFor, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let world: KimiWorld;
afterEach(async () => { await world?.close(); tree.cleanup(); });

it('sends the context again on the first turn after the CLI compacted the session', async () => {
  tree = makeTree();
  world = await startKimiWorld({ rules: [{ match: 'handoff summary', reply: 'Summary: we talked about the weather.' }] });
  world.install(tree.dataDir);
  for (const [rel, text] of [['global/KIMI.md', 'Global memory: the owner is Camilo.'], ['family/KIMI.md', 'Family memory: the dog is Toby.']] as const) {
    fs.mkdirSync(path.dirname(path.join(tree.groupsDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree.groupsDir, rel), text);
  }
  const ipc = ensureIpcDirs(path.join(tree.dataDir, 'ipc'), 'family');
  const agent = createProcessAgent({ paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
    runDir: path.join(tree.root, 'run') });
  const replies: string[] = [];
  const take = () => {
    for (const name of fs.readdirSync(path.join(ipc, 'messages')).filter((n) => !n.startsWith('.')).sort()) {
      const file = path.join(ipc, 'messages', name);
      replies.push(messageFileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).text);
      fs.rmSync(file);
    }
    return replies.length;
  };
  const group = { folder: 'family', jid: 'family@g.us', name: 'Family', requiresTrigger: true, isMain: false,
    container: {}, createdAt: 0 };
  const run = agent.run({ runId: 1, group, input: { type: 'messages', text: '<messages>hello</messages>', fromSeq: 1, toSeq: 1 },
    chatJid: group.jid, sessionId: 'host-session-1', ipcDir: ipc, signal: new AbortController().signal });

  await waitFor('the first answer', () => take() === 1, 30_000);
  // What a person typing /compact in a terminal does: the CLI summarises and clears the conversation.
  await writeJsonAtomic(path.join(ipc, 'input'), { type: 'messages', text: '/compact', fromSeq: 2, toSeq: 2 });
  await waitFor('the compaction request to the model', () => world.modelInputs().some((m) => m.includes('handoff summary')), 30_000);
  await writeJsonAtomic(path.join(ipc, 'input'), { type: 'messages', text: '<messages>what is the dog called?</messages>', fromSeq: 3, toSeq: 3 });
  await waitFor('the answer after the compaction', () => replies.includes('echo: <messages>what is the dog called?</messages>') || (take(), false), 30_000);
  await writeJsonAtomic(path.join(ipc, 'input'), { type: 'messages', text: '<messages>and the cat?</messages>', fromSeq: 4, toSeq: 4 });
  await waitFor('the answer after that', () => replies.includes('echo: <messages>and the cat?</messages>') || (take(), false), 30_000);
  fs.writeFileSync(path.join(ipc, 'input', CLOSE_SENTINEL), '');
  expect(await run).toEqual({ ok: true });

  expect(world.modelInputs()[0]).toContain('You are Kai');
  // The user messages of the last request, one by one: the conversation since the compaction.
  const lastRequest = world.chats().at(-1)!.body.messages as { role: string; content: unknown }[];
  const said = (needle: string) => lastRequest.filter((m) => m.role === 'user').map((m) => textOf(m.content)).find((t) => t.includes(needle))!;
  // The turn after the compaction carries the context again, with both memories.
  expect(said('what is the dog called?')).toContain('<nanokimi_context>');
  expect(said('what is the dog called?')).toContain('the dog is Toby');
  expect(said('what is the dog called?')).toContain('the owner is Camilo');
  // And the turn after that does not: nothing changed since.
  expect(said('and the cat?')).not.toContain('<nanokimi_context>');
});
