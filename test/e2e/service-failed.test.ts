/**
 * systemd gave up restarting the service: nanokimi-failed.service runs `nanokimi service-failed`
 * (as the unit does, with the MONITOR_* variables systemd sets), and the next start tells main once.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Agent } from '../../src/agent/agent.ts';
import { connectChat } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { silentLogger } from '../../src/logger.ts';
import { createRecorder } from '../fixtures/event-recorder.ts';
import { makeTree, repoRoot, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: Daemon | undefined;
afterEach(async () => { await daemon?.stop(); tree.cleanup(); });

const noAgent: Agent = { run: async () => { throw new Error('no agent in this test'); } };

it('leaves a clear line in the journal, and main hears of it once at the next start', async () => {
  tree = makeTree();
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'src/cli.ts'), 'service-failed'], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', ASSISTANT_NAME: 'Kai',
      MONITOR_SERVICE_RESULT: 'exit-code', MONITOR_EXIT_CODE: 'exited', MONITOR_EXIT_STATUS: '78' },
    encoding: 'utf8' });
  expect(res.status).toBe(0);
  expect(res.stdout).toContain('nanokimi: the service failed (exit-code, exited 78) and systemd stopped restarting it: Kai answers nobody');
  expect(res.stdout).toContain('journalctl --user -u nanokimi');

  const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' }, tree.root);
  const first = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent: noAgent, events: first.emit });
  const replies: string[] = [];
  const client = connectChat({ socketPath: config.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  await first.next('reply-sent');
  expect(replies).toHaveLength(1);
  expect(replies[0]).toMatch(/^Kai was down: at \d{4}-\d\d-\d\d \d\d:\d\d the service failed \(exit-code, exited 78\) and systemd stopped restarting it/);
  expect(replies[0]).toContain('journalctl --user -u nanokimi --since');
  client.close();
  await daemon.stop();

  // Told once: the note is gone, and a second start says nothing more.
  expect(fs.readdirSync(tree.dataDir)).not.toContain('service-failed.json');
  const second = createRecorder();
  daemon = await startDaemon({ config, log: silentLogger(), agent: noAgent, events: second.emit });
  // The notice is queued during start-up, before startDaemon resolves: this start queued none.
  expect(second.of('reply-queued', (e) => e.sourceKey.startsWith('service-failed/'))).toEqual([]);
  expect(daemon.stores.outbox.sent().filter((r) => r.text.startsWith('Kai was down'))).toHaveLength(1);
});
