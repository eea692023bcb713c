/** When the agent keeps failing, the person in the chat is told why, and the message is kept. */
import { afterEach, expect, it } from 'vitest';
import type { Agent } from '../../src/agent/agent.ts';
import { connectChat } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { createRecorder, settled } from '../fixtures/event-recorder.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

it('after the last failed attempt the chat hears what failed, and the message stays unanswered', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_MAX_ATTEMPTS: '1' }, tree.root);
  let calls = 0;
  const agent: Agent = { run: async () => { calls++; return { ok: false, failure: {
    kind: 'unavailable', retryable: true, message: 'Docker is not reachable (is the engine running?).' } }; } };
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit });
  const replies: string[] = [];
  const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  client.send('are you there?');
  await events.next('reply-sent');
  client.close();
  expect(replies).toEqual(['Kai could not answer: Docker is not reachable (is the engine running?). Your message is kept; it will be tried again with your next message.']);
  expect(calls).toBe(1);
  expect(daemon.stores.groups.cursor('main')).toBe(0);
});

it('an expired Kimi login is told in the chat that asked and, once, in main', async () => {
  tree = makeTree();
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' }, tree.root);
  const agent: Agent = { run: async () => ({ ok: false, failure: {
    kind: 'auth-expired', retryable: false, message: 'the Kimi login has expired. On the host, run `kimi login`.' } }) };
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit });
  registerGroup({ groups: daemon.stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: 'family@g.us', name: 'Family', folder: 'family' });
  const main: string[] = [];
  const family: string[] = [];
  const clients = [connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => main.push(t) }),
    connectChat({ socketPath: config.socketPath, group: 'family', onReply: (t) => family.push(t) })];
  const sentTo = (chat: string) => events.next('reply-sent', (e) => e.chatJid === `local:${chat}`);
  clients[1]!.send('first');
  await Promise.all([sentTo('family'), sentTo('main')]);
  clients[1]!.send('second');
  await events.next('gave-up', (e) => e.group === 'family');
  await events.next('gave-up', (e) => e.group === 'family');
  // Both notices of a give-up are queued before it is told: once settled, nothing more is on its way to main.
  await settled(events);
  clients.forEach((c) => c.close());
  expect(family).toHaveLength(2);
  expect(events.of('reply-queued', (e) => e.chatJid === 'local:main')).toHaveLength(1);
  expect(main).toEqual(['Kai cannot answer anywhere: the Kimi login has expired. On the host, run `kimi login`.']);
  expect(family[0]).toMatch(/^Kai could not answer: the Kimi login has expired/);
});
