/**
 * @module The IPC protocol between a group's agent and the host: the one source of every file
 * schema. The host and the agent-runner both import it, so both sides validate the same shapes.
 *
 * Layout, per group, under `data/ipc/<folder>/`:
 *   messages/  agent -> host: replies to send          (MessageFile; TurnEndFile when a turn ends silently)
 *   tasks/     agent -> host: task and group requests  (TaskFile)
 *   input/     host -> agent: follow-up messages      (InputFile) and the close sentinel
 *   errors/    files the host refused, each with a `.reason` beside it
 * The group a file speaks for is the directory it is in, never a field inside it.
 */
import { z } from 'zod';

/** Files larger than this are refused unread: a reply is text, not a payload. */
export const MAX_IPC_FILE_BYTES = 256 * 1024;
export const MAX_TEXT_CHARS = 64_000;

/** Written by the host into `input/` to ask the agent to finish and exit. */
export const CLOSE_SENTINEL = '_close';

export const ipcDirNames = ['messages', 'tasks', 'input', 'errors'] as const;

const folderName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

export const messageFileSchema = z.strictObject({
  type: z.literal('message'),
  text: z.string().min(1).max(MAX_TEXT_CHARS),
  /** Defaults to the chat the agent is answering. */
  chatJid: z.string().min(1).max(200).optional(),
  /**
   * Set on the reply that completes the answer to the messages up to this seq (the `toSeq` of the
   * input, or `throughSeq` of the first prompt). Progress messages leave it out. The host records
   * those messages as answered in the same transaction that stores this reply.
   */
  answersThrough: z.number().int().nonnegative().optional(),
});

/**
 * Agent -> host, in `messages/`: a file from the group's folder to send to the chat (a photo, a
 * document, audio; `voice`: an audio sent as a voice note). `file` is relative to the group's
 * folder; the host reads it only from inside that folder, at once, so later changes do not matter.
 */
export const fileMessageSchema = z.strictObject({
  type: z.literal('file'),
  file: z.string().min(1).max(300).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'a path inside the group folder, relative to it'),
  caption: z.string().max(1024).optional(),
  voice: z.boolean().optional(),
  chatJid: z.string().min(1).max(200).optional(),
});

/**
 * Agent -> host, in `messages/`: a turn ended without a reply for the chat (its answer was only
 * `<internal>` text, or it spoke only through send_message). The host marks the messages answered
 * through `answersThrough` (absent for a scheduled task) and starts the idle wait.
 */
export const turnEndFileSchema = z.strictObject({
  type: z.literal('turn_end'),
  answersThrough: z.number().int().nonnegative().optional(),
});

/** Everything the agent may write into `messages/`. */
export const messagesDirFileSchema = z.discriminatedUnion('type', [messageFileSchema, fileMessageSchema, turnEndFileSchema]);

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cron'), value: z.string().min(1).max(200) }),
  /** Milliseconds between runs, at least a minute. */
  z.strictObject({ kind: z.literal('interval'), value: z.coerce.number().int().min(60_000) }),
  /** An ISO 8601 time; without an offset it is read in the daemon's time zone. */
  z.strictObject({ kind: z.literal('once'), value: z.string().min(1).max(40) }),
]);

const scheduleTaskFile = z.strictObject({
  type: z.literal('schedule_task'),
  prompt: z.string().min(1).max(MAX_TEXT_CHARS),
  schedule: scheduleSchema,
  contextMode: z.enum(['group', 'isolated']).default('group'),
  /** Main only: schedule for another registered group. */
  targetFolder: folderName.optional(),
});
const taskIdFile = <T extends string>(type: T) => z.strictObject({ type: z.literal(type), taskId: z.string().min(1).max(100) });
const pauseTaskFile = taskIdFile('pause_task');
const resumeTaskFile = taskIdFile('resume_task');
const cancelTaskFile = taskIdFile('cancel_task');
const registerGroupFile = z.strictObject({
  type: z.literal('register_group'),
  jid: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  folder: folderName,
  requiresTrigger: z.boolean().default(true),
});

export const taskFileSchema = z.discriminatedUnion('type',
  [scheduleTaskFile, pauseTaskFile, resumeTaskFile, cancelTaskFile, registerGroupFile]);

/** Photos handed to the model per prompt (the newest), and the largest one handed over. */
export const MAX_PROMPT_IMAGES = 4;
export const MAX_PROMPT_IMAGE_BYTES = 5 * 1024 * 1024;

