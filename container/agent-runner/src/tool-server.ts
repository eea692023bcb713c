/**
 * @module NanoKimi's tools as an MCP server over streamable HTTP, served by the agent-runner itself
 * on the container's loopback. The CLI connects to it for the session (named in `session/new`), so
 * the model calls our tools as `mcp__nanokimi__<tool>`. In-process rather than a program the CLI
 * starts: that program cost every cold run a Node start and an SDK import (about 0.4 s on one CPU).
 * Each run gets a random bearer token, so nothing else that shares the container's network (a
 * `container:<name>` network) can call the tools.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { log } from './log.ts';
import { createTools, MCP_SERVER_NAME, type Tool } from './tools.ts';

export type ToolServer = {
  /** The entry for ACP's `mcpServers`. */
  mcpServer: { type: 'http'; name: string; url: string; headers: { name: string; value: string }[] };
  close(): Promise<void>;
};

function mcpServerFor(tools: Tool[]): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '1.0.0' });
  for (const tool of tools) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.parameters }, async (params: unknown) => {
      log('mcp-tool-call', { tool: tool.name });
      const result = await tool.handler(params as Record<string, unknown>).catch((err: unknown) => ({ text: String(err), isError: true }));
      if (result.isError) log('mcp-tool-refused', { tool: tool.name, reason: result.text });
      return { content: [{ type: 'text' as const, text: result.text }], ...(result.isError ? { isError: true } : {}) };
    });
  }
  return server;
}

export async function startToolServer(opts: { ipcDir: string; isMain: boolean; workDir: string }): Promise<ToolServer> {
  const tools = createTools(opts);
  const token = randomBytes(32).toString('hex');
  // One MCP session per client initialize: the CLI may reconnect, and a transport serves one session.
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  // A failure inside the SDK must not take the runner down with an unhandled rejection.
  const failed = (res: http.ServerResponse) => (err: unknown) => {
    log('mcp-request-failed', { error: String((err as Error).message ?? err) });
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end();
  };
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) { known.handleRequest(req, res).catch(failed(res)); return; }
    if (req.method !== 'POST' || id !== undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such MCP session\n');
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => { sessions.set(sid, transport); },
    });
    transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
    mcpServerFor(tools).connect(transport).then(() => transport.handleRequest(req, res)).catch(failed(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    mcpServer: { type: 'http', name: MCP_SERVER_NAME, url: `http://127.0.0.1:${port}/mcp`,
      headers: [{ name: 'Authorization', value: `Bearer ${token}` }] },
    async close() {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
