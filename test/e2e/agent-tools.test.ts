/**
 * The agent-runner's tools against the real host: each call writes an IPC file, the daemon validates
 * and authorizes it by directory, acts (scheduler, registration), and the tool reports the verdict.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../../container/agent-runner/src/ipc-io.ts';
import { createTools } from '../../container/agent-runner/src/tools.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { createFileAgent } from '../fixtures/file-agent.ts';
import { createRecorder, type Recorder } from '../fixtures/event-recorder.ts';
import { connectChat } from '../../src/channels/local/client.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
let events: Recorder;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

async function start(opts: { token?: Record<string, unknown> } = {}) {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  if (opts.token) {
    fs.mkdirSync(path.join(tree.dataDir, 'oauth-token'), { recursive: true });
    fs.writeFileSync(path.join(tree.dataDir, 'oauth-token', 'kimi-code.json'), JSON.stringify(opts.token));
  }
  const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
  registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: 'alpha@g.us', name: 'Alpha', folder: 'alpha' });
  stores.groups.recordGroupChat('beta@g.us', 'Beta team');
  stores.db.close();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'Europe/Madrid' }, tree.root);
  events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent: createFileAgent(), events: events.emit });
  const ipc = (folder: string) => path.join(config.ipcDir, folder);
  const tools = (folder: string, isMain: boolean) => {
    const list = createTools({ ipcDir: ipc(folder), isMain, workDir: path.join(tree.groupsDir, folder) });
    return (name: string, params: Record<string, unknown> = {}) => {
      const tool = list.find((t) => t.name === name);
      if (!tool) throw new Error(`no tool ${name} for ${folder}`);
      return tool.handler(params);
    };
  };
  return { main: tools('main', true), alpha: tools('alpha', false), ipc, config };
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

describe('send_file', () => {
  const errorsOf = (ipcDir: string) => fs.readdirSync(path.join(ipcDir, 'errors')).filter((f) => f.endsWith('.reason'))
    .map((f) => fs.readFileSync(path.join(ipcDir, 'errors', f), 'utf8'));
  // Every reply the outbox stored, as stored: the events come after the commit.
  const queuedFiles = () => events.of('reply-queued').filter((e) => e.file !== undefined).map((e) => e.file!);

  it('sends a file of the group folder with its caption, from a copy the host made at once', async () => {
    const { main, config } = await start();
    const replies: string[] = [];
    const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
    fs.writeFileSync(path.join(tree.groupsDir, 'main', 'report.pdf'), '%PDF-1.7 the report');
    expect(await main('send_file', { file: '/workspace/group/report.pdf', caption: 'Here is the report' })).toEqual({ text: 'Sent.' });
    await events.next('reply-sent');
    client.close();
    expect(replies).toEqual(['Here is the report\n[document: report.pdf, 19 bytes]']);
    const [file] = queuedFiles();
    expect(file).toMatchObject({ fileName: 'report.pdf', mimeType: 'application/pdf', kind: 'document', bytes: 19 });
    // The copy lived outside anything a container can write, and went once the file was sent.
    expect(file!.path.startsWith(path.join(tree.dataDir, 'outbox-files'))).toBe(true);
    expect(fs.readdirSync(path.join(tree.dataDir, 'outbox-files'))).toEqual([]);
  });

  it('refuses what is not a file of the group folder: paths outside it, links out of it, a folder linked elsewhere', async () => {
    const { alpha, ipc } = await start();
    const host = path.join(tree.root, 'host');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'id_rsa'), 'PRIVATE KEY');
    const group = path.join(tree.groupsDir, 'alpha');
    fs.symlinkSync(path.join(host, 'id_rsa'), path.join(group, 'key.txt'));
    fs.symlinkSync(host, path.join(group, 'linked'));

    expect(await alpha('send_file', { file: '/etc/passwd' })).toEqual({ isError: true,
      text: 'Refused: /etc/passwd is not inside /workspace/group; only files of the group folder can be sent.' });
    expect((await alpha('send_file', { file: '../../data/credentials/kimi-code.json' })).isError).toBe(true);
    expect((await alpha('send_file', { file: 'missing.png' })).text).toBe('There is no file /workspace/group/missing.png.');
    // The tool in the container cannot tell a link to a host file apart: the host can, and does.
    await alpha('send_file', { file: 'key.txt' });
    await alpha('send_file', { file: '/workspace/group/linked/id_rsa' });
    await events.next('ipc-refused', (e) => e.group === 'alpha');
    await events.next('ipc-refused', (e) => e.group === 'alpha');
    expect(errorsOf(ipc('alpha')).sort()).toEqual(['key.txt is a symbolic link; send the file itself\n',
      'linked/id_rsa is not inside the group folder\n']);
    expect(queuedFiles()).toEqual([]);
  });

  it('withholds a file that carries the Kimi login token', async () => {
    const token = { access_token: 'at-0123456789abcdef0123', refresh_token: 'rt-fedcba9876543210fedc', expires_at: Date.now() / 1000 + 3600, expires_in: 3600 };
    const { alpha, ipc } = await start({ token });
    fs.writeFileSync(path.join(tree.groupsDir, 'alpha', 'notes.txt'), `my token is ${token.access_token}`);
    await alpha('send_file', { file: 'notes.txt' });
    await events.next('ipc-refused', (e) => e.group === 'alpha');
    expect(errorsOf(ipc('alpha'))).toHaveLength(1);
    expect(errorsOf(ipc('alpha'))[0]).toContain('withheld: the file contains a Kimi login token');
    expect(queuedFiles()).toEqual([]);
  });
});
