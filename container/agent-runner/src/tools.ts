/**
 * @module NanoKimi's tools, as the handlers the MCP server serves. Each one writes an IPC file the
 * host validates and authorizes by directory, and answers the model with the host's verdict. The
 * parameters' schemas come from the protocol module the host uses too; main-only tools exist only
 * for main.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GROUP_MOUNT } from '@nanokimi/protocol/container';
import { GROUPS_SNAPSHOT, TASKS_SNAPSHOT, groupsSnapshotSchema, tasksSnapshotSchema, toolDefinitions,
  type ToolName } from '@nanokimi/protocol/ipc';
import { writeJsonAtomic } from '@nanokimi/protocol/atomic-write';
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


/**
 * A path the model gave, as the host wants it: relative to the group folder, or null if it is
 * outside. In the container the folder is GROUP_MOUNT; in tests the runner's workDir stands in.
 */
export function groupRelative(workDir: string, file: string): string | null {
  const base = [GROUP_MOUNT, workDir].find((b) => file === b || file.startsWith(`${b}/`));
  const rel = path.posix.normalize(base ? file.slice(base.length + 1) : file);
  return rel === '.' || rel.startsWith('../') || rel === '..' || rel.startsWith('/') ? null : rel;
}

export function createTools(opts: { ipcDir: string; isMain: boolean; workDir: string }): Tool[] {
  const asked = async (file: Parameters<typeof request>[1], done: string): Promise<ToolResult> => {
    const verdict = await request(opts.ipcDir, file);
    return verdict.ok ? { text: done } : { text: verdict.reason, isError: true };
  };

  const handlers: { [K in ToolName]: (p: Record<string, unknown>) => Promise<ToolResult> } = {
    async send_message(p) {
      await writeMessage(opts.ipcDir, p as { text: string; chatJid?: string });
      return { text: 'Sent.' };
    },
    async send_file(p) {
      const { file, caption, voice, chatJid } = p as { file: string; caption?: string; voice?: boolean; chatJid?: string };
      const rel = groupRelative(opts.workDir, file);
      if (!rel) return { text: `Refused: ${file} is not inside ${GROUP_MOUNT}; only files of the group folder can be sent.`, isError: true };
      const st = fs.statSync(path.join(opts.workDir, rel), { throwIfNoEntry: false });
      if (!st?.isFile()) return { text: `There is no file ${GROUP_MOUNT}/${rel}.`, isError: true };
      await writeJsonAtomic(path.join(opts.ipcDir, 'messages'), { type: 'file', file: rel,
        ...(caption ? { caption } : {}), ...(voice ? { voice } : {}), ...(chatJid ? { chatJid } : {}) });
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
