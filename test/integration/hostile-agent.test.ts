/**
 * A hostile agent in a real container, as its own user: it races swaps of every directory the host
 * works in (for links to /) against the host's IPC watcher, which meanwhile refuses and moves aside a
 * flood of junk files, links and directories. The assertion is the host tree: nothing outside the
 * group's writable directories changed, and no swap ever succeeded.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerAgent } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { startIpcWatcher } from '../../src/ipc/watcher.ts';
import { silentLogger } from '../../src/logger.ts';
import { dockerReady, makeProjectTree, PROBE_IMAGE, TEST_USER, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();

/** path -> what it is (file content hash, link target, or a directory), never following links. */
function snapshot(root: string, skip: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      if (skip.some((s) => full === s || full.startsWith(`${s}/`))) continue;
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) out.set(full, `link:${fs.readlinkSync(full)}`);
      else if (st.isDirectory()) { out.set(full, 'dir'); visit(full); } else out.set(full, createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
    }
  };
  visit(root);
  return out;
}

describe.skipIf(!ready)('a hostile agent racing the host', () => {
  let tree: ProjectTree;
  afterAll(() => tree?.cleanup());

  it('cannot make the host read, move or delete anything outside its group, however it swaps directories', async () => {
    tree = makeProjectTree(['alpha', 'beta']);
    const writable = [path.join(tree.groupsDir, 'alpha'), path.join(tree.dataDir, 'ipc', 'alpha'),
      path.join(tree.dataDir, 'sessions', 'alpha'), path.join(tree.dataDir, 'oauth-token')];
    const before = snapshot(tree.root, writable);
    let report: string | undefined;
    let refused = 0;
    const watcher = startIpcWatcher({ ipcDir: path.join(tree.dataDir, 'ipc'), folders: () => ['alpha'], log: silentLogger(), rescanMs: 200,
      process: async (_folder, _source, _name, content) => {
        try {
          const file = JSON.parse(content) as { type?: string; text?: string };
          if (file.type === 'message') { report = file.text; return { ok: true }; }
        } catch { /* junk */ }
        refused += 1;
        return { ok: false, reason: 'refused by the test' };
      } });
    const agent = createDockerAgent({ engine: createDockerEngine(), paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir },
      image: PROBE_IMAGE, user: TEST_USER, limits: { memoryMb: 256, cpus: 1, pids: 64 }, network: 'none', assistantName: 'Kai',
      timeZone: 'UTC', mountAllowlist: path.join(tree.root, 'no-allowlist.json'), log: silentLogger(), graceSeconds: 1 });
    const group = { folder: 'alpha', jid: 'alpha@g.us', name: 'alpha', requiresTrigger: true, isMain: false, container: {}, createdAt: 0 };
    try {
      const result = await agent.run({ runId: 1, group, chatJid: group.jid, sessionId: 's-1', signal: new AbortController().signal,
        input: { type: 'messages', text: JSON.stringify({ checks: ['swap-race:200'], then: 'exit' }), fromSeq: 1, toSeq: 1 },
        ipcDir: path.join(tree.dataDir, 'ipc', 'alpha') });
      expect(result).toEqual({ ok: true });
      await watcher.drain('alpha');
    } finally {
      await watcher.stop();
    }

    // The assertion that matters: outside the group's writable directories, the host tree is as it was.
    const after = snapshot(tree.root, writable);
    expect([...after.entries()].filter(([p, v]) => before.get(p) !== v)).toEqual([]);
    expect([...before.keys()].filter((p) => !after.has(p))).toEqual([]);
    const race = JSON.parse(report!)['swap-race:200'] as { swapped: Record<string, number>; errors: string[] };
    expect(Object.values(race.swapped).every((n) => n === 0), JSON.stringify(race.swapped)).toBe(true);
    // Every directory the host works in refused to move: a busy mountpoint, or read-only.
    for (const d of ['/workspace/ipc/messages', '/workspace/ipc/tasks', '/workspace/ipc/input', '/workspace/ipc/errors', '/workspace/group/logs']) {
      expect(race.errors.some((e) => e.startsWith(`${d}:error:E`)), d).toBe(true);
    }
    // The host did work through the flood meanwhile, and put it aside inside the group's own errors/.
    expect(refused).toBeGreaterThan(100);
    expect(fs.readdirSync(path.join(tree.dataDir, 'ipc', 'alpha', 'errors')).length).toBeGreaterThan(100);
  });
});
