/**
 * The whole daemon with its real agent step: terminal messages to two groups are answered by probe
 * containers started through dockerode, and MAX_CONCURRENT_CONTAINERS holds across groups.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { LABEL_INSTANCE } from '../../src/agent/container-spec.ts';
import { createDockerAgent, instanceId } from '../../src/agent/docker-agent.ts';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { connectChat } from '../../src/channels/local/client.ts';
import { loadConfig } from '../../src/config.ts';
import { startDaemon, type Daemon } from '../../src/daemon.ts';
import { registerGroup } from '../../src/groups/register.ts';
import { silentLogger } from '../../src/logger.ts';
import { openDb } from '../../src/store/db.ts';
import { createStores } from '../../src/store/stores.ts';
import { waitFor } from '../e2e/spawn-daemon.ts';
import { dockerReady, makeProjectTree, PROBE_IMAGE, TEST_USER, type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();

describe.skipIf(!ready)('the daemon with real containers', () => {
  let tree: ProjectTree;
  let daemon: Daemon;
  afterAll(async () => { await daemon?.stop(); tree?.cleanup(); });

  it('answers two groups from their own containers, never more at once than the cap', async () => {
    tree = makeProjectTree(['main', 'alpha']);
    fs.rmSync(path.join(tree.dataDir, 'nanokimi.db')); // the tree's stand-in; the daemon makes the real one
    const config = loadConfig({ DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC', MAX_CONCURRENT_CONTAINERS: '1',
      CONTAINER_IMAGE: PROBE_IMAGE, CONTAINER_USER: TEST_USER }, tree.root);
    const log = silentLogger();
    const agent = createDockerAgent({ engine: createDockerEngine(), log,
      paths: { projectRoot: tree.root, groupsDir: tree.groupsDir, dataDir: tree.dataDir }, image: config.containerImage,
      user: config.containerUser, limits: config.containerLimits, network: 'none', assistantName: 'Kai', timeZone: 'UTC',
      mountAllowlist: config.mountAllowlist });
    // Registered before start, as `nanokimi groups register` would; the tree already holds its directories.
    const stores = createStores(openDb(config.dbPath));
    registerGroup({ groups: stores.groups, groupsDir: tree.groupsDir, assistantName: 'Kai' }, { jid: 'alpha@g.us', name: 'Alpha', folder: 'alpha' });
    stores.db.close();
    daemon = await startDaemon({ config, log, agent });

    const replies: Record<string, string[]> = { main: [], alpha: [] };
    const clients = ['main', 'alpha'].map((g) => connectChat({ socketPath: config.socketPath, group: g, onReply: (t) => replies[g]!.push(t) }));
    clients[0]!.send('hello from main');
    clients[1]!.send('hello from alpha');

    const docker = new Docker();
    let most = 0;
    await waitFor('both replies', () => {
      void docker.listContainers({ filters: { label: [`${LABEL_INSTANCE}=${instanceId(tree.dataDir)}`] } })
        .then((l) => { most = Math.max(most, l.length); });
      return replies.main!.length > 0 && replies.alpha!.length > 0;
    }, 60_000);
    clients.forEach((c) => c.close());
    expect(replies.main![0]).toMatch(/^probe saw \d+ chars$/);
    expect(replies.alpha![0]).toMatch(/^probe saw \d+ chars$/);
    expect(most).toBe(1);
    // Each reply answered its messages: nothing is waiting for a second run.
    expect(daemon.stores.groups.cursor('main')).toBeGreaterThan(0);
    expect(daemon.stores.groups.cursor('alpha')).toBeGreaterThan(0);
  });
});
