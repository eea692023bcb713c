/**
 * @module Benchmark: how soon the `nanokimi` command is ready. `--help` from spawn to exit, and
 * `nanokimi chat` from spawn to its "Connected to group" line (connected to a real daemon with the file
 * agent, on a temp project tree), next to a bare `node -e 0` for what Node itself costs on this machine
 * and an empty .ts file for what its type stripping adds (every `.ts` entry pays that once).
 * Prints p50/p90 wall time and peak RSS of each; passes or fails nothing. Each round runs them all in
 * turn, so a busy moment on the machine touches every figure alike.
 * Run: `node bench/cli-start.ts [rounds]` (default 20).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTree, repoRoot, spawnDaemon } from '../test/e2e/spawn-daemon.ts';

const rounds = Number(process.argv[2] ?? 20);
const tree = makeTree();
const daemon = await spawnDaemon(tree, 'test/fixtures/daemon-with-file-agent.ts');

// Peak RSS is read inside each child as it exits (chat: just after it is ready, when its input is
// closed); a preload (CommonJS, so it starts no module loader of its own) reports it on stderr.
const rssHook = path.join(tree.root, 'report-rss.cjs');
fs.writeFileSync(rssHook, "process.on('exit', () => process.stderr.write(`\\nbench-maxrss ${process.resourceUsage().maxRSS}\\n`));\n");
const emptyTs = path.join(tree.root, 'empty.ts');
fs.writeFileSync(emptyTs, 'export {};\n');
const cli = path.join(repoRoot, 'src/cli.ts');
const env = { PATH: process.env.PATH ?? '', HOME: tree.root, DATA_DIR: tree.dataDir, GROUPS_DIR: tree.groupsDir, TZ: 'UTC' };

type Sample = { ms: number; rssKb: number };

/** Spawns node with `args`; `ready` says from the output so far when the command counts as ready. */
function run(args: string[], ready?: (stderr: string) => boolean): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let readyAt: number | undefined;
    let stderr = '';
    const child = spawn(process.execPath, ['--require', rssHook, ...args], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (ready && readyAt === undefined && ready(stderr)) {
        readyAt = performance.now();
        child.stdin.end(); // `chat` leaves once its input ends
      }
    });
    if (!ready) child.stdin.end();
    child.on('exit', (code) => {
      const end = readyAt ?? performance.now();
      const rss = /bench-maxrss (\d+)/.exec(stderr)?.[1];
      if (code !== 0 || rss === undefined) reject(new Error(`node ${args.join(' ')} exited ${code}:\n${stderr}`));
      else resolve({ ms: end - t0, rssKb: Number(rss) });
    });
  });
}

const commands: Record<string, () => Promise<Sample>> = {
  'node -e 0 (Node alone)': () => run(['-e', '0']),
  'node empty.ts (type stripping)': () => run([emptyTs]),
  'nanokimi --help': () => run([cli, '--help']),
  'nanokimi chat, to connected': () => run([cli, 'chat', '--group', 'main', '--wait', '0'], (s) => s.includes('Connected to group')),
};

const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
try {
  for (const start of Object.values(commands)) await start(); // warm the file cache; not counted
  for (let i = 0; i < rounds; i++) {
    for (const [name, start] of Object.entries(commands)) samples[name]!.push(await start());
  }
} finally {
  daemon.proc.kill('SIGTERM');
  await daemon.exited;
  tree.cleanup();
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
console.log(`cli start: ${rounds} rounds, ${process.version}, wall time from spawn, peak RSS`);
for (const [name, xs] of Object.entries(samples)) {
  const ms = xs.map((s) => s.ms);
  const mb = xs.map((s) => s.rssKb / 1024);
  console.log(`  ${name.padEnd(32)} p50 ${pct(ms, 50).toFixed(0).padStart(4)} ms  p90 ${pct(ms, 90).toFixed(0).padStart(4)} ms`
    + `   RSS p50 ${pct(mb, 50).toFixed(0).padStart(3)} MB  p90 ${pct(mb, 90).toFixed(0).padStart(3)} MB`);
}
