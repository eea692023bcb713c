/**
 * A task scheduled by the agent through IPC runs through the same queue and agent step, replies to
 * the group's chat, and leaves a run log; a bad schedule is refused with a reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
import { connectChat } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { makeTree, waitFor, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

it('a once-task scheduled through IPC runs at its time and its reply reaches the chat', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '1' }, tree.root);
  const agent = createFileAgent({ reply: (prompt, req) => (req.input.type === 'task' ? `task ran: ${/<scheduled_task[^>]*>\n([^\n]*)/.exec(prompt)?.[1]}` : null) });
  daemon = await startDaemon({ config, log: silentLogger(), agent });
  const replies: string[] = [];
  const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });

  // The task's chat is the one the agent was answering; with no live run, the group's own chat.
  const at = new Date(Date.now() + 1500).toISOString();
  await writeJsonAtomic(path.join(config.ipcDir, 'main', 'tasks'),
    { type: 'schedule_task', prompt: 'water the plants', schedule: { kind: 'once', value: at } });
  await waitFor('the task row', () => daemon!.stores.tasks.listAll().length === 1);
  const [task] = daemon.stores.tasks.listAll();
  expect(task).toMatchObject({ groupFolder: 'main', chatJid: 'local:main', status: 'active' });

  await waitFor('the task reply', () => replies.length > 0, 10_000);
  client.close();
  expect(replies).toEqual(['task ran: water the plants']);
  expect(agent.runs.map((r) => r.input.type)).toEqual(['task']);
  await waitFor('the run log', () => daemon!.stores.tasks.runs(task!.id).length === 1);
  expect(daemon.stores.tasks.runs(task!.id)[0]).toMatchObject({ status: 'ok' });
  expect(daemon.stores.tasks.get(task!.id)?.status).toBe('done');
});

it('a schedule the daemon cannot use is refused with a reason that names the problem', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' }, tree.root);
  daemon = await startDaemon({ config, log: silentLogger(), agent: createFileAgent() });
  await writeJsonAtomic(path.join(config.ipcDir, 'main', 'tasks'),
    { type: 'schedule_task', prompt: 'x', schedule: { kind: 'cron', value: '0 9 * * X' } }, 'bad-cron.json');
  const reason = path.join(config.ipcDir, 'main', 'errors', 'bad-cron.json.reason');
  await waitFor('the reason file', () => fs.existsSync(reason));
  expect(fs.readFileSync(reason, 'utf8')).toMatch(/"0 9 \* \* X" is not a cron expression/);
  expect(daemon.stores.tasks.listAll()).toEqual([]);
});
