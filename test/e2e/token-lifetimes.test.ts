/**
 * Two groups' agents (the real agent-runner and the real Kimi Code CLI) answering at the same time
 * while their access token expires again and again: the fake API refuses any token past its life,
 * the fake OAuth endpoint hands out single-use refresh tokens, and the host is the only one that
 * refreshes. Every turn is answered; none fails; no refresh token is ever given out twice.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { createRecorder } from '../fixtures/event-recorder.ts';
import { startKimiWorld, type KimiWorld } from '../fixtures/kimi-world.ts';
import { createProcessAgent } from '../fixtures/process-agent.ts';
import { makeTree, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let world: KimiWorld;
let daemon: Daemon | undefined;
const clients: ChatClient[] = [];
afterEach(async () => { for (const c of clients) c.close(); await daemon?.stop(); await world?.close(); tree.cleanup(); });

const TTL_SECONDS = 6;

it('answers every turn of two groups at once across several access-token lifetimes', async () => {
  tree = makeTree();
  world = await startKimiWorld({ requireAuth: true, oauth: { accessTtl: TTL_SECONDS }, default: { reply: 'echo: {{lastMessage}}' } });
  world.install(tree.dataDir, { ttl: TTL_SECONDS });
  const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
  registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' },
    { jid: 'family@g.us', name: 'Family', folder: 'family', requiresTrigger: false });
  stores.db.close();
  const agent = createProcessAgent({ paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
    runDir: path.join(tree.root, 'run'), env: { KIMI_LOOP_MAX_ATTEMPTS_PER_STEP: '1' } });
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '3',
    AGENT_MAX_ATTEMPTS: '1' }, tree.root);
  const events = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent, events: events.emit });

  /** The group's latest run has ended (none runs now). */
  const runOver = (group: string) => events.until(`${group}'s run to end`, () => {
    const last = events.of('run-started', (e) => e.group === group).at(-1);
    return last !== undefined && events.of('run-finished', (e) => e.runId === last.runId).length > 0;
  }, 30_000);
  const started = Date.now();
  const talk = async (group: string) => {
    const replies: string[] = [];
    const client = connectChat({ socketPath: config.socketPath, group, onReply: (t) => replies.push(t) });
    clients.push(client);
    // Turns until three lifetimes have passed: some in a live run, some in a new one after idling.
    for (let i = 1; Date.now() - started < 3 * TTL_SECONDS * 1000; i++) {
      client.send(`@Kai turn ${i} of ${group}`);
      await events.next('reply-sent', (e) => e.chatJid === `local:${group}`, 30_000);
      expect(replies).toHaveLength(i);
      // Every third turn, the run is left to idle out, so the next turn starts a new CLI with the current token.
      if (i % 3 === 0) await runOver(group);
    }
    return replies;
  };
  const [main, family] = await Promise.all([talk('main'), talk('family')]);

  for (const [group, replies] of [['main', main], ['family', family]] as const) {
    expect(replies.length).toBeGreaterThan(3);
    replies.forEach((r, i) => expect(r).toBe(`echo: @Kai turn ${i + 1} of ${group}`));
  }
  const refreshes = world.requests.filter((r) => r.path === '/api/oauth/token');
  expect(refreshes.length).toBeGreaterThanOrEqual(3);
  expect(new Set(refreshes.map((r) => r.body.refresh_token)).size).toBe(refreshes.length);
  // Our tools reach the CLI over MCP, and a group that is not main is not offered main's.
  const toolsOf = (group: string) => ((world.chats().find((r) => JSON.stringify(r.body.messages).includes(`of ${group}`))!.body.tools ?? []) as
    { function: { name: string } }[]).map((t) => t.function.name).filter((n) => n.startsWith('mcp__nanokimi__'));
  expect(toolsOf('main')).toEqual(expect.arrayContaining(['mcp__nanokimi__send_message', 'mcp__nanokimi__register_group', 'mcp__nanokimi__list_available_groups']));
  expect(toolsOf('family')).toContain('mcp__nanokimi__send_message');
  expect(toolsOf('family')).not.toContain('mcp__nanokimi__register_group');
  expect(toolsOf('family')).not.toContain('mcp__nanokimi__list_available_groups');
  // Several different access tokens were used for the model, each only while it was alive (the fake refuses others).
  const bearers = new Set(world.chats().map((r) => r.authorization));
  expect(bearers.size).toBeGreaterThanOrEqual(3);
});
