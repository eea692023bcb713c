/** @module `nanokimi start`: the daemon with its production agent step (Docker) and channels (WhatsApp). */
import { createDockerAgent, removeOrphans } from '../agent/docker-agent.ts';
import { createDockerEngine, DockerUnavailable } from '../agent/docker-engine.ts';
import { baileysSocketFactory } from '../channels/whatsapp/baileys-socket.ts';
import { createWhatsAppChannel, type WhatsAppChannel } from '../channels/whatsapp/channel.ts';
import type { Config } from '../config.ts';
import { startDaemon } from '../daemon.ts';
import type { Emit } from '../events.ts';
import { createLogger, type Logger } from '../logger.ts';
import { startHealthServer } from '../ops/health.ts';
import type { Stores } from '../store/stores.ts';
import { cliConfig } from './config.ts';

export async function start(): Promise<void> {
  const cfg = cliConfig();
  const log = createLogger({ level: cfg.logLevel, file: cfg.logFile ?? undefined });
  // Listening from the start: a stop asked for while the daemon starts (Docker slow to answer, say)
  // is a clean stop once it has started, not the signal's default death half-way through.
  const stopSignal = firstStopSignal(log);
  const engine = createDockerEngine();
  await checkDocker(engine, cfg, log);
  const agent = createDockerAgent({
    engine, paths: { projectRoot: cfg.projectRoot, groupsDir: cfg.groupsDir, dataDir: cfg.dataDir },
    image: cfg.containerImage, user: cfg.containerUser, limits: cfg.containerLimits, network: cfg.containerNetwork, model: cfg.kimiModel,
    assistantName: cfg.assistantName, timeZone: cfg.timeZone, mountAllowlist: cfg.mountAllowlist, log,
  });
  let wa: WhatsAppChannel | undefined;
  const whatsapp = (stores: Stores, emit: Emit) => (wa = createWhatsAppChannel({
    db: stores.db, socketFactory: baileysSocketFactory(log), assistantName: cfg.assistantName, emit,
    sharesOwnerNumber: !cfg.assistantHasOwnNumber, log, recordChat: stores.groups.recordGroupChat,
    // On the owner's number, main is the owner's "message yourself" chat; a bot with a number of its
    // own has no such chat: main is the chat the owner sets with `nanokimi groups set main --jid …`.
    bindMainChat: (jid) => {
      if (cfg.assistantHasOwnNumber) return;
      const main = stores.groups.list().find((g) => g.isMain);
      if (main && main.jid !== jid) stores.groups.setJid(main.folder, jid);
    },
  }));
  const daemon = await startDaemon({ config: cfg, log, agent, channels: [whatsapp] });
  const health = cfg.healthPort > 0 ? await startHealthServer({ port: cfg.healthPort, probes: [
    { name: 'whatsapp', check: async () => ({ ok: wa?.status() === 'connected', detail: wa?.status() ?? 'off' }) },
    { name: 'docker', check: () => engine.ping().then((r) => ({ ok: true, detail: r.rootless ? 'rootless' : 'rootful' }),
      (e: unknown) => ({ ok: false, detail: String(e) })) },
    { name: 'database', check: async () => {
      // Taking the write lock and letting it go proves the database is writable without changing it.
      daemon.stores.db.exec('BEGIN IMMEDIATE; ROLLBACK');
      return { ok: true, detail: 'writable' };
    } },
  ] }) : undefined;
  if (health) log.info({ port: health.port }, 'Health endpoint on 127.0.0.1 (/health, /ready)');
  await stopSignal;
  void health?.stop();
  await daemon.stop();
  process.exit(0);
}

/** The first SIGTERM or SIGINT; a second of the same kind ends the process at once (its default action). */
function firstStopSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'Signal received');
      // A shutdown that hangs must not keep the process alive forever.
      setTimeout(() => process.exit(1), 15_000).unref();
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

/**
 * Says once, at start-up, what stands between the daemon and a working agent. The daemon starts
 * anyway: messages are stored and answered once Docker and the image are there.
 */
async function checkDocker(engine: ReturnType<typeof createDockerEngine>, cfg: Config, log: Logger): Promise<void> {
  try {
    await engine.ping();
  } catch (err) {
    if (!(err instanceof DockerUnavailable)) throw err;
    log.error(`${err.message}. Install and start Docker (e.g. \`sudo systemctl start docker\`); messages wait until it is back.`);
    return;
  }
  if (!(await engine.imageExists(cfg.containerImage))) {
    log.error(`The agent image ${cfg.containerImage} is not built. Build it with \`container/build.sh\`; messages wait until it exists.`);
  }
  await removeOrphans(engine, cfg.dataDir, log);
}
