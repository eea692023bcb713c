/** @module `nanokimi service-failed`: what nanokimi-failed.service runs when systemd gave up on the daemon. */
import { failureFromEnv, journalLine, recordServiceFailure } from '../ops/service-failure.ts';
import { dataPaths } from '../data-paths.ts';
import { cliConfig } from './config.ts';
import { projectRoot } from './env.ts';

export function serviceFailed(): void {
  let dataDir: string;
  let name: string;
  try {
    const cfg = cliConfig();
    dataDir = cfg.dataDir;
    name = cfg.assistantName;
  } catch {
    // A broken .env may be why the service failed: the line and the note still matter most.
    dataDir = dataPaths(process.env.DATA_DIR, projectRoot).dataDir;
    name = process.env.ASSISTANT_NAME || 'the assistant';
  }
  const failure = failureFromEnv(process.env, Date.now());
  console.log(journalLine(failure, name));
  recordServiceFailure(dataDir, failure);
}
