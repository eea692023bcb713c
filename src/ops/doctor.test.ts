import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { proto } from '@whiskeysockets/baileys';
import { DockerUnavailable } from '../agent/docker-engine.ts';
import { createSqliteAuthState } from '../channels/whatsapp/auth-store.ts';
import type { ConnectionStatus } from '../channels/whatsapp/close-policy.ts';
import { createWaStore } from '../channels/whatsapp/wa-store.ts';
import { openDb, type Db } from '../store/db.ts';
import { createGroupStore } from '../store/groups.ts';
import { createOutboxStore } from '../store/outbox.ts';
import { formatDoctor, runDoctor, type Check, type DoctorDeps } from './doctor.ts';

const GiB = 1024 ** 3;
const NOW = 1_800_000_000_000;

const goodToml = `default_model = "kimi-code"
[models.kimi-code]
provider = "managed:kimi-code"
model = "kimi-latest"
[providers."managed:kimi-code"]
type = "kimi"
oauth = { storage = "file", key = "oauth/kimi-code" }
`;

let root: string;
let db: Db;
let deps: DoctorDeps;

const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
};
const token = (expiresAtSeconds: number, refresh = 'r1') =>
  write('data/oauth-token/kimi-code.json', JSON.stringify({ access_token: 'a', refresh_token: refresh, expires_at: expiresAtSeconds }));

function link(database: Db): void {
  const auth = createSqliteAuthState(database);
  auth.state.creds.me = { id: '34600000000:1@s.whatsapp.net', name: 'Owner' };
  auth.state.creds.account = {} as proto.IADVSignedDeviceIdentity;
  auth.saveCreds();
}

/** Records a WhatsApp status a minute before NOW (the store stamps the real clock). */
function status(state: ConnectionStatus, detail = ''): void {
  createWaStore(db).setStatus(state, detail);
  db.prepare('UPDATE wa_status SET updated_at = ?').run(NOW - 60_000);
}

/** Runs the doctor and returns the checks with the given name (a name may repeat for none, one, or more). */
async function checks(name?: string): Promise<Check[]> {
  const all = await runDoctor(deps);
  return name ? all.filter((c) => c.name === name) : all;
}
async function check(name: string): Promise<Check> {
  const [c, ...rest] = await checks(name);
  if (!c || rest.length) throw new Error(`expected one "${name}" check`);
  return c;
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-doctor-'));
  write('groups/global/KIMI.md', '# Global\n');
  write('groups/main/KIMI.md', '# Main\n');
  write('data/credentials/config.toml', goodToml);
  write('.env', 'ASSISTANT_NAME=Kai\n');
  token(NOW / 1000 + 600);
  db = openDb(path.join(root, 'data', 'nanokimi.db'));
  createGroupStore(db).insert({ folder: 'main', jid: 'me@s.whatsapp.net', name: 'Main',
    requiresTrigger: false, isMain: true, container: {}, createdAt: 1 });
  link(db);
  status('connected');
  deps = {
    config: { projectRoot: root, dataDir: path.join(root, 'data'), groupsDir: path.join(root, 'groups'),
      containerImage: 'nanokimi-agent:latest', assistantName: 'Kai', kimiModel: null },
    engine: { ping: async () => ({ rootless: true }), imageExists: async () => true },
    imageKimiVersion: async () => '2.1.0',
    pinnedKimiVersion: '2.1.0',
    db,
    envFile: { file: path.join(root, '.env'), exists: true, assistantName: 'Kai' },
    unitFile: `[Service]\nEnvironmentFile=${path.join(root, '.env')}\nExecStart=/usr/bin/node src/cli.ts start\n`,
    diskFreeBytes: async () => 20 * GiB,
    tokenFile: path.join(root, 'data', 'oauth-token', 'kimi-code.json'),
    now: NOW,
  };
});

