/**
 * @module The composition root: builds every module, wires them together and owns shutdown.
 * Nothing else constructs collaborators; the agent step and extra channels come in as arguments.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Agent } from './agent/agent.ts';
import type { Channel } from './channels/channel.ts';
import { createLocalChannel } from './channels/local/server.ts';
import type { Config } from './config.ts';
import type { InboundMessage } from './domain.ts';
import { localJid } from './domain.ts';
import { guardEmit, ignoreEvents, type Emit } from './events.ts';
import { createPairing } from './groups/pairing.ts';
import { registerGroup, type NewGroup } from './groups/register.ts';
import { createIpcProcessor } from './ipc/processor.ts';
import { refreshSnapshots, writeSnapshots } from './ipc/snapshots.ts';
import { startIpcWatcher, type IpcWatcher } from './ipc/watcher.ts';
import type { Logger } from './logger.ts';
import { createNotifier } from './outbox/notify.ts';
import { startOutboxSender } from './outbox/sender.ts';
import { createGroupQueue } from './router/group-queue.ts';
import { createFailureNotices } from './router/failure-notices.ts';
import { createGroupWorker } from './router/group-worker.ts';
import { createRouter } from './router/router.ts';
import { startScheduler } from './scheduler/scheduler.ts';
import { pinnedKimiVersion } from './kimi/pinned-cli.ts';
import { startTokenCustody } from './kimi/token-custody.ts';
import { startRetention } from './ops/retention.ts';
import { createMediaKeeper } from './media/keeper.ts';
import { commandTranscriber } from './media/transcribe.ts';
import { stageOutboundFile } from './media/outbound.ts';
import { chooseQuote } from './router/reply-quote.ts';
import { mainNotice, pendingServiceFailure } from './ops/service-failure.ts';
import { refusedWake, replyNotDelivered, replyWithheld } from './notices.ts';
import { openDb } from './store/db.ts';
import { createStores, type Stores } from './store/stores.ts';

export type DaemonDeps = {
  config: Config;
  agent: Agent;
  log: Logger;
  /** Channels besides the local one (WhatsApp), built once the stores exist; `emit` is the daemon's. */
  channels?: ((stores: Stores, emit: Emit) => Channel)[];
  /** Told of every durable fact (src/events.ts): tests wait on these; nothing in the daemon depends on them. */
  events?: Emit;
  /** The clock for what is stored and decided by time; Date.now unless a test sets one. */
  now?: () => number;
};

export type Daemon = { stores: Stores; stop(): Promise<void> };

