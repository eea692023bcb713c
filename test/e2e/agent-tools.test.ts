/**
 * The agent-runner's tools against the real host: each call writes an IPC file, the daemon validates
 * and authorizes it by directory, acts (scheduler, registration), and the tool reports the verdict.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { request } from '../../container/agent-runner/src/ipc-io.ts';
import { createTools } from '../../container/agent-runner/src/tools.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

async function start() {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
  registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: 'alpha@g.us', name: 'Alpha', folder: 'alpha' });
  stores.db.prepare("INSERT INTO chats (jid, name, is_group) VALUES ('beta@g.us', 'Beta team', 1)").run();
  stores.db.close();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'Europe/Madrid' }, tree.root);
  daemon = await startDaemon({ config, log: silentLogger(), agent: createFileAgent() });
  const ipc = (folder: string) => path.join(config.ipcDir, folder);
  const tools = (folder: string, isMain: boolean) => {
    const list = createTools({ ipcDir: ipc(folder), isMain });
    return (name: string, params: Record<string, unknown> = {}) => {
      const tool = list.find((t) => t.name === name);
      if (!tool) throw new Error(`no tool ${name} for ${folder}`);
      return tool.handler(params);
    };
  };
  return { main: tools('main', true), alpha: tools('alpha', false), ipc };
}

it('schedule, list, pause, resume and cancel round-trip through the host scheduler', async () => {
  const { main } = await start();
  expect((await main('schedule_task', { prompt: 'Water the plants', schedule: { kind: 'cron', value: '0 9 * * *' } })).text)
    .toMatch(/^Scheduled/);
  const listed = (await main('list_tasks')).text;
  const id = /^(task-[0-9a-f]+) \[active\] cron 0 9 \* \* \* \(group\)/.exec(listed)?.[1];
  expect(id, listed).toBeDefined();
  expect(daemon!.stores.tasks.get(id!)?.nextRunAt).toBeGreaterThan(Date.now());

  await main('pause_task', { taskId: id });
  expect((await main('list_tasks')).text).toContain(`${id} [paused]`);
  await main('resume_task', { taskId: id });
  expect((await main('list_tasks')).text).toContain(`${id} [active]`);
  await main('cancel_task', { taskId: id });
  expect((await main('list_tasks')).text).toBe('No scheduled tasks.');
  expect(daemon!.stores.tasks.get(id!)?.status).toBe('cancelled');
});

it('tells the agent why the host refused a request', async () => {
  const { main, alpha, ipc } = await start();
  const bad = await main('schedule_task', { prompt: 'x', schedule: { kind: 'cron', value: 'every day' } });
  expect(bad.isError).toBe(true);
  expect(bad.text).toMatch(/"every day" is not a cron expression/);

  await main('schedule_task', { prompt: 'Main only', schedule: { kind: 'interval', value: 3_600_000 } });
  const mainTask = daemon!.stores.tasks.listForGroup('main')[0]!.id;
  expect(await alpha('pause_task', { taskId: mainTask })).toEqual({ text: 'Refused: group "alpha" may only manage its own tasks.', isError: true });
  expect(daemon!.stores.tasks.get(mainTask)?.status).toBe('active');
  expect((await alpha('list_tasks')).text).toBe('No scheduled tasks.');

  // A non-main group is not offered register_group; a file written by hand is refused by the host.
  expect(() => alpha('register_group', {})).toThrow('no tool register_group for alpha');
  const verdict = await request(ipc('alpha'), { type: 'register_group', jid: 'beta@g.us', name: 'Beta', folder: 'beta', requiresTrigger: true });
  expect(verdict).toEqual({ ok: false, reason: 'Refused: only the main group may register groups.' });
  expect(daemon!.stores.groups.get('beta')).toBeUndefined();
});

it('main lists the groups the account is in and registers one', async () => {
  const { main } = await start();
  expect((await main('list_available_groups')).text).toContain('Beta team (beta@g.us) not registered');
  expect((await main('register_group', { jid: 'beta@g.us', name: 'Beta team', folder: 'beta' })).text).toMatch(/^Registered/);
  expect(daemon!.stores.groups.get('beta')).toMatchObject({ jid: 'beta@g.us', requiresTrigger: true });
  expect(fs.existsSync(path.join(tree.groupsDir, 'beta', 'KIMI.md'))).toBe(true);
  expect((await main('list_available_groups')).text).toContain('Beta team (beta@g.us) registered as beta');
});
