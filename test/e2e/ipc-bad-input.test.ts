/**
 * IPC invariants through the real daemon process: isolation between groups, and bad files
 * quarantined with a reason while the daemon carries on and still delivers the next good file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '@nanokimi/protocol/atomic-write';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { makeTree, spawnDaemon, waitFor, type RunningDaemon, type TestTree } from './spawn-daemon.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { registerGroup } from '../../src/groups/register.ts';

let tree: TestTree;
let daemon: RunningDaemon | undefined;
const clients: ChatClient[] = [];

afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  tree.cleanup();
});

/** Registers two ordinary groups the way `nanokimi groups register` does, before the daemon starts. */
function registerTwoGroups(): void {
  const stores = createStores(openDb(path.join(tree.dataDir, 'nanokimi.db')));
  for (const [folder, jid] of [['alpha', '111@g.us'], ['beta', '222@g.us']] as const) {
    registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid, name: folder, folder });
  }
  stores.db.close();
}

function listen(group: string): string[] {
  const got: string[] = [];
  clients.push(connectChat({ socketPath: tree.socketPath, group, onReply: (t) => got.push(t) }));
  return got;
}

/** Written as an agent writes (temp name, then rename), so no scan reads it half-written. */
const drop = (group: string, dir: string, name: string, content: string) =>
  writeFileAtomicSync(path.join(tree.dataDir, 'ipc', group, dir), name, content);
const errorsOf = (group: string) => fs.readdirSync(path.join(tree.dataDir, 'ipc', group, 'errors')).sort();
const reason = (group: string, name: string) =>
  fs.readFileSync(path.join(tree.dataDir, 'ipc', group, 'errors', `${name}.reason`), 'utf8');

describe('IPC from a group directory', () => {
  it('a file in group alpha\'s directory can never message group beta\'s chat', async () => {
    tree = makeTree();
    fs.mkdirSync(tree.dataDir, { recursive: true });
    registerTwoGroups();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const alpha = listen('alpha');
    const beta = listen('beta');
    drop('alpha', 'messages', '1-spoof.json', JSON.stringify({ type: 'message', chatJid: 'local:beta', text: 'spoofed' }));
    drop('alpha', 'messages', '2-spoof.json', JSON.stringify({ type: 'message', chatJid: '222@g.us', text: 'spoofed too' }));
    drop('alpha', 'messages', '3-own.json', JSON.stringify({ type: 'message', chatJid: 'local:alpha', text: 'to myself' }));
    await waitFor('alpha\'s own message', () => alpha.includes('to myself'));
    await waitFor('both refusals', () => errorsOf('alpha').length === 4);
    expect(beta).toEqual([]);
    expect(reason('alpha', '1-spoof.json')).toContain('group "alpha" may only message its own chat');
  });

  it('quarantines malformed, mis-shaped, oversized, symlinked and unknown-group files and keeps delivering', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const main = listen('main');
    drop('main', 'messages', '1-bad.json', '{"type": "message", "text": ');
    drop('main', 'messages', '2-schema.json', JSON.stringify({ type: 'message', text: 42 }));
    drop('main', 'messages', '3-big.json', JSON.stringify({ type: 'message', text: 'x'.repeat(300_000) }));
    fs.writeFileSync(path.join(tree.root, 'secret.json'), JSON.stringify({ type: 'message', text: 'leaked' }));
    fs.symlinkSync(path.join(tree.root, 'secret.json'), path.join(tree.dataDir, 'ipc', 'main', 'messages', '4-link.json'));
    drop('main', 'tasks', '5-task.json', JSON.stringify({ type: 'explode' }));
    fs.mkdirSync(path.join(tree.dataDir, 'ipc', 'ghost', 'messages'), { recursive: true });
    drop('main', 'messages', '9-good.json', JSON.stringify({ type: 'message', text: 'still here' }));

    await waitFor('the good file', () => main.includes('still here'));
    await waitFor('five reasons written', () => errorsOf('main').filter((n) => n.endsWith('.reason')).length === 5);
    expect(reason('main', '1-bad.json')).toMatch(/^not valid JSON/);
    expect(reason('main', '2-schema.json')).toMatch(/does not match the messages schema: text: /);
    expect(reason('main', '3-big.json')).toMatch(/the limit is 262144/);
    expect(reason('main', '4-link.json')).toMatch(/symbolic links/);
    expect(reason('main', '5-task.json')).toMatch(/does not match the tasks schema/);
    expect(main).not.toContain('leaked');
    // A directory for a group that is not registered is never read: its identity would be invented.
    expect(fs.existsSync(path.join(tree.dataDir, 'ipc', 'ghost', 'errors'))).toBe(false);
    expect(daemon.proc.exitCode).toBeNull();
  });

  it('withholds a reply that carries the Kimi login token, and tells main', async () => {
    tree = makeTree();
    fs.mkdirSync(tree.dataDir, { recursive: true });
    registerTwoGroups();
    const token = { access_token: 'at-0123456789abcdef0123', refresh_token: 'rt-fedcba9876543210fedc', expires_at: Date.now() / 1000 + 3600, expires_in: 3600 };
    fs.mkdirSync(path.join(tree.dataDir, 'oauth-token'), { recursive: true });
    fs.writeFileSync(path.join(tree.dataDir, 'oauth-token', 'kimi-code.json'), JSON.stringify(token));
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const alpha = listen('alpha');
    const main = listen('main');
    // What a prompt-injected agent would try: read its token file and post it to the chat.
    drop('alpha', 'messages', '1-leak.json', JSON.stringify({ type: 'message', chatJid: 'local:alpha', text: `here you go: ${token.access_token}` }));
    drop('alpha', 'messages', '2-fine.json', JSON.stringify({ type: 'message', chatJid: 'local:alpha', text: 'nothing secret' }));
    await waitFor('the harmless reply', () => alpha.includes('nothing secret'));
    await waitFor('main told', () => main.some((m) => m.includes('was withheld'))).catch((e) => { console.log(daemon!.output().slice(-3000)); throw e; });
    expect(alpha.join('\n')).not.toContain(token.access_token);
    expect(main.join('\n')).not.toContain(token.access_token);
    expect(main.find((m) => m.includes('was withheld'))).toContain('A reply from the group "alpha" was withheld');
    expect(reason('alpha', '1-leak.json')).toMatch(/^withheld: the reply contains a Kimi login token/);
    expect(daemon.output()).not.toContain(token.access_token);
  });

  it('a reply file dropped into IPC is delivered to the connected terminal', async () => {
    tree = makeTree();
    daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
    const main: string[] = [];
    // The daemon's welcome: the terminal is connected before the reply exists.
    await new Promise<void>((connected) => clients.push(connectChat({ socketPath: tree.socketPath, group: 'main',
      onReply: (t) => main.push(t), onConnected: () => connected() })));
    drop('main', 'messages', 'hello.json', JSON.stringify({ type: 'message', text: 'hi from the agent' }));
    await waitFor('the reply', () => main.includes('hi from the agent'));
  });
});
