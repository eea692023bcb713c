/**
 * The real agent-runner and the real Kimi agent SDK, driven against the fake `kimi` CLI, behind the
 * real daemon: context (name, global and group KIMI.md), sessions, tools, streaming and errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { createProcessAgent, readRecord } from '../fixtures/process-agent.ts';
import { makeTree, waitFor, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
let client: ChatClient | undefined;
afterEach(async () => { client?.close(); await daemon?.stop(); daemon = undefined; tree.cleanup(); });

const CONFIG_TOML = `default_model = "kimi-code"
[models.kimi-code]
provider = "managed:kimi-code"
model = "kimi-latest"
max_context_size = 200000
`;

async function setup(opts: { scenario?: unknown; env?: Record<string, string>; config?: Record<string, string>; name?: string } = {}) {
  tree = makeTree();
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(tree.root, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree.root, rel), text);
  };
  write('data/credentials/config.toml', CONFIG_TOML);
  fs.mkdirSync(path.join(tree.dataDir, 'oauth-token'), { recursive: true });
  write('groups/global/KIMI.md', 'The owner is Camilo; answer in Spanish when he writes in Spanish.');
  const recordFile = path.join(tree.root, 'record.jsonl');
  const agent = createProcessAgent({ paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
    runDir: path.join(tree.root, 'run'), scenario: opts.scenario, recordFile, env: opts.env, assistantName: opts.name });
  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', AGENT_IDLE_SECONDS: '1',
    ASSISTANT_NAME: opts.name ?? 'Kai', ...opts.config }, tree.root);
  daemon = await startDaemon({ config, log: silentLogger(), agent });
  write('groups/main/KIMI.md', 'Main memory: Camilo likes his coffee black.');
  const replies: string[] = [];
  client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  const prompts = () => readRecord(recordFile).filter((r) => 'prompt' in r).map((r) => String(r.prompt));
  return { replies, recordFile, prompts, agent, write };
}

const finishedRuns = () => (daemon!.stores.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status != 'running'").get() as { n: number }).n;

describe('the agent-runner through the SDK and the fake CLI', () => {
  it('answers with the name, the global and the group KIMI.md in the model input, through the wrapper flags', async () => {
    const { replies, recordFile, prompts } = await setup({ name: 'Kai' });
    client!.send('who are you?');
    await waitFor('the reply', () => replies.length > 0);
    expect(replies).toEqual(['echo: </messages>']);
    const [first] = prompts();
    expect(first).toContain('You are Kai, a personal assistant that lives in WhatsApp');
    expect(first).toContain('The owner is Camilo');
    expect(first).toContain('Camilo likes his coffee black');
    expect(first).toMatch(/<message sender="[^"]+" time="[^"]+">who are you\?<\/message>/);
    await waitFor('the run to end', () => finishedRuns() === 1, 10_000);
    const argv = readRecord(recordFile).find((r) => 'argv' in r)!.argv as string[];
    expect(argv).toEqual(expect.arrayContaining(['--wire', '--model', 'kimi-code', '--yolo', '--afk', '--max-steps-per-turn']));
    expect(argv[argv.indexOf('--session') + 1]).toBe(daemon!.stores.groups.session('main'));
  });

  it('sends the context again only after a KIMI.md changed, on the same resumed session', async () => {
    const { replies, recordFile, prompts, write } = await setup();
    client!.send('first');
    await waitFor('first reply', () => replies.length === 1);
    await waitFor('the first run to end', () => finishedRuns() === 1, 10_000);
    client!.send('second, nothing changed');
    await waitFor('second reply', () => replies.length === 2);
    await waitFor('the second run to end', () => finishedRuns() === 2, 10_000);
    write('groups/main/KIMI.md', 'Main memory: Camilo now drinks tea.');
    client!.send('third, after the edit');
    await waitFor('third reply', () => replies.length === 3);

    const [p1, p2, p3] = prompts();
    expect(p1).toContain('<nanokimi_context>');
    expect(p2).not.toContain('<nanokimi_context>');
    expect(p2).toContain('second, nothing changed');
    expect(p3).toContain('Your context changed since you last saw it');
    expect(p3).toContain('Camilo now drinks tea');
    expect(p3).toContain('You are Kai');
    expect(p3).toContain('The owner is Camilo');
    const sessions = readRecord(recordFile).filter((r) => 'session' in r).map((r) => r.session as { id: string; resumed: boolean; truncated: boolean });
    expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
    expect(sessions.slice(1).every((s) => s.resumed && !s.truncated)).toBe(true);
  });

  it('a send_message call reaches the chat before the turn ends', async () => {
    const { replies, recordFile } = await setup({ scenario: { default: {
      toolCalls: [{ name: 'send_message', arguments: { text: 'On it, give me a moment.' } }], delayMs: 1500, reply: 'Done: {{lastLine}}' } } });
    client!.send('please summarise');
    await waitFor('the progress message', () => replies.length === 1);
    const turnStillRunning = readRecord(recordFile).filter((r) => 'toolResult' in r).length === 1 && replies.length === 1;
    await waitFor('the final reply', () => replies.length === 2);
    expect(turnStillRunning).toBe(true);
    expect(replies).toEqual(['On it, give me a moment.', 'Done: </messages>']);
  });

  it('keeps <internal> text out of the chat', async () => {
    const { replies } = await setup({ scenario: { default: { reply: '<internal>thinking about Camilo</internal>Hola Camilo' } } });
    client!.send('hola');
    await waitFor('the reply', () => replies.length > 0);
    expect(replies).toEqual(['Hola Camilo']);
  });

  it('ignores event types the SDK does not know', async () => {
    const { replies } = await setup({ scenario: { default: { unknownEvent: true, reply: 'fine' } } });
    client!.send('hi');
    await waitFor('the reply', () => replies.length > 0);
    expect(replies).toEqual(['fine']);
  });
});

describe('agent failures reach the chat as one useful message', () => {
  const failure = async (scenario: unknown, extra: { env?: Record<string, string>; config?: Record<string, string> } = {}) => {
    const s = await setup({ scenario, ...extra });
    client!.send('hello?');
    await waitFor('the failure message', () => s.replies.length > 0, 30_000);
    return s;
  };

  it('an expired login says so and what to run on the host', async () => {
    const { replies } = await failure({ default: { error: { code: -32004 } } });
    expect(replies[0]).toMatch(/^Kai could not answer: the Kimi login has expired\. On the host, run `kimi login` and then `scripts\/setup-oauth-isolation\.sh`/);
  });

  it('a provider error is retried, then reported', async () => {
    const { replies, prompts } = await failure({ default: { error: { code: -32003, message: '429 Too Many Requests' } } },
      { config: { AGENT_MAX_ATTEMPTS: '2' } });
    expect(replies[0]).toMatch(/the Kimi service answered with an error \(429 Too Many Requests\); the message will be retried/);
    expect(prompts()).toHaveLength(2);
  });

  it('a crashing CLI is reported as a crash', async () => {
    const { replies } = await failure({ default: { crash: 'exit1', stderr: 'Traceback: boom' } }, { config: { AGENT_MAX_ATTEMPTS: '1' } });
    expect(replies[0]).toMatch(/the Kimi CLI crashed \(CLI exited with code 1: Traceback: boom\)/);
  });

  it('a CLI that exits 0 mid-turn is caught by the watchdog instead of hanging', async () => {
    const { replies } = await failure({ default: { crash: 'exit0' } }, { config: { AGENT_MAX_ATTEMPTS: '1' } });
    expect(replies[0]).toMatch(/the Kimi CLI exited in the middle of a turn/);
  });

  it('a hung CLI is stopped by the turn watchdog', async () => {
    const { replies } = await failure({ default: { crash: 'hang' } },
      { env: { NANOKIMI_TURN_TIMEOUT_SECONDS: '2' }, config: { AGENT_MAX_ATTEMPTS: '1' } });
    expect(replies[0]).toMatch(/the agent did not finish within 2 seconds and was stopped/);
  });

  it('a model key missing from config.toml names the key and the keys that exist, before any turn', async () => {
    const { replies, prompts } = await failure({}, { env: { KIMI_MODEL: 'kimi-turbo' } });
    expect(replies[0]).toContain('the model "kimi-turbo" is not in [models] of config.toml (it has: kimi-code)');
    expect(prompts()).toEqual([]);
  });
});
