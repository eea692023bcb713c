/** @module The runner's settings, from the environment the host gave the container. */
import { z } from 'zod';
import { containerEnvSchema } from '@nanokimi/protocol/container';
import { workspacePaths, type WorkspacePaths } from './workspace-paths.ts';

const schema = containerEnvSchema.extend({
  // Only tests set these (see workspace-paths.ts); the host never passes them.
  NANOKIMI_WORKSPACE: z.string().optional(),
  KIMI_CODE_HOME: z.string().optional(),
  NANOKIMI_KIMI_ENTRY: z.string().optional(),
  NANOKIMI_TURN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
});

export type Settings = WorkspacePaths & Readonly<{
  assistantName: string; group: string; isMain: boolean; chatJid: string; sessionId: string; model: string | undefined;
  turnTimeoutMs: number;
}>;

export function readSettings(env: Record<string, string | undefined>): Settings {
  const e = schema.parse(env);
  return Object.freeze({
    ...workspacePaths(env),
    assistantName: e.ASSISTANT_NAME, group: e.NANOKIMI_GROUP, isMain: e.NANOKIMI_IS_MAIN === '1',
    chatJid: e.NANOKIMI_CHAT_JID, sessionId: e.NANOKIMI_SESSION_ID, model: e.KIMI_MODEL || undefined,
    turnTimeoutMs: e.NANOKIMI_TURN_TIMEOUT_SECONDS * 1000,
  });
}
