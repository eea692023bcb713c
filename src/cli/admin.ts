/** @module The owner's maintenance commands: link WhatsApp, doctor, token status, backup. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { createDockerEngine } from '../agent/docker-engine.ts';
import { createSqliteAuthState } from '../channels/whatsapp/auth-store.ts';
import { baileysSocketFactory } from '../channels/whatsapp/baileys-socket.ts';
import { login } from '../channels/whatsapp/login.ts';
import { NanoKimiError } from '../errors.ts';
import { describeToken, tokenAcl, tokenStatus } from '../kimi/token.ts';
import { createLogger } from '../logger.ts';
import { backupDatabase } from '../ops/backup.ts';
import { pinnedKimiVersion } from '../kimi/pinned-cli.ts';
import { loginFile } from '../kimi/token-custody.ts';
import { formatDoctor, runDoctor } from '../ops/doctor.ts';
import { openDb } from '../store/db.ts';
import { createStores } from '../store/stores.ts';
import { cliConfig } from './config.ts';
import { envFile, projectRoot } from './env.ts';

export async function linkWhatsApp(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'pairing-code': { type: 'string' }, relink: { type: 'boolean' } } });
  const cfg = cliConfig();
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

export async function backup(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' } } });
  const cfg = cliConfig();
  const stores = createStores(openDb(cfg.dbPath));
  try {
    const file = await backupDatabase(stores.db, path.resolve(values.to ?? path.join(cfg.dataDir, 'backups')));
    console.log(`Backed up the database (messages, groups, tasks and WhatsApp link) to ${file}`);
  } finally {
    stores.db.close();
  }
}

export async function doctor(): Promise<void> {
  const cfg = cliConfig();
  const engine = createDockerEngine();
  let db: ReturnType<typeof openDb>;
  try {
    db = openDb(cfg.dbPath);
  } catch (err) {
    throw new NanoKimiError('doctor', `the database ${cfg.dbPath} cannot be opened: ${(err as Error).message}`,
      'check the file and its permissions; restore a backup made with `nanokimi backup` if it is damaged');
  }
  const envText = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : undefined;
  const unitPath = path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'systemd', 'user', 'nanokimi.service');
  try {
    const checks = await runDoctor({
      config: cfg, engine, db, now: Date.now(),
      pinnedKimiVersion: pinnedKimiVersion(projectRoot),
      imageKimiVersion: async (image) => {
        let output = '';
        const exit = await engine.run({ Image: image, Cmd: ['kimi', '--version'], Entrypoint: [], HostConfig: { NetworkMode: 'none' } },
          { signal: AbortSignal.timeout(60_000), graceSeconds: 1, onOutput: (t) => { output += t; } }).catch(() => undefined);
        return exit?.exitCode === 0 ? output.trim() : null;
      },
      envFile: { file: envFile, exists: envText !== undefined, assistantName: envText === undefined ? undefined : dotenv.parse(envText).ASSISTANT_NAME },
      unitFile: fs.existsSync(unitPath) ? fs.readFileSync(unitPath, 'utf8') : null,
      diskFreeBytes: (dir) => fs.promises.statfs(dir).then((s) => s.bavail * s.bsize),
      tokenFile: loginFile(cfg.dataDir),
    });
    const { text, exitCode } = formatDoctor(checks);
    console.log(text);
    process.exitCode = exitCode;
  } finally {
    db.close();
  }
}

export async function token(args: string[]): Promise<void> {
  if (args[0] !== 'status') throw new NanoKimiError('usage', 'the token command has one subcommand: `nanokimi token status`');
  const cfg = cliConfig();
  const file = loginFile(cfg.dataDir);
  const status = tokenStatus(file);
  for (const line of describeToken(status, file)) console.log(line);
  const acl = status.kind === 'missing' ? null : await tokenAcl(file).catch(() => null);
  console.log(acl ?? '(ACLs not shown: install the acl package for getfacl)');
  process.exitCode = status.kind === 'ok' ? 0 : 1;
}
