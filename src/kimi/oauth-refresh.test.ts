import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KIMI_CODE_CLIENT_ID, refreshKimiToken } from './oauth-refresh.ts';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A token endpoint on loopback answering `status` and `body`; records what it got. */
async function endpoint(status: number, body: unknown) {
  const got: { headers: http.IncomingHttpHeaders; form: URLSearchParams }[] = [];
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => { got.push({ headers: req.headers, form: new URLSearchParams(raw) }); res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const ask = (oauthHost: string) => refreshKimiToken({ oauthHost, refreshToken: 'rt-old', cliVersion: '2.1.0', deviceId: 'dev-1' });

describe('refreshing the Kimi token from the host', () => {
  it('sends what the CLI sends and returns the rotated pair', async () => {
    const { host, got } = await endpoint(200, { access_token: 'at-new', refresh_token: 'rt-new', expires_in: 900, token_type: 'Bearer' });
    expect(await ask(host)).toEqual({ ok: true, token: { access_token: 'at-new', refresh_token: 'rt-new', expires_in: 900, token_type: 'Bearer' } });
    expect(Object.fromEntries(got[0]!.form)).toEqual({ client_id: KIMI_CODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: 'rt-old' });
    expect(got[0]!.headers).toMatchObject({ 'user-agent': 'kimi-code-cli/2.1.0', 'x-msh-platform': 'kimi_code_cli', 'x-msh-version': '2.1.0', 'x-msh-device-id': 'dev-1' });
  });

  it('calls a refused refresh unauthorized, without echoing the body', async () => {
    const { host } = await endpoint(400, { error: 'invalid_grant', error_description: 'token rt-old was used' });
    const r = await ask(host);
    expect(r).toEqual({ ok: false, kind: 'unauthorized', detail: 'the Kimi login service refused the refresh (HTTP 400, invalid_grant)' });
  });

  it('calls a server error or an unreachable host unavailable, to be tried again', async () => {
    const { host } = await endpoint(503, {});
    expect(await ask(host)).toMatchObject({ ok: false, kind: 'unavailable', detail: 'the Kimi login service answered HTTP 503' });
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await ask(`http://127.0.0.1:${port}`)).toMatchObject({ ok: false, kind: 'unavailable', detail: expect.stringContaining('could not be reached (ECONNREFUSED)') });
  });
});
