/** @module The runner's settings, from the environment the host gave the container. */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { containerEnvSchema } from '@nanokimi/protocol/container';

const schema = containerEnvSchema.extend({
  // Only tests set these; the host never passes them (they are not in the contract). In the
  // container the defaults are the mount points and the image's CLI.
  NANOKIMI_WORKSPACE: z.string().default('/workspace'),
  KIMI_CODE_HOME: z.string().optional(),
  NANOKIMI_KIMI_ENTRY: z.string().optional(),
  NANOKIMI_TURN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(900),
});

export type Settings = Readonly<{
  assistantName: string; group: string; isMain: boolean; chatJid: string; sessionId: string; model: string | undefined;
  workDir: string; globalDir: string; ipcDir: string; kimiHome: string; kimiEntry: string; turnTimeoutMs: number;
}>;

/** The CLI's entry point in the installed package (its `bin`), run with our own Node. */
function installedKimiEntry(): string {
  const pkg = createRequire(import.meta.url).resolve('@moonshot-ai/kimi-code/package.json');
  return path.join(path.dirname(pkg), 'dist', 'main.mjs');
}

export function readSettings(env: Record<string, string | undefined>): Settings {
  const e = schema.parse(env);
  return Object.freeze({
    assistantName: e.ASSISTANT_NAME, group: e.NANOKIMI_GROUP, isMain: e.NANOKIMI_IS_MAIN === '1',
    chatJid: e.NANOKIMI_CHAT_JID, sessionId: e.NANOKIMI_SESSION_ID, model: e.KIMI_MODEL || undefined,
    workDir: path.join(e.NANOKIMI_WORKSPACE, 'group'), globalDir: path.join(e.NANOKIMI_WORKSPACE, 'global'),
    ipcDir: path.join(e.NANOKIMI_WORKSPACE, 'ipc'),
    kimiHome: e.KIMI_CODE_HOME ?? path.join(os.homedir(), '.kimi'),
    kimiEntry: e.NANOKIMI_KIMI_ENTRY ?? installedKimiEntry(),
    turnTimeoutMs: e.NANOKIMI_TURN_TIMEOUT_SECONDS * 1000,
  });
}
