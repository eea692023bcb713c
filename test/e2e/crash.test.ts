/**
 * The durability invariant: kill -9 the daemon at arbitrary moments while messages flow, restart it,
 * and every triggering message is answered exactly once (no loss, no second answer).
 */
import { afterEach, expect, it } from 'vitest';
import { connectChat } from '../../src/channels/local/client.ts';
import { makeTree, spawnDaemon, waitFor, type RunningDaemon, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: RunningDaemon | undefined;

afterEach(async () => {
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  tree.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = { FILE_AGENT_REPLY: 'list', FILE_AGENT_DELAY_MS: '30', AGENT_IDLE_SECONDS: '1' };

it('answers every message exactly once across repeated kill -9 and restart', async () => {
  tree = makeTree();
  daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', env);
  const replies: string[] = [];
  const client = connectChat({ socketPath: tree.socketPath, group: 'main', reconnect: true, onReply: (t) => replies.push(t) });

  const total = 40;
  const killsAt = new Set(Array.from({ length: 5 }, () => 3 + Math.floor(Math.random() * (total - 6))));
  const killLog: string[] = [];
  for (let i = 1; i <= total; i++) {
    client.send(`m${i}`);
    await sleep(20 + Math.random() * 40);
    if (killsAt.has(i)) {
      // Kill after a random extra delay so the crash lands anywhere in store/run/ingest/send.
      await sleep(Math.random() * 120);
      killLog.push(`kill after m${i}`);
      daemon.proc.kill('SIGKILL');
      await daemon.exited;
      daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', env);
    }
  }

  const answered = () => replies.flatMap((r) => JSON.parse(r.replace(/^answered: /, '')) as string[]);
  await waitFor('every message answered', () => new Set(answered()).size === total, 30_000)
    .catch((err: Error) => { throw new Error(`${err.message}; ${killLog.join(', ')}; got ${JSON.stringify(answered())}`); });
  // Quiet period: a duplicate answer would arrive now.
  await sleep(1500);
  client.close();

  const counts = new Map<string, number>();
  for (const m of answered()) counts.set(m, (counts.get(m) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  expect(twice, `answered more than once (${killLog.join(', ')})`).toEqual([]);
  expect(counts.size).toBe(total);
});
