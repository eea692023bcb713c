/**
 * @module The agent container as the host and the runner both see it: where the group's folder is,
 * and the environment the host gives it. The host passes only these variables (anything else is
 * dropped, so nothing from its own environment leaks in); the runner parses its environment with
 * the same schema.
 */
import { z } from 'zod';

/** Where a group's folder is in its container: the paths the agent and the model see start here. */
export const GROUP_MOUNT = '/workspace/group';

/**
 * The runner's log event once its session is open, before any prompt: the host ends the start-up
 * CPU allowance when it sees it (a container that never says it only keeps it for a few seconds).
 */
export const SESSION_READY_EVENT = 'session-ready';

export const containerEnvSchema = z.object({
  ASSISTANT_NAME: z.string().min(1).default('Kai'),
  TZ: z.string().optional(),
  NANOKIMI_GROUP: z.string().min(1),
  NANOKIMI_IS_MAIN: z.enum(['0', '1']).default('0'),
  NANOKIMI_CHAT_JID: z.string().min(1),
  NANOKIMI_SESSION_ID: z.string().min(1),
  /** Empty: config.toml's default_model. */
  KIMI_MODEL: z.string().optional(),
});
/** The environment as the host writes it (variables with a default may be left out). */
export type ContainerEnv = z.input<typeof containerEnvSchema>;
export const containerEnvNames = containerEnvSchema.keyof().options;
