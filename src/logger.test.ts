import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { redactedPaths } from './logger.ts';

it('never writes token-like fields, at the top level or one level down', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, cb) { out += chunk; cb(); } });
  const log = pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink);
  log.info({ token: 'T1', creds: { access_token: 'A1', refresh_token: 'R1' }, cfg: { api_key: 'K1' } }, 'hello');
  expect(out).toContain('[redacted]');
  for (const secret of ['T1', 'A1', 'R1', 'K1']) expect(out).not.toContain(secret);
});
