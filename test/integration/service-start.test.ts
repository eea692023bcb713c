/**
 * Seed 001's first failure, made impossible: the daemon started exactly as the systemd unit starts
 * it (its ExecStart and WorkingDirectory, and only the environment its EnvironmentFile gives) answers
 * under the name from .env, and that name reaches the agent's context in its container.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectChat } from '../../src/channels/local/client.ts';
import { waitFor } from '../e2e/spawn-daemon.ts';
import { parseEnvironmentFile, renderUnit, serviceSettings } from '../service/unit-file.ts';
import { AGENT_IMAGE, dockerReady, installFakeLogin, makeProjectTree, startFakeApiContainer, TEST_USER, type FakeApiContainer,
  type ProjectTree } from './docker-harness.ts';

const ready = await dockerReady();

describe.skipIf(!ready)('the service as systemd runs it', () => {
  let tree: ProjectTree;
  let api: FakeApiContainer;
  afterAll(async () => { await api?.stop(); tree?.cleanup(); });

  it('answers as the ASSISTANT_NAME of .env, and the agent is told that name', async () => {
    api = await startFakeApiContainer();
    tree = makeProjectTree(['main']);
    fs.rmSync(path.join(tree.dataDir, 'nanokimi.db'));
    installFakeLogin(tree);
    const envFile = path.join(tree.root, '.env');
    fs.writeFileSync(envFile, [
      '# as a user would write it', 'ASSISTANT_NAME=Nova', `DATA_DIR=${tree.dataDir}`, `GROUPS_DIR="${tree.groupsDir}"`,
      `CONTAINER_IMAGE=${AGENT_IMAGE}`, `CONTAINER_USER=${TEST_USER}`, `CONTAINER_NETWORK=${api.network}`, 'AGENT_IDLE_SECONDS=2',
      `LOG_FILE=${path.join(tree.root, 'logs', 'nanokimi.log')}`, 'TZ=UTC', '',
    ].join('\n'));

    const unit = serviceSettings(renderUnit());
    const [node, ...args] = unit.ExecStart!.split(' ');
    // A user manager gives HOME and PATH; everything else comes from the EnvironmentFile.
    const env = { HOME: tree.root, PATH: process.env.PATH ?? '', ...parseEnvironmentFile(fs.readFileSync(envFile, 'utf8')) };
    const daemon = spawn(node!, args, { cwd: unit.WorkingDirectory, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    daemon.stdout.on('data', (d) => { out += d; });
    daemon.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((r) => daemon.on('exit', r));
    try {
      await waitFor('the daemon to start', () => out.includes('NanoKimi is running'), 30_000);
      expect(out).toContain('"assistant":"Nova"');
      const replies: string[] = [];
      const client = connectChat({ socketPath: path.join(tree.dataDir, 'nanokimi.sock'), group: 'main', onReply: (t) => replies.push(t) });
      client.send('who are you?');
      await waitFor('the reply', () => replies.length > 0, 60_000);
      client.close();
      expect(replies).toEqual(['echo: </messages>']);
      const [input] = api.modelInputs();
      expect(input).toContain('You are Nova');
      expect(input).not.toContain('You are Kai');
      expect(fs.readFileSync(path.join(tree.root, 'logs', 'nanokimi.log'), 'utf8')).toContain('NanoKimi is running');
    } finally {
      daemon.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
