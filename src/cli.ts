#!/usr/bin/env node
/** @module The `nanokimi` command: start the daemon, chat with it from a terminal, manage groups and tasks. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { connectChat } from './channels/local/client.ts';
import { startDaemon } from './daemon.ts';
import { NanoKimiError } from './errors.ts';
import { registerGroup, RegistrationError } from './groups/register.ts';
import { createLogger, type Logger } from './logger.ts';
import { openDb } from './store/db.ts';
import { createStores, type Stores } from './store/stores.ts';
import { createDockerAgentRunner, removeOrphans } from './agent/docker-runner.ts';
import { createDockerRuntime, DockerUnavailable } from './agent/docker-runtime.ts';
import { baileysSocketFactory } from './channels/whatsapp/baileys-socket.ts';
import { createWhatsAppChannel, type WhatsAppChannel } from './channels/whatsapp/channel.ts';
import { backupDatabase } from './ops/backup.ts';
import { formatDoctor, runDoctor } from './ops/doctor.ts';
import { hostPaths } from './agent/mounts.ts';
import { describeToken, tokenAcl, tokenStatus } from './kimi/token.ts';
import { startHealthServer } from './ops/health.ts';
import { startTokenWatch } from './ops/token-watch.ts';
import { login } from './channels/whatsapp/login.ts';
import { createSqliteAuthState } from './channels/whatsapp/auth-store.ts';

const projectRoot = path.resolve(import.meta.dirname, '..');

const usage = `Usage: nanokimi <command> [options]

Commands:
  start                         run the daemon in the foreground (the systemd unit runs this)
  login [--pairing-code PHONE] [--relink]
                                link this host to WhatsApp (QR code, or a pairing code for PHONE)
  chat [--group main] [--name NAME] [--wait SECONDS]
                                talk to the running daemon from this terminal; with piped input it
                                waits up to --wait seconds (default 120) for the answer
  groups                        list registered groups and the group chats seen so far
  groups register --name NAME --folder FOLDER [--jid JID] [--no-trigger]
                                register a chat as a group (by its name, or its JID)
  groups set FOLDER [--memory-mb N] [--cpus N] [--pids N] [--network bridge|none]
             [--mount HOST_PATH:NAME[:rw]]... [--clear-mounts]
                                a group's container limits and extra mounts (checked against MOUNT_ALLOWLIST)
  tasks                         list scheduled tasks
  token status                  the Kimi token's expiry, file, mode and ACLs (never the token)
  doctor                        check everything the service needs, with a fix for each problem
  backup [--to DIR]             copy the database (and the WhatsApp link) to a dated file, daemon running or not

Configuration is read from the environment and ${path.join(projectRoot, '.env')}.`;

function config(): Config {
  dotenv.config({ path: path.join(projectRoot, '.env'), quiet: true });
  try {
    return loadConfig(process.env, projectRoot);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new NanoKimiError('config', `configuration is not valid:\n${err.message}`,
        `fix the value in ${path.join(projectRoot, '.env')} or the environment; .env.example describes every key`);
    }
    throw err;
  }
}

async function start(): Promise<void> {
  const cfg = config();
  const log = createLogger({ level: cfg.logLevel, file: cfg.logFile ?? undefined });
  const runtime = createDockerRuntime();
  await checkDocker(runtime, cfg, log);
  const agent = createDockerAgentRunner({
    runtime, paths: { projectRoot: cfg.projectRoot, groupsDir: cfg.groupsDir, dataDir: cfg.dataDir },
    image: cfg.containerImage, user: cfg.containerUser, limits: cfg.containerLimits, network: cfg.containerNetwork,
    assistantName: cfg.assistantName, timeZone: cfg.timeZone, mountAllowlist: cfg.mountAllowlist, log,
  });
  let wa: WhatsAppChannel | undefined;
  const whatsapp = (stores: Stores) => (wa = createWhatsAppChannel({
    db: stores.db, socketFactory: baileysSocketFactory(log), assistantName: cfg.assistantName,
    sharesOwnerNumber: !cfg.assistantHasOwnNumber, log, recordChat: stores.groups.recordGroupChat,
    bindMainChat: (jid) => {
      const main = stores.groups.list().find((g) => g.isMain);
      if (main && main.jid !== jid) stores.groups.setJid(main.folder, jid);
    },
  }));
  const daemon = await startDaemon({ config: cfg, log, agent, channels: [whatsapp] });
  const health = cfg.healthPort > 0 ? await startHealthServer({ port: cfg.healthPort, probes: [
    { name: 'whatsapp', check: async () => ({ ok: wa?.status() === 'connected', detail: wa?.status() ?? 'off' }) },
    { name: 'docker', check: () => runtime.ping().then((r) => ({ ok: true, detail: r.rootless ? 'rootless' : 'rootful' }),
      (e: unknown) => ({ ok: false, detail: String(e) })) },
    { name: 'database', check: async () => {
      // Taking the write lock and letting it go proves the database is writable without changing it.
      daemon.stores.db.exec('BEGIN IMMEDIATE; ROLLBACK');
      return { ok: true, detail: 'writable' };
    } },
  ] }) : undefined;
  if (health) log.info({ port: health.port }, 'Health endpoint on 127.0.0.1 (/health, /ready)');
  const tokenWatch = startTokenWatch({ file: path.join(hostPaths(cfg, 'main').tokenDir, 'kimi-code.json'), log });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'Signal received');
    // A second signal, or a shutdown that hangs, must not keep the process alive forever.
    setTimeout(() => process.exit(1), 15_000).unref();
    void health?.stop();
    tokenWatch.stop();
    void daemon.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/**
 * Says once, at start-up, what stands between the daemon and a working agent. The daemon starts
 * anyway: messages are stored and answered once Docker and the image are there.
 */
