/**
 * @module The Kimi Code CLI as an ACP server (`kimi acp`), driven through the ecosystem's client,
 * `@agentclientprotocol/sdk`. One CLI process per container; it holds the group's one session.
 * Streams what the model says to the caller, answers permission requests with the written policy,
 * logs every tool call, and tells the caller when the CLI process is gone.
 */
import { Readable, Writable } from 'node:stream';
import { client, ndJsonStream, type ClientConnection, type ContentBlock, type McpServer, type SessionUpdate } from '@agentclientprotocol/sdk';
import { SESSION_READY_EVENT } from '@nanokimi/protocol/container';
import type { KimiProcess } from './cli-process.ts';
import { log } from './log.ts';
import { decidePermission } from './permission-policy.ts';

export type TurnSink = { onText(text: string): void };

export type KimiAcp = {
  /** Resumes `cliSessionId` when given and still on disk, else creates a session; returns its id. */
  openSession(cliSessionId: string | undefined, mcpServers: McpServer[], model: string): Promise<{ id: string; resumed: boolean }>;
  prompt(sessionId: string, blocks: ContentBlock[], sink: TurnSink): Promise<string>;
  cancel(sessionId: string): Promise<void>;
  /** Resolves with a description once the CLI process has exited, for whatever reason. */
  exited: Promise<string>;
  close(): Promise<void>;
};

/** Speaks ACP with a started CLI (see cli-process.ts); `cwd` is the session's working directory. */
export function connectKimiAcp(cli: KimiProcess, cwd: string): KimiAcp {
  const { child, exited } = cli;
  const sinks = new Map<string, TurnSink>();
  const onUpdate = (sessionId: string, u: SessionUpdate) => {
    switch (u.sessionUpdate) {
      case 'agent_message_chunk':
        if (u.content.type === 'text') sinks.get(sessionId)?.onText(u.content.text);
        break;
      case 'tool_call':
        log('tool-call', { id: u.toolCallId, title: u.title, kind: u.kind, status: u.status });
        break;
      case 'tool_call_update':
        if (u.status === 'completed' || u.status === 'failed') log('tool-call-end', { id: u.toolCallId, status: u.status });
        break;
      default:
        break;
    }
  };

  const app = client({ name: 'nanokimi-agent-runner' })
    .onNotification('session/update', (ctx) => { onUpdate(ctx.params.sessionId, ctx.params.update); })
    .onRequest('session/request_permission', (ctx) => {
      const decision = decidePermission(ctx.params.options);
      log('permission', { tool: ctx.params.toolCall.title, kind: ctx.params.toolCall.kind, decision });
      return { outcome: decision };
    });
  const connection: ClientConnection = app.connect(ndJsonStream(
    Writable.toWeb(child.stdin) as WritableStream<Uint8Array>, Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>));
  const agent = connection.agent;
  const initialized = agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} })
    .then((r) => { log('cli-ready', { cli: r.agentInfo?.version }); return r; });
  // Closed before anyone awaited it (a config error found while the CLI started): not a crash.
  initialized.catch(() => undefined);

  return {
    exited,
    async openSession(cliSessionId, mcpServers, model) {
      await initialized;
      let id = cliSessionId;
      let resumed = false;
      let configOptions: unknown[] | null | undefined;
      if (id) {
        // resume, not load: load replays the whole history to us, which we would only discard.
        try {
          configOptions = (await agent.request('session/resume', { sessionId: id, cwd, mcpServers })).configOptions;
          resumed = true;
        } catch (err) {
          log('session-resume-failed', { session: id, error: String((err as Error).message ?? err) });
          id = undefined;
        }
      }
      if (!id) {
        const created = await agent.request('session/new', { cwd, mcpServers });
        id = created.sessionId;
        configOptions = created.configOptions;
      }
      log(SESSION_READY_EVENT, { session: id, resumed });
      const current = (configOptions as { id: string; currentValue?: unknown }[] | undefined)?.find((o) => o.id === 'model')?.currentValue;
      if (current !== model) await agent.request('session/set_config_option', { sessionId: id, configId: 'model', value: model });
      return { id, resumed };
    },
    async prompt(sessionId, blocks, sink) {
      sinks.set(sessionId, sink);
      try {
        const response = await agent.request('session/prompt', { sessionId, prompt: blocks });
        return response.stopReason;
      } finally {
        sinks.delete(sessionId);
      }
    },
    async cancel(sessionId) {
      await agent.notify('session/cancel', { sessionId }).catch(() => undefined);
    },
    async close() {
      connection.close();
      child.stdin.end();
      const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!gone) child.kill('SIGKILL');
    },
  };
}
