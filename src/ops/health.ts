/**
 * @module An optional HTTP endpoint on loopback for a monitor: `/health` says the process is alive,
 * `/ready` whether it can do its job (WhatsApp connected, Docker reachable, database writable).
 */
import http from 'node:http';

export type ReadinessProbe = { name: string; check: () => Promise<{ ok: boolean; detail: string }> };

export function startHealthServer(opts: { port: number; probes: ReadinessProbe[] }): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { error: 'GET only' });
    if (req.url === '/health') return reply(200, { status: 'ok' });
    if (req.url === '/ready') {
      void Promise.all(opts.probes.map(async (p) => ({ name: p.name, ...(await p.check().catch((e: unknown) => ({ ok: false, detail: String(e) }))) })))
        .then((results) => reply(results.every((r) => r.ok) ? 200 : 503, { ready: results.every((r) => r.ok), checks: results }));
      return;
    }
    reply(404, { error: 'try /health or /ready' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: the endpoint says what is wrong, which is nobody else's business.
    server.listen(opts.port, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : opts.port,
        stop: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