async function checkDocker(runtime: ReturnType<typeof createDockerRuntime>, cfg: Config, log: Logger): Promise<void> {
  try {
    await runtime.ping();
  } catch (err) {
    if (!(err instanceof DockerUnavailable)) throw err;
    log.error(`${err.message}. Install and start Docker (e.g. \`sudo systemctl start docker\`); messages wait until it is back.`);
    return;
  }
  if (!(await runtime.imageExists(cfg.containerImage))) {
    log.error(`The agent image ${cfg.containerImage} is not built. Build it with \`container/build.sh\`; messages wait until it exists.`);
  }
  await removeOrphans(runtime, cfg.dataDir, log);
}

async function chat(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { group: { type: 'string', default: 'main' }, name: { type: 'string' },
    wait: { type: 'string', default: '120' } } });
  let repliesAfterLastSend = 0;
  const cfg = config();
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let assistant = cfg.assistantName;
  const client = connectChat({
    socketPath: cfg.socketPath, group: values.group!, name: values.name ?? process.env.USER ?? 'you', reconnect: true,
    onConnected: (name) => { assistant = name; console.error(`Connected to group "${values.group}". Type a message; Ctrl-D to leave.`); },
    onDisconnected: () => console.error('(daemon went away; reconnecting…)'),
    onReply: (text) => { repliesAfterLastSend++; console.log(`${assistant}: ${text}`); },
    onError: (message, fatal) => { console.error(`nanokimi: ${message}`); if (fatal) process.exit(1); },
  });
  rl.on('line', (line) => { if (line.trim()) { repliesAfterLastSend = 0; client.send(line); } });
  rl.on('close', () => {
    // Leave once everything typed is in the daemon's database and, for piped input
    // (`echo hi | nanokimi chat`), once the answer came or --wait seconds passed.
    const deadline = Date.now() + Number(values.wait) * 1000;
    const interactive = process.stdin.isTTY === true;
    const wait = setInterval(() => {
      const answered = interactive || repliesAfterLastSend > 0 || Date.now() > deadline;
      if (client.unstored() === 0 && answered) { clearInterval(wait); client.close(); }
    }, 50);
  });
}

function chatByName(stores: Stores, name: string): string {
  const matches = stores.groups.groupChats().filter((c) => c.name.toLowerCase() === name.toLowerCase());
  if (matches.length === 1) return matches[0]!.jid;
  throw new NanoKimiError('register', matches.length === 0
    ? `no group chat called "${name}" has been seen; pass --jid, or wait until WhatsApp has connected once`
    : `${matches.length} group chats are called "${name}"; pass --jid to say which (${matches.map((m) => m.jid).join(', ')})`);
}

