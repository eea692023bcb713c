import { afterEach, expect, it } from 'vitest';
import { startHealthServer } from './health.ts';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => { await stop?.(); });

it('answers /health always, and /ready with 503 naming what is not ready', async () => {
  let whatsapp = false;
  const server = await startHealthServer({ port: 0, probes: [
    { name: 'whatsapp', check: async () => ({ ok: whatsapp, detail: whatsapp ? 'connected' : 'logged-out' }) },
    { name: 'db', check: async () => ({ ok: true, detail: 'writable' }) },
  ] });
  stop = server.stop;
  const get = async (p: string) => { const r = await fetch(`http://127.0.0.1:${server.port}${p}`); return { status: r.status, body: await r.json() }; };
  expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await get('/ready')).toEqual({ status: 503, body: { ready: false, checks: [
    { name: 'whatsapp', ok: false, detail: 'logged-out' }, { name: 'db', ok: true, detail: 'writable' }] } });
  whatsapp = true;
  expect((await get('/ready')).status).toBe(200);
  expect((await get('/nope')).status).toBe(404);
});
