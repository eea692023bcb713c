/**
 * @module The Kimi Code CLI's process (`kimi acp`), started on its own, before the rest of the
 * runner is loaded: the CLI's start-up is the longest step of a cold run, so it should not wait
 * for the runner's own modules (the ACP and MCP SDKs, zod). Light on purpose: node built-ins only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export type KimiProcess = {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with a description once the CLI process has exited, for whatever reason. */
  exited: Promise<string>;
};

const STDERR_TAIL = 4000;

/** What a dying CLI said that matters: its error line if it printed one, else its last line. */
export function lastWords(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /^(\w*Error|error)\b[:\s]/.test(l));
  return (error ?? lines.at(-1) ?? '').slice(0, 300);
}

/** Runs `<kimiEntry> acp` with this Node; its stderr goes on to ours (the run log). */
export function spawnKimi(opts: { kimiEntry: string; cwd: string; env: Record<string, string>; nodeFlags?: string[] }): KimiProcess {
  const child = spawn(process.execPath, [...opts.nodeFlags ?? [], opts.kimiEntry, 'acp'], { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  child.stderr.on('data', (d: Buffer) => {
    process.stderr.write(d);
    stderrTail = (stderrTail + d.toString('utf8')).slice(-STDERR_TAIL);
  });
  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(`the Kimi CLI could not be started (${err.message})`));
    child.on('exit', (code, signal) => {
      const said = lastWords(stderrTail);
      resolve(`the Kimi CLI exited (${signal ? `signal ${signal}` : `code ${code}`})${said ? `: ${said}` : ''}`);
    });
  });
  return { child, exited };
}