/** `groups set FOLDER --memory-mb N --cpus N --pids N --network bridge|none --mount HOST:NAME[:rw] --clear-mounts` */
function setGroupContainer(stores: Stores, args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    'memory-mb': { type: 'string' }, cpus: { type: 'string' }, pids: { type: 'string' }, network: { type: 'string' },
    mount: { type: 'string', multiple: true }, 'clear-mounts': { type: 'boolean' } } });
  const folder = positionals[0];
  const group = folder ? stores.groups.get(folder) : undefined;
  if (!group) throw new NanoKimiError('usage', `no registered group has the folder "${folder ?? ''}"`, 'run `nanokimi groups` to see them');
  const number = (flag: string, v: string | undefined, min: number, max: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new NanoKimiError('usage', `--${flag} ${v} is not valid: expected a number from ${min} to ${max}`);
    return n;
  };
  if (values.network !== undefined && values.network !== 'bridge' && values.network !== 'none') {
    throw new NanoKimiError('usage', `--network ${values.network} is not valid: expected bridge or none`);
  }
  const mounts = (values.mount ?? []).map((m) => {
    const [hostPath, name, mode] = m.split(':');
    if (!hostPath || !name || (mode !== undefined && mode !== 'rw')) {
      throw new NanoKimiError('usage', `--mount ${m} is not valid: expected HOST_PATH:NAME or HOST_PATH:NAME:rw`);
    }
    return { hostPath: path.resolve(hostPath), name, ...(mode === 'rw' ? { readWrite: true } : {}) };
  });
  const c = group.container;
  const next = {
    ...c,
    ...(values['memory-mb'] !== undefined ? { memoryMb: number('memory-mb', values['memory-mb'], 128, 65_536) } : {}),
    ...(values.cpus !== undefined ? { cpus: number('cpus', values.cpus, 0.1, 64) } : {}),
    ...(values.pids !== undefined ? { pids: number('pids', values.pids, 16, 32_768) } : {}),
    ...(values.network !== undefined ? { network: values.network as 'bridge' | 'none' } : {}),
    extraMounts: [...(values['clear-mounts'] ? [] : c.extraMounts ?? []), ...mounts],
  };
  stores.groups.setContainer(group.folder, next);
  console.log(`Container settings of ${group.folder}: ${JSON.stringify(next)}`);
  if (mounts.length) console.log('Extra mounts are used only if the mount allowlist permits them (MOUNT_ALLOWLIST; see docs/SECURITY.md).');
}

function groups(args: string[]): void {
  const cfg = config();
  const stores = createStores(openDb(cfg.dbPath));
  try {
    if (args[0] === 'register') {
      const { values } = parseArgs({ args: args.slice(1), options: {
        jid: { type: 'string' }, name: { type: 'string' }, folder: { type: 'string' }, 'no-trigger': { type: 'boolean' } } });
      if (!values.name || !values.folder) {
        throw new NanoKimiError('usage', 'groups register needs --name and --folder (and --jid when the name is not a known chat)',
          'run `nanokimi groups` to see the chats and their JIDs');
      }
      // A group the WhatsApp account is in can be named instead of giving its JID.
      const jid = values.jid ?? chatByName(stores, values.name);
      try {
        const g = registerGroup({ groups: stores.groups, groupsDir: cfg.groupsDir, assistantName: cfg.assistantName },
          { jid, name: values.name, folder: values.folder, requiresTrigger: !values['no-trigger'] });
        console.log(`Registered "${g.name}" as groups/${g.folder} (${g.requiresTrigger ? `answers when someone writes ${g.trigger}` : 'answers every message'}).`);
      } catch (err) {
        if (err instanceof RegistrationError) throw new NanoKimiError('register', err.message);
        throw err;
      }
      return;
    }
    if (args[0] === 'set') { setGroupContainer(stores, args.slice(1)); return; }
    console.log('Registered groups:');
    for (const g of stores.groups.list()) {
      console.log(`  ${g.folder.padEnd(20)} ${g.jid.padEnd(32)} ${g.name}${g.isMain ? ' (main)' : ''}`);
    }
    const unregistered = stores.groups.groupChats().filter((c) => !c.folder);
    if (unregistered.length) {
      console.log('\nGroup chats seen but not registered:');
      for (const c of unregistered) console.log(`  ${c.jid.padEnd(32)} ${c.name}`);
    }
  } finally {
    stores.db.close();
  }
}

function tasks(): void {
  const cfg = config();
  const stores = createStores(openDb(cfg.dbPath));
  try {
    const all = stores.tasks.listAll();
    if (all.length === 0) console.log('No scheduled tasks.');
    for (const t of all) {
      const next = t.nextRunAt ? new Date(t.nextRunAt).toISOString() : '-';
      console.log(`${t.id}  ${t.groupFolder.padEnd(16)} ${t.status.padEnd(9)} ${t.schedule.kind} ${t.schedule.value}  next: ${next}\n    ${t.prompt.slice(0, 100)}`);
    }
  } finally {
    stores.db.close();
  }
}

