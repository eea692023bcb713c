/**
 * @module The agent's tools, given to the CLI as the SDK's external tools (called back over the wire,
 * no MCP, no approval step). Each writes an IPC file the host validates and authorizes; the
 * parameters' JSON Schemas come from the protocol module the host uses too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExternalTool } from '@moonshot-ai/kimi-agent-sdk';
import { GROUPS_SNAPSHOT, TASKS_SNAPSHOT, groupsSnapshotSchema, tasksSnapshotSchema, toolDefinitions, toolJsonSchema,
  type ToolName } from '../../../src/ipc/protocol.ts';
import { request, writeMessage } from './ipc-io.ts';
import { log } from './log.ts';

type ToolResult = { output: string; message: string };

function readSnapshot<T>(file: string, schema: { parse(v: unknown): T }): T | null {
  try { return schema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { return null; }
}

export function createTools(opts: { ipcDir: string; isMain: boolean }): ExternalTool[] {
  const asked = async (file: Parameters<typeof request>[1], done: string): Promise<ToolResult> => {
    const verdict = await request(opts.ipcDir, file);
    // Throwing makes the SDK return is_error, so the model sees the refusal and its reason.
    if (!verdict.ok) throw new Error(verdict.reason);
    return { output: done, message: done };
  };

  const handlers: { [K in ToolName]: (p: Record<string, unknown>) => Promise<ToolResult> } = {
    async send_message(p) {
      await writeMessage(opts.ipcDir, p as { text: string; chatJid?: string });
      return { output: 'Sent.', message: 'Message sent' };
    },
    schedule_task: (p) => asked({ type: 'schedule_task', ...p } as never, 'Scheduled. Use list_tasks to see its id and next run.'),
    pause_task: (p) => asked({ type: 'pause_task', ...p } as never, 'Paused.'),
    resume_task: (p) => asked({ type: 'resume_task', ...p } as never, 'Resumed.'),
    cancel_task: (p) => asked({ type: 'cancel_task', ...p } as never, 'Cancelled.'),
    register_group: (p) => asked({ type: 'register_group', ...p } as never, 'Registered. I will answer there when mentioned.'),
    async list_tasks() {
      const tasks = readSnapshot(path.join(opts.ipcDir, TASKS_SNAPSHOT), tasksSnapshotSchema) ?? [];
      const text = tasks.length === 0 ? 'No scheduled tasks.' : tasks.map((t) =>
        `${t.id} [${t.status}] ${t.schedule.kind} ${t.schedule.value} (${t.contextMode}) next: ${t.nextRunAt ?? '-'}` +
        `${opts.isMain ? ` group: ${t.groupFolder}` : ''}\n  ${t.prompt}`).join('\n');
      return { output: text, message: `${tasks.length} task(s)` };
    },
    async list_available_groups() {
      const groups = readSnapshot(path.join(opts.ipcDir, GROUPS_SNAPSHOT), groupsSnapshotSchema) ?? [];
      const text = groups.length === 0 ? 'No groups seen yet.' : groups.map((g) =>
        `${g.name} (${g.jid}) ${g.folder ? `registered as ${g.folder}` : 'not registered'}`).join('\n');
      return { output: text, message: `${groups.length} group(s)` };
    },
  };

  return (Object.keys(toolDefinitions) as ToolName[])
    .filter((name) => opts.isMain || !toolDefinitions[name].mainOnly)
    .map((name) => ({
      name,
      description: toolDefinitions[name].description,
      parameters: toolJsonSchema(name) as Record<string, unknown>,
      handler: async (raw: unknown) => {
        const params = toolDefinitions[name].parameters.parse(raw) as Record<string, unknown>;
        log('tool-call', { tool: name });
        return handlers[name](params);
      },
    }) as ExternalTool);
}