/** The shared memory every container mounts; Docker would otherwise create a root-owned empty folder. */
function ensureGlobalMemory(groupsDir: string): void {
  const file = path.join(groupsDir, 'global', 'KIMI.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    // Main's agent writes global/: 'wx' creates a new file or fails, never writing through a link it left there.
    fs.writeFileSync(file, '# Shared memory\n\nWhat every group\'s assistant should know. Only the main group may change it.\n', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** The main group exists from the first start, so `nanokimi chat` works before WhatsApp is linked. */
function ensureMainGroup(stores: Stores, register: (g: NewGroup) => void): void {
  if (stores.groups.list().some((g) => g.isMain)) return;
  register({ jid: localJid('main'), name: 'Main', folder: 'main', isMain: true });
}

export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const { config, log } = deps;
  const now = deps.now ?? Date.now;
  const emit = guardEmit(deps.events ?? ignoreEvents, (err, event) => log.error({ err, event: event.type }, 'An event observer failed'));
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(config.groupsDir, { recursive: true });
  const stores = createStores(openDb(config.dbPath), now);
  const { groups, messages, outbox, runs, tasks } = stores;

  // Declared early: registration (even of main, below) starts watching the new group's IPC directory.
  let watcher: IpcWatcher | undefined;
  let scheduler: ReturnType<typeof startScheduler> | undefined;
  const register = (g: NewGroup) => {
    const group = registerGroup({ groups, groupsDir: config.groupsDir, assistantName: config.assistantName }, g);
    watcher?.add(group.folder);
    log.info({ group: group.folder, jid: group.jid }, 'Group registered');
    return group;
  };
  ensureGlobalMemory(config.groupsDir);
  ensureMainGroup(stores, register);

  const local = createLocalChannel({ socketPath: config.socketPath, assistantName: config.assistantName,
    groupExists: (f) => groups.get(f) !== undefined, log });
  const channels: Channel[] = [local, ...(deps.channels ?? []).map((make) => make(stores, emit))];
  const sender = startOutboxSender({ outbox, commitSoon: stores.commitSoon, channels, log, emit,
    // Called at send time, long after tellMain below exists.
    onDeadLetter: (row, error) => tellMain(replyNotDelivered(row.chatJid, row.groupFolder, error), `dead-letter/${row.id}`) });

  const notify = createNotifier({ outbox, wake: (jid) => sender.wake(jid), emit });

  const snapshotDeps = { ipcDir: config.ipcDir, groups, tasks };
  const worker = createGroupWorker({
    groups, messages, runs, tasks, commitSoon: stores.commitSoon, agent: deps.agent, ipcDir: config.ipcDir, timeZone: config.timeZone,
    maxPromptChars: config.maxPromptChars, idleMs: config.agentIdleMs, timeoutMs: config.agentTimeoutMs,
    drainIpc: async (folder) => watcher?.drain(folder),
    setTyping: (jid, on) => channels.find((c) => c.owns(jid))?.setTyping?.(jid, on),
    beforeRun: (group) => writeSnapshots(snapshotDeps, group),
    notify, log, emit, now,
  });

  const failures = createFailureNotices({ groups, messages, notify, assistantName: config.assistantName, now });
  const tellMain = (text: string, key: string) => {
    const main = groups.list().find((g) => g.isMain);
    if (main) notify(main.folder, main.jid, text, key);
  };
  // systemd gave up restarting us last time (nanokimi-failed.service left a note): main hears of it.
  const gaveUp = pendingServiceFailure(config.dataDir);
  if (gaveUp) {
    log.warn({ failure: gaveUp.failure }, 'The service had failed and systemd had stopped restarting it; telling main');
    tellMain(mainNotice(gaveUp.failure, config.assistantName, config.timeZone), `service-failed/${gaveUp.failure.at}`);
    gaveUp.done();
  }
  const custody = startTokenCustody({ dataDir: config.dataDir, cliVersion: pinnedKimiVersion(), log,
    onLoginLost: (message) => failures.loginLost(message) });
  const queue = createGroupQueue({
    maxConcurrent: config.maxConcurrentContainers, maxAttempts: config.agentMaxAttempts,
    work: (folder) => worker.work(folder), log, emit,
    onSuccess: () => failures.succeeded(),
    onGiveUp: (folder, failure) => failures.gaveUp(folder, failure),
  });

  const pairing = createPairing({ db: stores.db, assistantName: config.assistantName, register, tellMain, now,
    adoptChat: (jid, folder) => messages.adoptChat(jid, folder), wake: (folder) => queue.notify(folder) });
  const media = createMediaKeeper({ groupsDir: config.groupsDir, timeZone: config.timeZone, maxBytes: config.mediaMaxMb * 1024 * 1024,
    ...(config.transcribeCommand ? { transcribe: commandTranscriber(config.transcribeCommand) } : {}), log });
  const ack = config.ackReaction;
  const router = createRouter({ groups, messages, queue, worker, pairing, log, emit, assistantName: config.assistantName, media,
    ...(ack ? { onWake: (m: InboundMessage) => channels.find((c) => c.owns(m.chatJid))?.react?.(m, ack) } : {}),
    // Once per sender and group (the outbox key): the owner learns of it without a message per try.
    onRefusedWake: (group, msg) => tellMain(refusedWake(config.assistantName, group, msg), `refused-wake/${group.folder}/${msg.senderId}`) });
  const processor = createIpcProcessor({
    db: stores.db, commitSoon: stores.commitSoon, groups, outbox, runs, tasks, timeZone: config.timeZone, now, register, emit,
    onReply: (folder, chatJid, finishedTurn) => { worker.noteOutput(folder, finishedTurn); sender.wake(chatJid); },
    onTurnEnd: (folder) => worker.noteOutput(folder, true),
    onTasksChanged: (folder) => { refreshSnapshots(snapshotDeps, folder); scheduler?.wake(); },
    secrets: () => custody.secrets(),
    quoteFor: (folder, chatJid, through) => {
      const answered = messages.lastTriggerIn(folder, chatJid, through);
      return chooseQuote(config.replyQuote, answered, answered ? messages.countAfter(chatJid, answered.seq) : 0);
    },
    stageFile: (r) => stageOutboundFile({ ...r, groupsDir: config.groupsDir, stagingDir: path.join(config.dataDir, 'outbox-files'),
      maxBytes: config.mediaMaxMb * 1024 * 1024, secrets: custody.secrets() }),
    onWithheld: (folder) => {
      log.error({ group: folder }, 'A reply carrying the Kimi login token was withheld');
      tellMain(replyWithheld(config.assistantName, folder), `withheld/${folder}/${now()}`);
    },
  });
  // A reply left on disk may carry a token: read none before the host knows what its tokens are.
  await custody.ready;
  watcher = startIpcWatcher({ ipcDir: config.ipcDir, folders: () => groups.list().map((g) => g.folder),
    process: processor, log, emit });

  // Replies a previous process left on disk belong to its runs: take them in before closing those runs.
  await watcher.drainAll();
  const interrupted = runs.interruptAll();
  if (interrupted > 0) log.warn({ runs: interrupted }, 'Runs interrupted by the last shutdown; unanswered messages will be retried');

  for (const c of channels) {
    await c.start({ onMessage: (m, fetch) => router.handle(m, fetch), onReady: () => sender.wake() });
  }
  for (const g of groups.list()) writeSnapshots(snapshotDeps, g);
  router.recover();
  sender.wake();
  scheduler = startScheduler({
    tasks, timeZone: config.timeZone, log, emit, now,
    onDue: (task) => { worker.queueTask(task); queue.notify(task.groupFolder); },
  });
  const retention = startRetention({ db: stores.db, days: config.retentionDays, folders: () => groups.list().map((g) => g.folder),
    groupsDir: config.groupsDir, ipcDir: config.ipcDir, log, now });
  log.info({ assistant: config.assistantName, groups: groups.list().length }, 'NanoKimi is running');

  let stopping: Promise<void> | undefined;
  return {
    stores,
    stop() {
      stopping ??= (async () => {
        log.info('Shutting down');
        scheduler?.stop();
        scheduler = undefined;
        await retention.stop();
        await custody.stop();
        // The queue first: runs cut short by the abort below are not retried or reported as failures.
        const queueStopped = queue.stop();
        worker.abortAll();
        await queueStopped;
        await sender.flush(3000);
        sender.stop();
        await watcher.stop();
        for (const c of channels) await c.stop();
        // No message comes in now; the last ones' hand-overs still read the database.
        await router.settled();
        // Writes still waiting for the end of this turn commit before the database closes.
        await stores.commitSoon(() => undefined);
        stores.db.close();
        log.info('Stopped');
      })();
      return stopping;
    },
  };
}
