/**
 * @module What every Agent promises the group worker, as one suite each implementation runs
 * (agent.test.ts): the first input is answered with a reply that says which messages it
 * answers, a follow-up written into input/ is answered by the same run, the close sentinel ends the
 * run cleanly, and an abort ends it as a retryable timeout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { CLOSE_SENTINEL } from '@nanokimi/protocol/ipc';
import type { Agent, AgentRunRequest } from '../../src/agent/agent.ts';
import type { Group } from '../../src/domain.ts';
import { ensureIpcDirs } from '../../src/ipc/ipc-dirs.ts';

export type AgentHarness = { agent: Agent; dataDir: string; close(): Promise<void> };

const group: Group = { folder: 'main', jid: 'local:main', name: 'Main', requiresTrigger: false, isMain: true, container: {}, createdAt: 0 };
const prompt = (text: string) => `<messages>\n<message sender="Ana" time="2026-12-02 10:00">${text}</message>\n</messages>`;

export function agentContract(name: string, make: () => Promise<AgentHarness>): void {
  describe(`the Agent contract: ${name}`, () => {
    let h: AgentHarness | undefined;
    afterEach(async () => { await h?.close(); h = undefined; });

    const replies = (ipcDir: string) => fs.readdirSync(path.join(ipcDir, 'messages')).filter((f) => !f.startsWith('.')).sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(ipcDir, 'messages', f), 'utf8')) as { type: string; answersThrough?: number });
    const until = async (what: string, ok: () => boolean, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 25)); }
    };
    function request(ipcDir: string, signal: AbortSignal): AgentRunRequest {
      return { runId: 1, group, chatJid: group.jid, sessionId: 'contract-session', ipcDir, signal,
        input: { type: 'messages', text: prompt('first question'), fromSeq: 1, toSeq: 3 } };
    }

    it('answers the first input and a follow-up in the same run, each saying what it answers, and ends on close', async () => {
      h = await make();
      const ipcDir = ensureIpcDirs(path.join(h.dataDir, 'ipc'), 'main');
      const run = h.agent.run(request(ipcDir, new AbortController().signal));
      await until('the first answer', () => replies(ipcDir).some((r) => r.answersThrough === 3));
      await writeJsonAtomic(path.join(ipcDir, 'input'), { type: 'messages', text: prompt('and a follow-up'), fromSeq: 4, toSeq: 4 });
      await until('the follow-up answered', () => replies(ipcDir).some((r) => r.answersThrough === 4));
      fs.writeFileSync(path.join(ipcDir, 'input', CLOSE_SENTINEL), '');
      expect(await run).toEqual({ ok: true });
    });

    it('ends as a retryable timeout when aborted', async () => {
      h = await make();
      const ipcDir = ensureIpcDirs(path.join(h.dataDir, 'ipc'), 'main');
      const abort = new AbortController();
      const run = h.agent.run(request(ipcDir, abort.signal));
      await until('the first answer', () => replies(ipcDir).some((r) => r.answersThrough === 3));
      abort.abort();
      expect(await run).toMatchObject({ ok: false, failure: { kind: 'timeout', retryable: true } });
    });
  });
}
