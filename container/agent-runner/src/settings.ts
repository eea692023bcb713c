/** @module The runner's settings, from the environment the host gave the container. */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const schema = z.object({
  ASSISTANT_NAME: z.string().min(1).default('Kai'),
  NANOKIMI_GROUP: z.string().min(1),
  NANOKIMI_IS_MAIN: z.enum(['0', '1']).default('0'),
  NANOKIMI_CHAT_JID: z.string().min(1),
  NANOKIMI_SESSION_ID: z.string().min(1),
  KIMI_MODEL: z.string().min(1).default('kimi-code'),
  // Only tests set these: in the container the defaults are the mount points.
  NANOKIMI_WORKSPACE: z.string().default('/workspace'),
  KIMI_SHARE_DIR: z.string().optional(),
  NANOKIMI_KIMI_WRAPPER: z.string().optional(),
  NANOKIMI_TURN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
});

export type Settings = Readonly<{
  assistantName: string; group: string; isMain: boolean; chatJid: string; sessionId: string; model: string;
  workDir: string; globalDir: string; ipcDir: string; shareDir: string; executable: string; turnTimeoutMs: number;
}>;

export function readSettings(env: Record<string, string | undefined>): Settings {
  const e = schema.parse(env);
  return Object.freeze({
    assistantName: e.ASSISTANT_NAME, group: e.NANOKIMI_GROUP, isMain: e.NANOKIMI_IS_MAIN === '1',
    chatJid: e.NANOKIMI_CHAT_JID, sessionId: e.NANOKIMI_SESSION_ID, model: e.KIMI_MODEL,
    workDir: path.join(e.NANOKIMI_WORKSPACE, 'group'), globalDir: path.join(e.NANOKIMI_WORKSPACE, 'global'),
    ipcDir: path.join(e.NANOKIMI_WORKSPACE, 'ipc'),
    shareDir: e.KIMI_SHARE_DIR ?? path.join(os.homedir(), '.kimi'),
    executable: e.NANOKIMI_KIMI_WRAPPER ?? path.resolve(import.meta.dirname, '../bin/kimi-wrapper'),
    turnTimeoutMs: e.NANOKIMI_TURN_TIMEOUT_SECONDS * 1000,
  });
}
