/**
 * @module The agent-runner: the program each group's container runs. It starts the Kimi Code CLI's
 * ACP server first, with node built-ins only, and loads the rest of the runner (agent.ts) while the
 * CLI starts: on a cold run the two overlap instead of following each other.
 */
import { spawnKimi } from './cli-process.ts';
import { cliNodeFlags, cpuQuota } from './cpu-quota.ts';
import { log } from './log.ts';
import { workspacePaths } from './workspace-paths.ts';

log('runner-boot');
const p = workspacePaths(process.env);
const cli = spawnKimi({
  kimiEntry: p.kimiEntry, cwd: p.workDir, nodeFlags: cliNodeFlags(cpuQuota()),
  env: { ...process.env as Record<string, string>, KIMI_CODE_HOME: p.kimiHome, KIMI_DISABLE_TELEMETRY: '1', KIMI_CODE_NO_AUTO_UPDATE: '1' },
});
log('cli-spawned', { pid: cli.child.pid });
try {
  const { runAgent } = await import('./agent.ts');
  await runAgent(cli);
} catch (err) {
  // Bad settings (or a runner bug): the CLI must not outlive us.
  cli.child.kill('SIGTERM');
  throw err;
}
