import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { censorNested, loggerOptions } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { log: pino(loggerOptions('info'), sink), lines, text: () => JSON.stringify(lines) };
}

it('never writes token-like fields, at the top level or one level down, nor in a child logger\'s bindings', () => {
  const { log, lines, text } = capture();
  log.info({ token: 'T1', creds: { access_token: 'A1', refresh_token: 'R1' }, cfg: { api_key: 'K1' }, group: 'main' }, 'hello');
  log.child({ authorization: 'Bearer B1' }).warn({ res: { password: 'P1' } }, 'child');
  for (const secret of ['T1', 'A1', 'R1', 'K1', 'B1', 'P1']) expect(text()).not.toContain(secret);
  expect(lines[0]).toMatchObject({ token: '[redacted]', creds: { access_token: '[redacted]', refresh_token: '[redacted]' },
    cfg: { api_key: '[redacted]' }, group: 'main', msg: 'hello' });
  expect(lines[1]).toMatchObject({ authorization: '[redacted]', res: { password: '[redacted]' }, msg: 'child' });
});

it('censors an error\'s secret field and keeps it an error: its type, message and stack still print', () => {
  const { log, lines } = capture();
  const err = Object.assign(new TypeError('refresh refused'), { token: 'T2' });
  log.error({ err }, 'refresh failed');
  expect(lines[0]!.err).toMatchObject({ type: 'TypeError', message: 'refresh refused', token: '[redacted]' });
  expect(String((lines[0]!.err as { stack: string }).stack)).toContain('refresh refused');
  expect(err.token).toBe('T2'); // the caller's object is not changed
});

it('leaves a line without secrets as it is, the same object (nothing copied for the usual line)', () => {
  const line = { group: 'main', file: 'a.json', nested: { count: 2 }, list: [{ token: 'in an array: not a field of the line' }] };
  expect(censorNested(line)).toBe(line);
});
