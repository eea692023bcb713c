/**
 * @module Who may do what through IPC. Pure: the caller passes the source group (known from the
 * directory the file arrived in) and a snapshot of the facts; nothing here reads files or the clock.
 */
import type { FileMessageFile, MessageFile, TaskFile, TurnEndFile } from '@nanokimi/protocol/ipc';
import { localJid, type Group } from '../domain.ts';

export type IpcRequest = { kind: 'message'; file: MessageFile | FileMessageFile } | { kind: 'turn-end'; file: TurnEndFile } | { kind: 'task'; file: TaskFile };

export type Rejection =
  | { kind: 'forbidden'; what: string }
  | { kind: 'unknown-chat'; jid: string }
  | { kind: 'unknown-group'; folder: string }
  | { kind: 'unknown-task'; taskId: string }
  | { kind: 'conflict'; what: string };

export type Action =
  /** `file`: relative to the source group's folder, still to be read and checked. */
  | { kind: 'send'; chatJid: string; text: string; answersThrough?: number; file?: { path: string; voice: boolean } }
  /** Concerns only the source group's own run, so every group may say it. */
  | { kind: 'turn-end'; answersThrough?: number }
  | { kind: 'schedule'; groupFolder: string; chatJid: string; file: Extract<TaskFile, { type: 'schedule_task' }> }
  | { kind: 'set-task-status'; taskId: string; status: 'active' | 'paused' | 'cancelled' }
  | { kind: 'register'; file: Extract<TaskFile, { type: 'register_group' }> };

export type Decision = { ok: true; action: Action } | { ok: false; why: Rejection };

export type AuthFacts = {
  groups: readonly Group[];
  taskOwner: (taskId: string) => string | undefined;
  /** Where a reply without an explicit chat goes: the chat the agent is answering. */
  defaultChat: string;
};

/** The chats a group speaks in: its channel chat and its local (terminal) chat. */
const chatsOf = (g: Group) => [g.jid, localJid(g.folder)];

const deny = (why: Rejection): Decision => ({ ok: false, why });

export function authorize(source: Group, req: IpcRequest, facts: AuthFacts): Decision {
  if (req.kind === 'turn-end') return { ok: true, action: { kind: 'turn-end', answersThrough: req.file.answersThrough } };
  if (req.kind === 'message') {
    const target = req.file.chatJid ?? facts.defaultChat;
    // Most replies go to the group's own chat: that needs no look through the others.
    const owner = chatsOf(source).includes(target) ? source : facts.groups.find((g) => chatsOf(g).includes(target));
    // Never start a conversation with a chat we do not serve: unknown jids are refused for everyone.
    if (!owner) return deny({ kind: 'unknown-chat', jid: target });
    if (owner.folder !== source.folder && !source.isMain) {
      return deny({ kind: 'forbidden', what: `group "${source.folder}" may only message its own chat` });
    }
    const m = req.file;
    return { ok: true, action: m.type === 'file'
      ? { kind: 'send', chatJid: target, text: m.caption ?? '', file: { path: m.file, voice: m.voice === true } }
      : { kind: 'send', chatJid: target, text: m.text, answersThrough: m.answersThrough } };
  }

  const file = req.file;
  switch (file.type) {
    case 'schedule_task': {
      const folder = file.targetFolder ?? source.folder;
      if (folder !== source.folder && !source.isMain) {
        return deny({ kind: 'forbidden', what: `group "${source.folder}" may only schedule tasks for itself` });
      }
      const target = facts.groups.find((g) => g.folder === folder);
      if (!target) return deny({ kind: 'unknown-group', folder });
      const chatJid = folder === source.folder ? facts.defaultChat : target.jid;
      return { ok: true, action: { kind: 'schedule', groupFolder: folder, chatJid, file } };
    }
    case 'pause_task':
    case 'resume_task':
    case 'cancel_task': {
      const owner = facts.taskOwner(file.taskId);
      if (owner === undefined) return deny({ kind: 'unknown-task', taskId: file.taskId });
      if (owner !== source.folder && !source.isMain) {
        return deny({ kind: 'forbidden', what: `group "${source.folder}" may only manage its own tasks` });
      }
      const status = file.type === 'pause_task' ? 'paused' : file.type === 'resume_task' ? 'active' : 'cancelled';
      return { ok: true, action: { kind: 'set-task-status', taskId: file.taskId, status } };
    }
    case 'register_group': {
      if (!source.isMain) return deny({ kind: 'forbidden', what: 'only the main group may register groups' });
      if (facts.groups.some((g) => g.folder === file.folder)) {
        return deny({ kind: 'conflict', what: `the folder "${file.folder}" is already used by a group` });
      }
      if (facts.groups.some((g) => g.jid === file.jid)) {
        return deny({ kind: 'conflict', what: `the chat ${file.jid} is already registered` });
      }
      return { ok: true, action: { kind: 'register', file } };
    }
  }
}

/** One sentence for a person: what was refused and what to do about it. */
export function explain(why: Rejection): string {
  switch (why.kind) {
    case 'forbidden': return `Refused: ${why.what}.`;
    case 'unknown-chat': return `Refused: ${why.jid} is not the chat of any registered group; register the group first.`;
    case 'unknown-group': return `Refused: no registered group has the folder "${why.folder}".`;
    case 'unknown-task': return `Refused: there is no task with id "${why.taskId}"; list the tasks to see their ids.`;
    case 'conflict': return `Refused: ${why.what}.`;
  }
}
