/** @module `nanokimi service-failed`: what nanokimi-failed.service runs when systemd gave up on the daemon. */
import path from 'node:path';
import { failureFromEnv, journalLine, recordServiceFailure } from '../ops/service-failure.ts';
import { cliConfig, projectRoot } from './config.ts';

export function serviceFailed(): void {
  let dataDir: string;
  let name: string;
  try {
    const cfg = cliConfig();
    dataDir = cfg.dataDir;
    name = cfg.assistantName;
  } catch {
    // A broken .env may be why the service failed: the line and the note still matter most.
    dataDir = path.resolve(projectRoot, process.env.DATA_DIR || 'data');
    name = process.env.ASSISTANT_NAME || 'the assistant';
  }
  const failure = failureFromEnv(process.env, Date.now());
  console.log(journalLine(failure, name));
  recordServiceFailure(dataDir, failure);
}
