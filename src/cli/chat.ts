/** @module `nanokimi chat`: a terminal on the running daemon, through its local channel. */
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { connectChat } from '../channels/local/client.ts';
import { dataPaths } from '../data-paths.ts';
import { projectRoot, readEnv } from './env.ts';

export async function chat(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { group: { type: 'string', default: 'main' }, name: { type: 'string' },
    wait: { type: 'string', default: '120' } } });
  let repliesAfterLastSend = 0;
  // Only the socket: the daemon checked the rest of the configuration when it started, and the schema
  // (zod, about 100 modules) would add some 60 ms before this is ready. The assistant's name comes in the
  // welcome, before any reply.
  const { socketPath } = dataPaths(readEnv().DATA_DIR, projectRoot);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let assistant = '';
  const client = connectChat({
    socketPath, group: values.group!, name: values.name ?? process.env.USER ?? 'you', reconnect: true,
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
