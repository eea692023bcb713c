/**
 * @module `nanokimi doctor` as data: each check says what it found and, when it fails, the one
 * command or edit that fixes it. The caller gathers the facts (Docker, files, the unit, disk) and
 * passes them in, so every check runs against plain fakes in tests.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chooseModel } from '@nanokimi/protocol/kimi-config';
import { envSchema, type Config } from '../config.ts';
import type { DockerEngine } from '../agent/docker-engine.ts';
import { hostPaths } from '../agent/mounts.ts';
import { createSqliteAuthState } from '../channels/whatsapp/auth-store.ts';
import { createWaStore } from '../channels/whatsapp/wa-store.ts';
import { groupPath } from '../groups/folder.ts';
import { readKimiConfig } from '../kimi/config-toml.ts';
import { tokenStatus } from '../kimi/token.ts';
import type { Db } from '../store/db.ts';
import { createGroupStore } from '../store/groups.ts';
import { createOutboxStore } from '../store/outbox.ts';

/** `severity` only matters when `ok` is false; a failed check without one counts as an error. */
export type Check = { name: string; ok: boolean; detail: string; fix?: string; severity?: 'error' | 'warn' };

export type DoctorDeps = {
  config: Pick<Config, 'projectRoot' | 'dataDir' | 'groupsDir' | 'containerImage' | 'assistantName' | 'kimiModel'>;
  engine: Pick<DockerEngine, 'ping' | 'imageExists'>;
  /** Output of `kimi --version` inside the image (e.g. "2.1.0"), null when it could not run. */
  imageKimiVersion: (image: string) => Promise<string | null>;
  /** The exact @moonshot-ai/kimi-code version container/agent-runner/package.json pins. */
  pinnedKimiVersion: string;
  db: Db;
  /** What the project's `.env` says, read without touching process.env (the service sees only the file). */
  envFile: { file: string; exists: boolean; assistantName?: string };
  /** Contents of ~/.config/systemd/user/nanokimi.service, null when it is not installed. */
  unitFile: string | null;
  diskFreeBytes: (dir: string) => Promise<number>;
  /** data/oauth-token/kimi-code.json: the one token every container shares. */
  tokenFile: string;
  /** Milliseconds since the epoch. */
  now: number;
};

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const DEFAULT_NAME = envSchema.shape.ASSISTANT_NAME.parse(undefined);
const UNIT_PATH = '~/.config/systemd/user/nanokimi.service';
const RELOGIN = 'run `kimi login` on the host, then scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force';

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string, severity: 'error' | 'warn' = 'error'): Check =>
  ({ name, ok: false, detail, fix, severity });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function ago(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

async function docker(d: DoctorDeps): Promise<Check[]> {
  let rootless: boolean;
  try {
    ({ rootless } = await d.engine.ping());
  } catch (err) {
    // Image checks need the engine; the one failure below says what to do first.
    return [fail('Docker engine', message(err),
      'start Docker (`sudo systemctl start docker`, or `systemctl --user start docker` when rootless) and make sure this user may use its socket')];
  }
  const image = d.config.containerImage;
  const checks = [pass('Docker engine', `reachable (${rootless ? 'rootless' : 'rootful'})`)];
  if (!(await d.engine.imageExists(image))) {
    return [...checks, fail('agent image', `${image} is not built`, 'container/build.sh')];
  }
  checks.push(pass('agent image', `${image} is built`));
  checks.push(kimiCli(image, await d.imageKimiVersion(image), d.pinnedKimiVersion));
  return checks;
}

function kimiCli(image: string, said: string | null, pinned: string): Check {
  const name = 'agent image Kimi Code CLI';
  const rebuild = 'rebuild the image with container/build.sh (it installs the pinned version)';
  const version = said?.match(/\d+\.\d+\.\d+\S*/)?.[0];
  if (!version) return fail(name, `kimi --version did not run in ${image}${said ? ` (said "${said}")` : ''}`, rebuild);
  if (version === pinned) return pass(name, `kimi ${version}, the pinned version`);
  return fail(name, `kimi ${version} in ${image}, but container/agent-runner/package.json pins ${pinned}`, rebuild);
}

async function kimiConfig(d: DoctorDeps, rel: (f: string) => string): Promise<Check> {
  const file = hostPaths(d.config, 'global').configToml;
  const result = await readKimiConfig(file);
  if (result.ok) {
    const model = chooseModel(result.config, d.config.kimiModel);
    if (!model.ok) return fail('config.toml', `${rel(file)} is valid, but the model is not`, model.problem);
    return pass('config.toml', `${rel(file)} is valid (agents use the model ${model.model})`);
  }
  const n = result.problems.length;
  return fail('config.toml', `${rel(file)} is not usable (${n} problem${n === 1 ? '' : 's'})`, result.problems.join('\n'));
}

async function oauthToken(d: DoctorDeps, rel: (f: string) => string): Promise<Check> {
  const name = 'OAuth token';
  const t = tokenStatus(d.tokenFile, d.now);
  if (t.kind === 'missing') return fail(name, `no token at ${rel(d.tokenFile)}`, RELOGIN);
  if (t.kind === 'unreadable') {
    return fail(name, `${rel(d.tokenFile)} cannot be read: ${t.error}`, `give this user read access to ${d.tokenFile} (see \`ls -l\` and \`getfacl\`)`);
  }
  if (t.kind === 'corrupt') return fail(name, `${rel(d.tokenFile)} is not a token: ${t.detail}`, RELOGIN);
  const left = t.expiresAt - d.now;
  if (left > 0) return pass(name, `access token valid for another ${ago(left)}`);
  if (!t.hasRefreshToken) return fail(name, `access token expired ${ago(left)} ago and there is no refresh token`, RELOGIN);
  // Access tokens live about 15 minutes; the running daemon refreshes them halfway (token-custody.ts).
  return fail(name, `access token expired ${ago(left)} ago; the daemon refreshes it while it runs`,
    `start the service if it is stopped; if the log says the refresh was refused, ${RELOGIN}`, 'warn');
}

function whatsapp(d: DoctorDeps): Check[] {
  if (!createSqliteAuthState(d.db).hasCreds()) {
    return [fail('WhatsApp link', 'not linked to a WhatsApp account', '`nanokimi login` (QR code, or --pairing-code PHONE)')];
  }
  const checks = [pass('WhatsApp link', 'linked')];
  const s = createWaStore(d.db).status();
  const name = 'WhatsApp connection';
  if (!s) return [...checks, fail(name, 'no connection recorded yet', 'start the service: `systemctl --user start nanokimi`', 'warn')];
  const detail = `${s.state}${s.detail ? ` (${s.detail})` : ''}, ${ago(d.now - s.updatedAt)} ago`;
  const restart = '`systemctl --user restart nanokimi`';
  switch (s.state) {
    case 'connected': return [...checks, pass(name, detail)];
    case 'connecting': return [...checks, d.now - s.updatedAt < 5 * 60_000 ? pass(name, detail)
      : fail(name, detail, 'check the network and `journalctl --user -u nanokimi`', 'warn')];
    case 'linking': return [...checks, fail(name, detail, 'finish linking with `nanokimi login`', 'warn')];
    case 'stopped': return [...checks, fail(name, detail, 'start the service: `systemctl --user start nanokimi`', 'warn')];
    case 'logged-out': return [...checks, fail(name, detail, `\`nanokimi login --relink\`, then ${restart}`)];
    case 'replaced': return [...checks, fail(name, detail, `stop the other client using this WhatsApp session, then ${restart}`)];
    case 'forbidden': return [...checks, fail(name, detail, 'WhatsApp refused the account (banned or restricted): check the phone')];
  }
}

function envFile(d: DoctorDeps, rel: (f: string) => string): Check {
  const e = d.envFile;
  if (!e.exists) {
    return fail('.env', `no ${rel(e.file)}: the service would answer as the default "${DEFAULT_NAME}"`,
      '`cp .env.example .env` and set ASSISTANT_NAME', 'warn');
  }
  const name = e.assistantName || DEFAULT_NAME;
  if (name !== d.config.assistantName) {
    return fail('.env', `${rel(e.file)} gives ASSISTANT_NAME=${name}, but this shell overrides it with ${d.config.assistantName}; the service sees only .env`,
      `set ASSISTANT_NAME=${d.config.assistantName} in ${rel(e.file)}, or unset it in this shell`, 'warn');
  }
  return pass('.env', `${rel(e.file)} found; the service answers as "${name}"${e.assistantName ? '' : ' (the default)'}`);
}

function unit(d: DoctorDeps): Check {
  const name = 'systemd unit';
  const fix = 'scripts/install-service.sh';
  if (d.unitFile === null) return fail(name, `not installed at ${UNIT_PATH}`, fix, 'warn');
  const wanted = path.resolve(d.envFile.file);
  const loaded = [...d.unitFile.matchAll(/^\s*EnvironmentFile\s*=\s*(.+?)\s*$/gm)]
    .map((m) => m[1]!.replace(/^-/, '').replaceAll('%h', os.homedir()).replace(/^"(.*)"$/, '$1'));
  if (loaded.some((f) => path.resolve(f) === wanted)) return pass(name, `loads ${wanted}`);
  const found = loaded.length ? `loads ${loaded.join(', ')} instead of ${wanted}` : 'has no EnvironmentFile= line';
  return fail(name, `${UNIT_PATH} ${found}: the service would not see ASSISTANT_NAME and the rest of .env`, fix);
}

async function groupFolders(d: DoctorDeps, rel: (f: string) => string): Promise<Check> {
  const folders = ['global', ...createGroupStore(d.db).list().map((g) => g.folder)];
  const missing: string[] = [];
  for (const folder of folders) {
    let dir: string;
    try {
      dir = groupPath(d.config.groupsDir, folder);
    } catch (err) {
      missing.push(message(err));
      continue;
    }
    if (!(await fs.stat(dir).catch(() => null))?.isDirectory()) missing.push(`${rel(dir)}/`);
    else if (!(await fs.stat(path.join(dir, 'KIMI.md')).catch(() => null))?.isFile()) missing.push(rel(path.join(dir, 'KIMI.md')));
  }
  if (!missing.length) return pass('group folders', `global and ${folders.length - 1} registered group(s) have their folder and KIMI.md`);
  return fail('group folders', `missing: ${missing.join(', ')}`,
    'restore them from a backup, or create each folder with a KIMI.md saying who the assistant is there (global/KIMI.md is shared by all groups)');
}

/** Replies set aside after the channel refused them again and again (src/outbox/sender.ts). */
function outboxCheck(d: DoctorDeps): Check {
  const dead = createOutboxStore(d.db).deadLetters();
  if (dead.length === 0) return pass('outbox', 'no reply has been set aside');
  const lines = dead.slice(-5).map((r) => `#${r.id} to ${r.chatJid} (${r.groupFolder}), ${new Date(r.createdAt).toISOString()}: ${r.lastError ?? 'refused'}`);
  return fail('outbox', `${dead.length} repl${dead.length === 1 ? 'y' : 'ies'} could not be delivered and ${dead.length === 1 ? 'was' : 'were'} set aside`,
    `the channel refused ${dead.length === 1 ? 'it' : 'them'}; the text is kept in the outbox table of the database:\n${lines.join('\n')}`, 'warn');
}

function database(d: DoctorDeps, rel: (f: string) => string): Check {
  const where = rel(d.db.name);
  // A real write, rolled back: proves the file, its journal and the directory accept writes.
  try {
    d.db.exec('BEGIN IMMEDIATE');
    try {
      d.db.exec('CREATE TABLE doctor_write_probe (x INTEGER); INSERT INTO doctor_write_probe VALUES (1)');
    } finally {
      d.db.exec('ROLLBACK');
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      return fail('database', `${where} is busy: another process holds its write lock`, 'run doctor again; if it persists, look for a stuck nanokimi process', 'warn');
    }
    return fail('database', `${where} is not writable: ${message(err)}`, `make ${rel(d.config.dataDir)}/ and the nanokimi.db* files in it writable by this user`);
  }
  return pass('database', `${where} is writable`);
}

async function disk(d: DoctorDeps, rel: (f: string) => string): Promise<Check> {
  const free = await d.diskFreeBytes(d.config.dataDir);
  const detail = `${free >= GiB ? `${(free / GiB).toFixed(1)} GiB` : `${Math.floor(free / MiB)} MiB`} free for ${rel(d.config.dataDir)}/`;
  const fix = 'free space on that disk (e.g. `docker system prune` for stopped containers and unused images)';
  if (free < 100 * MiB) return fail('disk space', detail, fix);
  if (free < GiB) return fail('disk space', detail, fix, 'warn');
  return pass('disk space', detail);
}

/** Runs a check; an unexpected throw becomes a failed check instead of ending the report. */
async function guard(name: string, run: () => Check | Check[] | Promise<Check | Check[]>): Promise<Check[]> {
  try {
    return [await run()].flat();
  } catch (err) {
    return [{ name, ok: false, severity: 'error', detail: `could not be checked: ${message(err)}` }];
  }
}

export async function runDoctor(d: DoctorDeps): Promise<Check[]> {
  const rel = (f: string) => {
    const r = path.relative(d.config.projectRoot, f);
    return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : f;
  };
  const results = await Promise.all([
    guard('Docker engine', () => docker(d)),
    guard('config.toml', () => kimiConfig(d, rel)),
    guard('OAuth token', () => oauthToken(d, rel)),
    guard('WhatsApp link', () => whatsapp(d)),
    guard('.env', () => envFile(d, rel)),
    guard('systemd unit', () => unit(d)),
    guard('group folders', () => groupFolders(d, rel)),
    guard('database', () => database(d, rel)),
    guard('outbox', () => outboxCheck(d)),
    guard('disk space', () => disk(d, rel)),
  ]);
  return results.flat();
}

const isError = (c: Check) => !c.ok && c.severity !== 'warn';

/** One line per check (`✓` passed, `✗` error, `!` warning) with its fix indented below; exit code 1 on any error. */
export function formatDoctor(checks: Check[]): { text: string; exitCode: number } {
  const lines = checks.flatMap((c) => {
    const mark = c.ok ? '✓' : isError(c) ? '✗' : '!';
    const fix = !c.ok && c.fix ? c.fix.split('\n').map((l, i) => `${i === 0 ? '  fix: ' : '       '}${l}`) : [];
    return [`${mark} ${c.name}: ${c.detail}`, ...fix];
  });
  const errors = checks.filter(isError).length;
  const warnings = checks.filter((c) => !c.ok && !isError(c)).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push('', errors + warnings === 0 ? `All ${checks.length} checks passed.` : `${plural(errors, 'error')}, ${plural(warnings, 'warning')}.`);
  return { text: lines.join('\n'), exitCode: errors ? 1 : 0 };
}
