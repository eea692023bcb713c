#!/usr/bin/env node
/** @module The `nanokimi` command: start the daemon, chat with it from a terminal, manage groups and tasks. */
import path from 'node:path';
import { NanoKimiError } from './errors.ts';

// Each command loads only its own modules: `chat` and `--help` must not pay for Baileys and dockerode.
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
  groups set FOLDER [--jid JID] [--senders anyone|NUMBER,ID...] [--memory-mb N] [--cpus N] [--pids N]
             [--network bridge|none] [--mount HOST_PATH:NAME[:rw]]... [--clear-mounts]
                                who may wake the assistant there, a group's container limits and
                                extra mounts (checked against MOUNT_ALLOWLIST)
  tasks                         list scheduled tasks
  token status                  the Kimi token's expiry, file, mode and ACLs (never the token)
  doctor                        check everything the service needs, with a fix for each problem
  backup [--to DIR]             copy the database (and the WhatsApp link) to a dated file, daemon running or not
  service-failed                run by systemd (nanokimi-failed.service) when it stopped restarting the
                                service: a line in the journal, and main is told at the next start

Configuration is read from the environment and ${path.join(projectRoot, '.env')}.`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': return (await import('./cli/start.ts')).start();
    case 'chat': return (await import('./cli/chat.ts')).chat(rest);
    case 'login': return (await import('./cli/admin.ts')).linkWhatsApp(rest);
    case 'groups': return (await import('./cli/groups.ts')).groups(rest);
    case 'tasks': return (await import('./cli/groups.ts')).tasks();
    case 'backup': return (await import('./cli/admin.ts')).backup(rest);
    case 'doctor': return (await import('./cli/admin.ts')).doctor();
    case 'token': return (await import('./cli/admin.ts')).token(rest);
    case 'service-failed': return (await import('./cli/service-failed.ts')).serviceFailed();
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