async function linkWhatsApp(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'pairing-code': { type: 'string' }, relink: { type: 'boolean' } } });
  const cfg = config();
  const stores = createStores(openDb(cfg.dbPath));
  try {
    if (values.relink) createSqliteAuthState(stores.db).clear();
    const result = await login({ db: stores.db, socketFactory: baileysSocketFactory(createLogger({ level: 'warn' })),
      pairingPhone: values['pairing-code'], print: (t) => console.log(t) });
    if (!result.ok) throw new NanoKimiError('login', result.message);
    console.log(`Linked as ${result.me}. Restart the service so it connects: systemctl --user restart nanokimi`);
  } finally {
    stores.db.close();
  }
}

async function backup(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' } } });
  const cfg = config();
  const stores = createStores(openDb(cfg.dbPath));
  try {
    const file = await backupDatabase(stores.db, path.resolve(values.to ?? path.join(cfg.dataDir, 'backups')));
    console.log(`Backed up the database (messages, groups, tasks and WhatsApp link) to ${file}`);
  } finally {
    stores.db.close();
  }
}

async function doctor(): Promise<void> {
  const cfg = config();
  const runtime = createDockerRuntime();
  let db: ReturnType<typeof openDb>;
  try {
    db = openDb(cfg.dbPath);
  } catch (err) {
    throw new NanoKimiError('doctor', `the database ${cfg.dbPath} cannot be opened: ${(err as Error).message}`,
      'check the file and its permissions; restore a backup made with `nanokimi backup` if it is damaged');
  }
  const envPath = path.join(projectRoot, '.env');
  const envText = fs.existsSync(envPath) ? fs.readFileSync(envPath, 'utf8') : undefined;
  const unitPath = path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'systemd', 'user', 'nanokimi.service');
  try {
    const checks = await runDoctor({
      config: cfg, runtime, db, now: Date.now(),
      imagePythonVersion: async (image) => {
        let output = '';
        const exit = await runtime.run({ Image: image, Cmd: ['python3', '--version'], Entrypoint: [], HostConfig: { NetworkMode: 'none' } },
          { signal: AbortSignal.timeout(60_000), graceSeconds: 1, onOutput: (t) => { output += t; } }).catch(() => undefined);
        return exit?.exitCode === 0 ? output.trim() : null;
      },
      envFile: { file: envPath, exists: envText !== undefined, assistantName: envText === undefined ? undefined : dotenv.parse(envText).ASSISTANT_NAME },
      unitFile: fs.existsSync(unitPath) ? fs.readFileSync(unitPath, 'utf8') : null,
      diskFreeBytes: (dir) => fs.promises.statfs(dir).then((s) => s.bavail * s.bsize),
      tokenFile: path.join(hostPaths(cfg, 'main').tokenDir, 'kimi-code.json'),
    });
    const { text, exitCode } = formatDoctor(checks);
    console.log(text);
    process.exitCode = exitCode;
  } finally {
    db.close();
  }
}

async function token(args: string[]): Promise<void> {
  if (args[0] !== 'status') throw new NanoKimiError('usage', 'the token command has one subcommand: `nanokimi token status`');
  const cfg = config();
  const file = path.join(hostPaths(cfg, 'main').tokenDir, 'kimi-code.json');
  const status = tokenStatus(file);
  for (const line of describeToken(status, file)) console.log(line);
  const acl = status.kind === 'missing' ? null : await tokenAcl(file).catch(() => null);
  console.log(acl ?? '(ACLs not shown: install the acl package for getfacl)');
  process.exitCode = status.kind === 'ok' ? 0 : 1;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': return start();
    case 'chat': return chat(rest);
    case 'login': return linkWhatsApp(rest);
    case 'groups': return groups(rest);
    case 'tasks': return tasks();
    case 'backup': return backup(rest);
    case 'doctor': return doctor();
    case 'token': return token(rest);
    case undefined: case 'help': case '--help': case '-h': console.log(usage); return;
    default: throw new NanoKimiError('usage', `unknown command "${command}"`, 'run `nanokimi help` for the list');
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof NanoKimiError) {
    console.error(`nanokimi: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ''}`);
    process.exit(err.code === 'config' ? 78 : 1);
  }
  console.error(err);
  process.exit(1);
});
