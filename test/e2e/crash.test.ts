/**
 * The durability invariant: kill -9 the daemon at arbitrary moments while messages flow, restart it,
 * and every triggering message is answered exactly once (no loss, no second answer).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { connectChat } from '../../src/channels/local/client.ts';
import { migrations } from '../../src/store/migrations.ts';
import { makeTree, repoRoot, spawnDaemon, waitFor, type RunningDaemon, type TestTree } from './spawn-daemon.ts';

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

it('a daemon killed again and again while it migrates an older database at start-up loses nothing and migrates once', async () => {
  tree = makeTree();
  fs.mkdirSync(tree.dataDir, { recursive: true });
  // A database as an older NanoKimi left it (migrations 1-5), with a message waiting for an answer.
  const old = new Database(path.join(tree.dataDir, 'nanokimi.db'));
  old.pragma('journal_mode = WAL');
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of migrations.filter((x) => x.version <= 5)) {
    old.exec(m.sql);
    old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  old.prepare(`INSERT INTO groups (folder, jid, name, trigger, requires_trigger, is_main, container_config, created_at)
    VALUES ('main', 'local:main', 'Main', '@Kai', 1, 1, '{}', 0)`).run();
  old.prepare(`INSERT INTO messages (chat_jid, group_folder, msg_id, sender_id, sender_name, text, sent_at, triggers)
    VALUES ('local:main', 'main', 'old-1', 'local:owner', 'Owner', 'still waiting', ?, 1)`).run(Date.now());
  old.close();

  // Killed at moments spread over its start-up (about a second here): before, during and after the
  // migrations, which run one transaction each. What each kill left is read back, as evidence.
  const versionsLeft: number[] = [];
  for (let ms = 0; ms <= 1200; ms += 100) {
    const proc = spawn(process.execPath, [path.join(repoRoot, 'test/fixtures/daemon-with-file-agent.ts')], {
      cwd: tree.root, stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', HOME: tree.root, DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', LOG_LEVEL: 'silent', ...env } });
    await sleep(ms);
    proc.kill('SIGKILL');
    await new Promise((r) => proc.on('exit', r));
    const seen = new Database(path.join(tree.dataDir, 'nanokimi.db'), { readonly: true });
    versionsLeft.push((seen.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v);
    seen.close();
  }
  console.log(`migration version left by each kill: ${versionsLeft.join(' ')}`);
  // Only whole migrations are ever recorded: a kill never leaves one half-applied.
  expect(versionsLeft.every((v) => v >= 5 && v <= migrations.length)).toBe(true);
  const replies: string[] = [];
  daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts', env);
  const client = connectChat({ socketPath: tree.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  await waitFor('the answer to the waiting message', () => replies.length > 0);
  // A killed daemon may have had it answered already (the reply then waited in the outbox): once
  // either way. The pause is the window in which a second answer would arrive.
  await sleep(500);
  client.close();
  expect(replies).toEqual(['answered: ["still waiting"]']);
  const db = new Database(path.join(tree.dataDir, 'nanokimi.db'), { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect((db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version))
    .toEqual(migrations.map((m) => m.version));
  expect(db.prepare("SELECT COUNT(*) AS n FROM messages WHERE msg_id = 'old-1'").get()).toEqual({ n: 1 });
  db.close();
});
