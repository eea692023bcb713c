/**
 * Faults under a running daemon process: its database busy (another process holds the write lock
 * past busy_timeout) and the disk under data/ full while a reply is stored. After each, nothing is
 * lost, nothing is sent twice, the daemon is up and has said what happened.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '@nanokimi/protocol/atomic-write';
import { connectChat, type ChatClient } from '../../src/channels/local/client.ts';
import { makeTree, spawnDaemon, waitFor, type RunningDaemon, type TestTree } from './spawn-daemon.ts';

let tree: TestTree;
let daemon: RunningDaemon | undefined;
let client: ChatClient | undefined;
let mounted: string | undefined;
afterEach(async () => {
  client?.close();
  daemon?.proc.kill('SIGKILL');
  await daemon?.exited;
  if (mounted) spawnSync('umount', [mounted]);
  mounted = undefined;
  tree.cleanup();
});

const messagesDir = () => path.join(tree.dataDir, 'ipc', 'main', 'messages');
/** Written as an agent writes (temp name, then rename), so no scan reads it half-written. */
const drop = (name: string, text: string) =>
  writeFileAtomicSync(messagesDir(), name, JSON.stringify({ type: 'message', chatJid: 'local:main', text }));
const errors = () => fs.readdirSync(path.join(tree.dataDir, 'ipc', 'main', 'errors'));

async function startWithMain(): Promise<string[]> {
  daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');
  const replies: string[] = [];
  client = connectChat({ socketPath: tree.socketPath, group: 'main', onReply: (t) => replies.push(t) });
  return replies;
}

describe('faults while replies arrive', () => {
  it('the database busy past its timeout: the reply waits in place and goes out once, in order, when the lock is gone', async () => {
    tree = makeTree();
    const replies = await startWithMain();
    // Another process (a backup tool, sqlite3 by hand) holds the write lock.
    const other = new Database(path.join(tree.dataDir, 'nanokimi.db'));
    other.exec('BEGIN IMMEDIATE');
    drop('1.json', 'first');
    await waitFor('the daemon to say it could not store the reply',
      () => daemon!.output().includes('IPC file could not be processed; left in place'), 30_000);
    expect(fs.readdirSync(messagesDir())).toEqual(['1.json']);
    expect(errors()).toEqual([]);
    other.exec('COMMIT');
    other.close();
    drop('2.json', 'second');
    await waitFor('both replies', () => replies.length === 2);
    expect(replies).toEqual(['first', 'second']);
    expect(errors()).toEqual([]);
    expect(daemon!.proc.exitCode).toBeNull();
  });

  // The disk-full test mounts a small tmpfs: try it once, here, rather than guess from the uid.
  const canMount = (() => {
    if (process.getuid!() !== 0) return false;
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-mount-probe-'));
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (ok) spawnSync('umount', [probe]);
    fs.rmSync(probe, { recursive: true, force: true });
    return ok;
  })();
  if (!canMount) console.warn('\n*** SKIPPING the disk-full fault test: mounting a tmpfs failed here (it needs root with CAP_SYS_ADMIN). ***\n');

  it.skipIf(!canMount)('the disk under data/ full: the reply waits in place and goes out once there is room again', async () => {
    tree = makeTree();
    fs.mkdirSync(tree.dataDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', tree.dataDir]);
    mounted = tree.dataDir;
    const replies = await startWithMain();
    drop('0.json', 'before');
    await waitFor('the first reply', () => replies.length === 1);
    // Fill the disk: a filler as large as the space left, then one page for the reply file itself.
    const filler = path.join(tree.dataDir, 'filler');
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(64 * 1024, 1);
    try { for (;;) fs.writeSync(fd, block); } catch { /* ENOSPC: full */ }
    try { for (;;) fs.writeSync(fd, block.subarray(0, 4096)); } catch { /* full to the page */ }
    fs.ftruncateSync(fd, fs.fstatSync(fd).size - 4096);
    fs.closeSync(fd);
    drop('1.json', 'during');
    await waitFor('the daemon to say it could not store the reply',
      () => daemon!.output().includes('IPC file could not be processed; left in place'), 30_000);
    expect(errors()).toEqual([]);
    expect(replies).toEqual(['before']);
    fs.rmSync(filler);
    drop('2.json', 'after');
    await waitFor('all replies', () => replies.length === 3);
    expect(replies).toEqual(['before', 'during', 'after']);
    expect(daemon!.proc.exitCode).toBeNull();
  });
});
