/** @module `nanokimi groups` and `nanokimi tasks`: what is registered and scheduled, and changing it. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NanoKimiError } from '../errors.ts';
import { registerGroup, RegistrationError } from '../groups/register.ts';
import { openDb } from '../store/db.ts';
import { createStores, type Stores } from '../store/stores.ts';
import { cliConfig } from './config.ts';

function chatByName(stores: Stores, name: string): string {
  const matches = stores.groups.groupChats().filter((c) => c.name.toLowerCase() === name.toLowerCase());
  if (matches.length === 1) return matches[0]!.jid;
  throw new NanoKimiError('register', matches.length === 0
    ? `no group chat called "${name}" has been seen; pass --jid, or wait until WhatsApp has connected once`
    : `${matches.length} group chats are called "${name}"; pass --jid to say which (${matches.map((m) => m.jid).join(', ')})`);
}

/** `groups set FOLDER [--jid JID] [--senders anyone|ID,ID…] [--memory-mb N] [--cpus N] [--pids N] [--network bridge|none] [--mount HOST:NAME[:rw]]… [--clear-mounts]` */
function setGroupContainer(stores: Stores, args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    'memory-mb': { type: 'string' }, cpus: { type: 'string' }, pids: { type: 'string' }, network: { type: 'string' },
    mount: { type: 'string', multiple: true }, 'clear-mounts': { type: 'boolean' }, jid: { type: 'string' }, senders: { type: 'string' } } });
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
  if (values.jid !== undefined) {
    const taken = stores.groups.byJid(values.jid);
    if (taken && taken.folder !== group.folder) throw new NanoKimiError('usage', `the chat ${values.jid} is already the chat of group "${taken.folder}"`);
    stores.groups.setJid(group.folder, values.jid);
    console.log(`${group.folder} now answers in ${values.jid}.`);
  }
  if (values.senders !== undefined) {
    const list = values.senders.trim() === 'anyone' ? null : values.senders.split(',').map((x) => x.trim()).filter(Boolean);
    if (list && list.some((x) => !/^\+?\d{5,20}$|^[\w.:-]+@[\w.]+$/.test(x))) {
      throw new NanoKimiError('usage', `--senders ${values.senders} is not valid: expected anyone, or phone numbers and sender ids separated by commas (e.g. +34600111222,187222456274981@lid)`);
    }
    stores.groups.setAllowedSenders(group.folder, list);
    console.log(list ? `In ${group.folder} only ${list.join(', ')} may wake the assistant; everyone's messages still reach it as context.`
      : `In ${group.folder} anyone may wake the assistant.`);
  }
  stores.groups.setContainer(group.folder, next);
  console.log(`Container settings of ${group.folder}: ${JSON.stringify(next)}`);
  if (mounts.length) console.log('Extra mounts are used only if the mount allowlist permits them (MOUNT_ALLOWLIST; see docs/SECURITY.md).');
}

export function groups(args: string[]): void {
  const cfg = cliConfig();
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
        console.log(`Registered "${g.name}" as groups/${g.folder} (${g.requiresTrigger ? `answers when someone writes @${cfg.assistantName}` : 'answers every message'}).`);
      } catch (err) {
        if (err instanceof RegistrationError) throw new NanoKimiError('register', err.message);
        throw err;
      }
      return;
    }
    if (args[0] === 'set') { setGroupContainer(stores, args.slice(1)); return; }
    console.log('Registered groups:');
    for (const g of stores.groups.list()) {
      const who = g.allowedSenders ? `  woken only by ${g.allowedSenders.join(', ') || 'nobody'}` : '';
      console.log(`  ${g.folder.padEnd(20)} ${g.jid.padEnd(32)} ${g.name}${g.isMain ? ' (main)' : ''}${who}`);
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

export function tasks(): void {
  const cfg = cliConfig();
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
