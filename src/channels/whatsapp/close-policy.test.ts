import { describe, expect, it } from 'vitest';
import { backoffDelay, decideOnClose } from './close-policy.ts';

describe('decideOnClose', () => {
  it.each([
    [401, 'logged-out', /nanokimi login/],
    [440, 'replaced', /Another client took over/],
    [403, 'forbidden', /will not retry/],
  ])('stops on %i and says what to do', (code, status, message) => {
    const d = decideOnClose(code, 1);
    expect(d).toMatchObject({ action: 'stop', status });
    expect((d as { message: string }).message).toMatch(message);
  });

  it('reconnects at once after the 515 restart that follows pairing', () => {
    expect(decideOnClose(515, 3)).toEqual({ action: 'reconnect-now' });
  });

  it.each([405, 408, 428, 500, 503, undefined])('backs off on %s', (code) => {
    expect(decideOnClose(code, 1, 0.5)).toEqual({ action: 'backoff', delayMs: 1000 });
  });
});

describe('backoffDelay', () => {
  it('doubles from one second up to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });
  it('jitters within ±20% and never past a minute', () => {
    expect(backoffDelay(3, 0)).toBe(3200);
    expect(backoffDelay(3, 1)).toBe(4800);
    expect(backoffDelay(10, 1)).toBe(60000);
  });
});