/**
 * A photo the agent-runner hands the model as an image: a file in the group's folder (relative to
 * it; the runner reads it only from inside that folder) that came with one of the messages.
 */
export const promptImageSchema = z.strictObject({
  file: z.string().min(1).max(300),
  mimeType: z.string().regex(/^image\/[a-z0-9.+-]{1,40}$/),
});

/**
 * Host -> agent: what to act on, the first prompt of a run and every follow-up alike. `toSeq` is
 * the newest message seq inside, which the answering reply returns as `answersThrough`.
 */
export const inputFileSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('messages'), text: z.string(), fromSeq: z.number().int(), toSeq: z.number().int(),
    images: z.array(promptImageSchema).max(MAX_PROMPT_IMAGES).optional() }),
  z.strictObject({ type: z.literal('task'), text: z.string(), taskId: z.string() }),
]);

export type MessageFile = z.infer<typeof messageFileSchema>;
export type TurnEndFile = z.infer<typeof turnEndFileSchema>;
export type FileMessageFile = z.infer<typeof fileMessageSchema>;
export type TaskFile = z.infer<typeof taskFileSchema>;
export type InputFile = z.infer<typeof inputFileSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;

/** Host -> agent snapshots in the IPC root, rewritten whenever they change, for the list tools. */
export const TASKS_SNAPSHOT = 'tasks.json';
export const GROUPS_SNAPSHOT = 'groups.json';
export const tasksSnapshotSchema = z.array(z.object({
  id: z.string(), groupFolder: z.string(), prompt: z.string(), schedule: scheduleSchema,
  contextMode: z.enum(['group', 'isolated']), status: z.string(), nextRunAt: z.string().nullable(),
}));
export const groupsSnapshotSchema = z.array(z.object({
  jid: z.string(), name: z.string(), folder: z.string().nullable(),
}));

/** The agent's tools, and the IPC file each one writes. Their JSON schemas are derived from these. */
export const toolDefinitions = {
  send_message: {
    description: 'Send a message to the chat right now, before your turn ends (progress, or an answer in parts). ' +
      'Your final reply is sent automatically; use this for anything that should arrive earlier.',
    parameters: messageFileSchema.omit({ type: true, answersThrough: true }),
    mainOnly: false,
  },
  send_file: {
    description: 'Send a file from the group folder to the chat: a photo or video (shown in the chat), a document, or ' +
      'audio (voice: true sends it as a voice note). file: its path, /workspace/group/... or relative to that folder. ' +
      'caption: text shown with it.',
    parameters: fileMessageSchema.omit({ type: true }).extend({ file: z.string().min(1).max(300) }),
    mainOnly: false,
  },
  schedule_task: {
    description: 'Schedule a prompt to run later: cron ("0 9 * * 1-5"), interval (milliseconds, at least 60000) or once ' +
      '(ISO time, local time zone unless an offset is given). contextMode "group" continues this conversation; "isolated" starts fresh.',
    parameters: scheduleTaskFile.omit({ type: true }),
    mainOnly: false,
  },
  list_tasks: { description: 'List the scheduled tasks you can manage, with their ids and next run times.', parameters: z.strictObject({}), mainOnly: false },
  pause_task: { description: 'Pause a scheduled task by id.', parameters: pauseTaskFile.omit({ type: true }), mainOnly: false },
  resume_task: { description: 'Resume a paused task by id.', parameters: resumeTaskFile.omit({ type: true }), mainOnly: false },
  cancel_task: { description: 'Cancel a scheduled task by id, for good.', parameters: cancelTaskFile.omit({ type: true }), mainOnly: false },
  register_group: {
    description: 'Register a WhatsApp group so you answer there. folder: lowercase letters, digits and dashes. ' +
      'Use list_available_groups to find the jid.',
    parameters: registerGroupFile.omit({ type: true }),
    mainOnly: true,
  },
  list_available_groups: {
    description: 'List the WhatsApp groups this account is in, and which are registered.',
    parameters: z.strictObject({}), mainOnly: true,
  },
} as const;
export type ToolName = keyof typeof toolDefinitions;

/** The JSON Schema of a tool's parameters, as the Kimi CLI receives it. */
export const toolJsonSchema = (name: ToolName) => z.toJSONSchema(toolDefinitions[name].parameters, { io: 'input' });