afterEach(() => {
  db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('runDoctor on a healthy install', () => {
  it('passes every check and exits 0', async () => {
    const all = await checks();
    expect(all.filter((c) => !c.ok)).toEqual([]);
    expect(all.map((c) => c.name)).toEqual(['Docker engine', 'agent image', 'agent image Kimi Code CLI', 'config.toml',
      'OAuth token', 'WhatsApp link', 'WhatsApp connection', '.env', 'systemd unit', 'group folders', 'database', 'outbox', 'disk space']);
    const report = formatDoctor(all);
    expect(report.exitCode).toBe(0);
    expect(report.text).toContain('✓ Docker engine: reachable (rootless)');
    expect(report.text).toContain('All 13 checks passed.');
  });
});

describe('Docker and the agent image', () => {
  it('reports the engine mode', async () => {
    deps.engine = { ...deps.engine, ping: async () => ({ rootless: false }) };
    expect((await check('Docker engine')).detail).toBe('reachable (rootful)');
  });

  it('fails when Docker is down, and skips the image checks that need it', async () => {
    deps.engine = { ...deps.engine, ping: async () => { throw new DockerUnavailable('the Docker engine is not reachable (ENOENT on /var/run/docker.sock)'); } };
    const c = await check('Docker engine');
    expect(c).toMatchObject({ ok: false, severity: 'error', detail: expect.stringContaining('not reachable') });
    expect(c.fix).toContain('systemctl start docker');
    expect(await checks('agent image')).toEqual([]);
  });

  it('fails when the image is missing, pointing at container/build.sh', async () => {
    deps.engine = { ...deps.engine, imageExists: async () => false };
    expect(await check('agent image')).toMatchObject({ ok: false, detail: 'nanokimi-agent:latest is not built', fix: 'container/build.sh' });
    expect(await checks('agent image Kimi Code CLI')).toEqual([]);
  });

  it('passes the pinned CLI version', async () => {
    expect(await check('agent image Kimi Code CLI')).toMatchObject({ ok: true, detail: 'kimi 2.1.0, the pinned version' });
  });

  it('fails an image whose CLI is not the pinned version', async () => {
    deps.imageKimiVersion = async () => '2.0.2';
    const c = await check('agent image Kimi Code CLI');
    expect(c).toMatchObject({ ok: false, severity: 'error', detail: 'kimi 2.0.2 in nanokimi-agent:latest, but container/agent-runner/package.json pins 2.1.0' });
    expect(c.fix).toContain('container/build.sh');
  });

  it('fails when kimi does not run in the image (an image of the Python era)', async () => {
    deps.imageKimiVersion = async () => null;
    expect(await check('agent image Kimi Code CLI')).toMatchObject({ ok: false, detail: expect.stringContaining('kimi --version did not run') });
  });
});

describe('config.toml', () => {
  it('fails with the problems as fix lines', async () => {
    write('data/credentials/config.toml', goodToml.replace('storage = "file"', 'storage = "keyring"'));
    const c = await check('config.toml');
    expect(c).toMatchObject({ ok: false, detail: 'data/credentials/config.toml is not usable (1 problem)' });
    expect(c.fix).toContain('providers."managed:kimi-code".oauth.storage = "keyring" is refused');
  });

  it('checks the model the agents will use: KIMI_MODEL, else default_model', async () => {
    expect(await check('config.toml')).toMatchObject({ ok: true, detail: expect.stringContaining('agents use the model kimi-code') });
    deps.config = { ...deps.config, kimiModel: 'kimi-turbo' };
    const c = await check('config.toml');
    expect(c).toMatchObject({ ok: false, detail: 'data/credentials/config.toml is valid, but the model is not' });
    expect(c.fix).toBe('KIMI_MODEL=kimi-turbo names no table of [models] in config.toml (it has: kimi-code); ' +
      'set KIMI_MODEL in .env to one of those, or add [models.kimi-turbo] to data/credentials/config.toml.');
  });

  it('tells to run the setup script when it is missing', async () => {
    fs.rmSync(path.join(root, 'data/credentials/config.toml'));
    expect((await check('config.toml')).fix).toContain('run scripts/setup-oauth-isolation.sh');
  });
});

describe('OAuth token', () => {
  it('passes with the time left', async () => {
    expect(await check('OAuth token')).toMatchObject({ ok: true, detail: 'access token valid for another 10 min' });
  });

  it('fails when the token file is missing', async () => {
    fs.rmSync(deps.tokenFile);
    const c = await check('OAuth token');
    expect(c).toMatchObject({ ok: false, severity: 'error', detail: 'no token at data/oauth-token/kimi-code.json' });
    expect(c.fix).toContain('kimi login');
  });

  it('warns when the access token expired but can be refreshed', async () => {
    token(NOW / 1000 - 3 * 3600);
    expect(await check('OAuth token')).toMatchObject({ ok: false, severity: 'warn', detail: expect.stringContaining('expired 3 h ago') });
  });

  it('fails when it expired and has no refresh token', async () => {
    token(NOW / 1000 - 60, '');
    expect(await check('OAuth token')).toMatchObject({ ok: false, severity: 'error' });
  });

  it('fails when the file is not a token', async () => {
    write('data/oauth-token/kimi-code.json', '{"access_token": ');
    expect(await check('OAuth token')).toMatchObject({ ok: false, detail: expect.stringContaining('not valid JSON') });
  });
});

describe('WhatsApp', () => {
  it('fails when not linked', async () => {
    createSqliteAuthState(db).clear();
    expect(await check('WhatsApp link')).toMatchObject({ ok: false, fix: expect.stringContaining('nanokimi login') });
    expect(await checks('WhatsApp connection')).toEqual([]);
  });

  it('tells to relink after a log-out', async () => {
    status('logged-out', 'device removed');
    const c = await check('WhatsApp connection');
    expect(c).toMatchObject({ ok: false, severity: 'error', detail: 'logged-out (device removed), 60 s ago' });
    expect(c.fix).toContain('nanokimi login --relink');
  });

  it('fails when another client replaced the session', async () => {
    status('replaced');
    expect(await check('WhatsApp connection')).toMatchObject({ ok: false, fix: expect.stringContaining('stop the other client') });
  });

  it('warns while a link is in progress', async () => {
    status('linking');
    expect(await check('WhatsApp connection')).toMatchObject({ ok: false, severity: 'warn' });
  });
});

describe('.env and the systemd unit', () => {
  it('warns when .env is missing: the service would answer as Kai', async () => {
    deps.envFile = { file: path.join(root, '.env'), exists: false };
    const c = await check('.env');
    expect(c).toMatchObject({ ok: false, severity: 'warn', detail: 'no .env: the service would answer as the default "Kai"' });
  });

  it('shows the name the service will answer as', async () => {
    deps.envFile = { ...deps.envFile, assistantName: 'Nova' };
    deps.config = { ...deps.config, assistantName: 'Nova' };
    expect((await check('.env')).detail).toBe('.env found; the service answers as "Nova"');
  });

  it('warns when this shell overrides the name the service will see', async () => {
    deps.envFile = { ...deps.envFile, assistantName: undefined };
    deps.config = { ...deps.config, assistantName: 'Nova' };
    expect(await check('.env')).toMatchObject({ ok: false, severity: 'warn', detail: expect.stringContaining('ASSISTANT_NAME=Kai') });
  });

  it('fails a unit without EnvironmentFile=', async () => {
    deps.unitFile = '[Service]\nExecStart=/usr/bin/node src/cli.ts start\n';
    const c = await check('systemd unit');
    expect(c).toMatchObject({ ok: false, severity: 'error', fix: 'scripts/install-service.sh' });
    expect(c.detail).toContain('has no EnvironmentFile= line');
  });

  it('fails a unit that loads another project\'s .env', async () => {
    deps.unitFile = '[Service]\nEnvironmentFile=/home/someone/old/.env\n';
    expect((await check('systemd unit')).detail).toContain('loads /home/someone/old/.env instead of');
  });

  it('accepts an optional EnvironmentFile (leading -)', async () => {
    deps.unitFile = `[Service]\nEnvironmentFile=-${path.join(root, '.env')}\n`;
    expect((await check('systemd unit')).ok).toBe(true);
  });

  it('only warns when the unit is not installed', async () => {
    deps.unitFile = null;
    expect(await check('systemd unit')).toMatchObject({ ok: false, severity: 'warn', fix: 'scripts/install-service.sh' });
  });
});

describe('group folders', () => {
  it('fails when global KIMI.md is missing', async () => {
    fs.rmSync(path.join(root, 'groups/global/KIMI.md'));
    expect(await check('group folders')).toMatchObject({ ok: false, detail: 'missing: groups/global/KIMI.md' });
  });

  it('fails when a registered group has no folder', async () => {
    createGroupStore(db).insert({ folder: 'family', jid: 'f@g.us', name: 'Family',
      requiresTrigger: true, isMain: false, container: {}, createdAt: 2 });
    fs.rmSync(path.join(root, 'groups/main/KIMI.md'));
    expect((await check('group folders')).detail).toBe('missing: groups/main/KIMI.md, groups/family/');
  });
});

describe('outbox', () => {
  it('warns about replies set aside, with where each was going and why', async () => {
    const outbox = createOutboxStore(db);
    outbox.add({ sourceKey: 'k1', groupFolder: 'main', chatJid: 'me@s.whatsapp.net', text: 'hello', runId: null });
    const id = outbox.next('me@s.whatsapp.net')!.id;
    outbox.markRefused(id, 'ChannelRefused: WhatsApp refused the message', 1);
    const c = await check('outbox');
    expect(c).toMatchObject({ ok: false, severity: 'warn', detail: '1 reply could not be delivered and was set aside' });
    expect(c.fix).toContain(`#${id} to me@s.whatsapp.net (main)`);
    expect(c.fix).toContain('WhatsApp refused the message');
  });
});

describe('database and disk', () => {
  it('passes the write probe and leaves nothing behind', async () => {
    expect(await check('database')).toMatchObject({ ok: true, detail: 'data/nanokimi.db is writable' });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'doctor_write_probe'`).get()).toBeUndefined();
  });

  it('fails on a database it cannot write', async () => {
    const readonly = new Database(path.join(root, 'data', 'nanokimi.db'), { readonly: true });
    try {
      deps.db = readonly;
      expect(await check('database')).toMatchObject({ ok: false, severity: 'error', detail: expect.stringContaining('not writable') });
    } finally {
      readonly.close();
    }
  });

  it('warns under 1 GiB and fails under 100 MiB', async () => {
    deps.diskFreeBytes = async () => 512 * 1024 ** 2;
    expect(await check('disk space')).toMatchObject({ ok: false, severity: 'warn', detail: '512 MiB free for data/' });
    deps.diskFreeBytes = async () => 50 * 1024 ** 2;
    expect(await check('disk space')).toMatchObject({ ok: false, severity: 'error' });
  });
});

describe('a check that throws', () => {
  it('becomes a failed check instead of ending the report', async () => {
    deps.diskFreeBytes = async () => { throw new Error('ENOENT: no such directory'); };
    expect(await check('disk space')).toMatchObject({ ok: false, detail: 'could not be checked: ENOENT: no such directory' });
  });
});

describe('formatDoctor', () => {
  const c = (over: Partial<Check>): Check => ({ name: 'x', ok: true, detail: 'fine', ...over });

  it('marks passes, errors and warnings, with fixes indented below', () => {
    const { text, exitCode } = formatDoctor([
      c({ name: 'Docker engine', detail: 'reachable (rootful)' }),
      c({ name: 'agent image', ok: false, detail: 'not built', fix: 'container/build.sh' }),
      c({ name: 'config.toml', ok: false, severity: 'error', detail: '2 problems', fix: 'first\nsecond' }),
      c({ name: 'systemd unit', ok: false, severity: 'warn', detail: 'not installed', fix: 'scripts/install-service.sh' }),
    ]);
    expect(text).toBe([
      '✓ Docker engine: reachable (rootful)',
      '✗ agent image: not built',
      '  fix: container/build.sh',
      '✗ config.toml: 2 problems',
      '  fix: first',
      '       second',
      '! systemd unit: not installed',
      '  fix: scripts/install-service.sh',
      '',
      '2 errors, 1 warning.',
    ].join('\n'));
    expect(exitCode).toBe(1);
  });

  it('exits 0 when only warnings failed', () => {
    expect(formatDoctor([c({}), c({ ok: false, severity: 'warn', detail: 'low disk' })]).exitCode).toBe(0);
  });

  it('exits 1 from a real run with an error', async () => {
    deps.engine = { ...deps.engine, imageExists: async () => false };
    expect(formatDoctor(await runDoctor(deps)).exitCode).toBe(1);
  });
});
