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
import { createRecorder } from '../fixtures/event-recorder.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

it('a once-task scheduled through IPC runs at its time and its reply reaches the chat', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '1' }, tree.root);
  const agent = createFileAgent({ reply: (prompt, req) => (req.input.type === 'task' ? `task ran: ${/<scheduled_task[^>]*>\n([^\n]*)/.exec(prompt)?.[1]}` : null) });
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit });
  const replies: string[] = [];
  const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });

  // The task's chat is the one the agent was answering; with no live run, the group's own chat.
  const at = new Date(Date.now() + 1500).toISOString();
  await writeJsonAtomic(path.join(config.ipcDir, 'main', 'tasks'),
    { type: 'schedule_task', prompt: 'water the plants', schedule: { kind: 'once', value: at } });
  const scheduled = await events.next('task-scheduled');
  const [task] = daemon.stores.tasks.listAll();
  expect(task).toMatchObject({ id: scheduled.taskId, groupFolder: 'main', chatJid: 'local:main', status: 'active' });

  await events.next('reply-sent', undefined, 10_000);
  expect(events.of('task-due')).toEqual([{ type: 'task-due', group: 'main', taskId: task!.id, nextRunAt: null }]);
  client.close();
  expect(replies).toEqual(['task ran: water the plants']);
  expect(agent.runs.map((r) => r.input.type)).toEqual(['task']);
  await events.next('run-finished', (e) => e.kind === 'task');
  expect(daemon.stores.tasks.runs(task!.id)).toEqual([expect.objectContaining({ status: 'ok' })]);
  expect(daemon.stores.tasks.get(task!.id)?.status).toBe('done');
});

it('a schedule the daemon cannot use is refused with a reason that names the problem', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' }, tree.root);
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent: createFileAgent(), events: events.emit });
  await writeJsonAtomic(path.join(config.ipcDir, 'main', 'tasks'),
    { type: 'schedule_task', prompt: 'x', schedule: { kind: 'cron', value: '0 9 * * X' } }, 'bad-cron.json');
  const refused = await events.next('ipc-refused', (e) => e.file === 'bad-cron.json');
  expect(refused.reason).toMatch(/"0 9 \* \* X" is not a cron expression/);
  // The reason is also beside the file in errors/, for the agent and for people to read.
  expect(fs.readFileSync(path.join(config.ipcDir, 'main', 'errors', 'bad-cron.json.reason'), 'utf8')).toBe(`${refused.reason}\n`);
  expect(daemon.stores.tasks.listAll()).toEqual([]);
});
