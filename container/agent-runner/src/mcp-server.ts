/**
 * @module NanoKimi's tools as an MCP server over stdio. The Kimi CLI starts this program for the
 * session (the agent-runner names it in `session/new`), so the model calls our tools as
 * `mcp__nanokimi__<tool>`. Its settings come from the environment the runner gave it.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { log } from './log.ts';
import { createTools, MCP_SERVER_NAME } from './tools.ts';

const ipcDir = process.env.NANOKIMI_IPC_DIR;
if (!ipcDir) {
  process.stderr.write('nanokimi mcp-server: NANOKIMI_IPC_DIR is not set; the agent-runner starts this program, not a person\n');
  process.exit(2);
}
const server = new McpServer({ name: MCP_SERVER_NAME, version: '1.0.0' });
for (const tool of createTools({ ipcDir, isMain: process.env.NANOKIMI_IS_MAIN === '1' })) {
  server.registerTool(tool.name, { description: tool.description, inputSchema: tool.parameters }, async (params: unknown) => {
    log('mcp-tool-call', { tool: tool.name });
    const result = await tool.handler(params as Record<string, unknown>).catch((err: unknown) => ({ text: String(err), isError: true }));
    if (result.isError) log('mcp-tool-refused', { tool: tool.name, reason: result.text });
    return { content: [{ type: 'text' as const, text: result.text }], ...(result.isError ? { isError: true } : {}) };
  });
}
await server.connect(new StdioServerTransport());
