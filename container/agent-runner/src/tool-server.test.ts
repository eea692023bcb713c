import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startToolServer, type ToolServer } from './tool-server.ts';

let server: ToolServer | undefined;
let ipcDir: string;
afterEach(async () => { await server?.close(); server = undefined; fs.rmSync(ipcDir, { recursive: true, force: true }); });

async function start(isMain: boolean): Promise<ToolServer> {
  ipcDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tool-server-'));
  fs.mkdirSync(path.join(ipcDir, 'messages'));
  server = await startToolServer({ ipcDir, isMain, workDir: ipcDir });
  return server;
}

async function connect(s: ToolServer, headers: Record<string, string>): Promise<Client> {
  const c = new Client({ name: 'test', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(s.mcpServer.url), { requestInit: { headers } }));
  return c;
}
const auth = (s: ToolServer) => Object.fromEntries(s.mcpServer.headers.map((h) => [h.name, h.value]));

describe('the tool server the CLI connects to', () => {
  it('listens on loopback only and refuses a caller without the run token', async () => {
    const s = await start(false);
    expect(new URL(s.mcpServer.url).hostname).toBe('127.0.0.1');
    const res = await fetch(s.mcpServer.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    await expect(connect(s, { Authorization: 'Bearer guessed' })).rejects.toThrow();
  });

  it('serves the group tools, main-only ones only to main, and a call writes its IPC file', async () => {
    const group = await connect(await start(false), auth(server!));
    const names = (await group.listTools()).tools.map((t) => t.name);
    expect(names).toContain('send_message');
    expect(names).not.toContain('register_group');
    const result = await group.callTool({ name: 'send_message', arguments: { text: 'hello from a tool' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Sent.' }]);
    const files = fs.readdirSync(path.join(ipcDir, 'messages'));
    expect(files).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(path.join(ipcDir, 'messages', files[0]!), 'utf8'))).toMatchObject({ text: 'hello from a tool' });
    await group.close();
    await server!.close();

    const main = await connect(await start(true), auth(server!));
    expect((await main.listTools()).tools.map((t) => t.name)).toContain('register_group');
    await main.close();
  });

  it('refuses a call with bad parameters and says why', async () => {
    const c = await connect(await start(false), auth(server!));
    const result = await c.callTool({ name: 'send_message', arguments: { text: 42 } });
    expect(result.isError).toBe(true);
    expect(fs.readdirSync(path.join(ipcDir, 'messages'))).toEqual([]);
    await c.close();
  });
});
