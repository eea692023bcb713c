/**
 * @module NanoKimi's tools, as the handlers the MCP server serves. Each one writes an IPC file the
 * host validates and authorizes by directory, and answers the model with the host's verdict. The
 * parameters' schemas come from the protocol module the host uses too; main-only tools exist only
 * for main.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GROUPS_SNAPSHOT, TASKS_SNAPSHOT, groupsSnapshotSchema, tasksSnapshotSchema, toolDefinitions,
  type ToolName } from '../../../src/ipc/protocol.ts';
import { request, writeMessage } from './ipc-io.ts';

/** The MCP server's name: the model sees our tools as `mcp__nanokimi__<tool>`. */
export const MCP_SERVER_NAME = 'nanokimi';

/** What the model reads back: text, and whether the call failed (a refusal, with the host's reason). */
export type ToolResult = { text: string; isError?: boolean };
export type Tool = { name: ToolName; description: string; parameters: (typeof toolDefinitions)[ToolName]['parameters'];
  handler(params: Record<string, unknown>): Promise<ToolResult> };

function readSnapshot<T>(file: string, schema: { parse(v: unknown): T }): T | null {
  try { return schema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { return null; }
}

export function createTools(opts: { ipcDir: string; isMain: boolean }): Tool[] {
  const asked = async (file: Parameters<typeof request>[1], done: string): Promise<ToolResult> => {
    const verdict = await request(opts.ipcDir, file);
    return verdict.ok ? { text: done } : { text: verdict.reason, isError: true };
  };

  const handlers: { [K in ToolName]: (p: Record<string, unknown>) => Promise<ToolResult> } = {
    async send_message(p) {
      await writeMessage(opts.ipcDir, p as { text: string; chatJid?: string });
      return { text: 'Sent.' };
    },
    schedule_task: (p) => asked({ type: 'schedule_task', ...p } as never, 'Scheduled. Use list_tasks to see its id and next run.'),
    pause_task: (p) => asked({ type: 'pause_task', ...p } as never, 'Paused.'),
    resume_task: (p) => asked({ type: 'resume_task', ...p } as never, 'Resumed.'),
    cancel_task: (p) => asked({ type: 'cancel_task', ...p } as never, 'Cancelled.'),
    register_group: (p) => asked({ type: 'register_group', ...p } as never, 'Registered. I will answer there when mentioned.'),
    async list_tasks() {
      const tasks = readSnapshot(path.join(opts.ipcDir, TASKS_SNAPSHOT), tasksSnapshotSchema) ?? [];
      return { text: tasks.length === 0 ? 'No scheduled tasks.' : tasks.map((t) =>
        `${t.id} [${t.status}] ${t.schedule.kind} ${t.schedule.value} (${t.contextMode}) next: ${t.nextRunAt ?? '-'}` +
        `${opts.isMain ? ` group: ${t.groupFolder}` : ''}\n  ${t.prompt}`).join('\n') };
    },
    async list_available_groups() {
      const groups = readSnapshot(path.join(opts.ipcDir, GROUPS_SNAPSHOT), groupsSnapshotSchema) ?? [];
      return { text: groups.length === 0 ? 'No groups seen yet.' : groups.map((g) =>
        `${g.name} (${g.jid}) ${g.folder ? `registered as ${g.folder}` : 'not registered'}`).join('\n') };
    },
  };

  return (Object.keys(toolDefinitions) as ToolName[])
    .filter((name) => opts.isMain || !toolDefinitions[name].mainOnly)
    .map((name) => ({
      name,
      description: toolDefinitions[name].description,
      parameters: toolDefinitions[name].parameters,
      handler: (raw) => handlers[name](toolDefinitions[name].parameters.parse(raw) as Record<string, unknown>),
    }));
}
