/**
 * @module The IPC protocol between a group's agent and the host: the one source of every file
 * schema. The agent-runner imports this module too, so both sides validate the same shapes.
 *
 * Layout, per group, under `data/ipc/<folder>/`:
 *   messages/  agent -> host: replies to send          (MessageFile)
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

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('cron'), value: z.string().min(1).max(200) }),
  /** Milliseconds between runs, at least a minute. */
  z.strictObject({ kind: z.literal('interval'), value: z.coerce.number().int().min(60_000) }),
  /** An ISO 8601 time; without an offset it is read in the daemon's time zone. */
  z.strictObject({ kind: z.literal('once'), value: z.string().min(1).max(40) }),
]);

export const taskFileSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('schedule_task'),
    prompt: z.string().min(1).max(MAX_TEXT_CHARS),
    schedule: scheduleSchema,
    contextMode: z.enum(['group', 'isolated']).default('group'),
    /** Main only: schedule for another registered group. */
    targetFolder: folderName.optional(),
  }),
  z.strictObject({ type: z.literal('pause_task'), taskId: z.string().min(1).max(100) }),
  z.strictObject({ type: z.literal('resume_task'), taskId: z.string().min(1).max(100) }),
  z.strictObject({ type: z.literal('cancel_task'), taskId: z.string().min(1).max(100) }),
  z.strictObject({
    type: z.literal('register_group'),
    jid: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    folder: folderName,
    requiresTrigger: z.boolean().default(true),
  }),
]);

/**
 * Host -> agent: what to act on, the first prompt of a run and every follow-up alike. `toSeq` is
 * the newest message seq inside, which the answering reply returns as `answersThrough`.
 */
export const inputFileSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('messages'), text: z.string(), fromSeq: z.number().int(), toSeq: z.number().int() }),
  z.strictObject({ type: z.literal('task'), text: z.string(), taskId: z.string() }),
]);

export type MessageFile = z.infer<typeof messageFileSchema>;
export type TaskFile = z.infer<typeof taskFileSchema>;
export type InputFile = z.infer<typeof inputFileSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;
