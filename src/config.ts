/** @module Reads the environment (and `.env`) into one validated, frozen Config. */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { ContainerNetwork } from './agent/container-spec.ts';
import { dataPaths, DEFAULT_DATA_DIR } from './data-paths.ts';
import { quoteModes, type QuoteMode } from './router/reply-quote.ts';

/** Log levels pino understands; `silent` turns logging off (tests). */
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const int = (min: number, max: number) => {
  const expected = `a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: expected }).int(expected).min(min, expected).max(max, expected);
};

/**
 * Every key NanoKimi reads from its environment. This schema is the single source:
 * `.env.example` is checked against it by a test, and each key has exactly one reader.
 */
export const envSchema = z.object({
  ASSISTANT_NAME: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a single word of letters, digits, _ or - (e.g. Kai)')
    .default('Kai')
    .describe('The name people write after @ to wake the assistant, and the name it answers as.'),
  ASSISTANT_HAS_OWN_NUMBER: z.stringbool({ error: 'true or false' }).default(false)
    .describe('true when the assistant has a WhatsApp number of its own; false (default) when it runs as a linked device of the owner\'s phone, so its replies start with "Kai: ".'),
  TZ: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Madrid or UTC')
    .default(Intl.DateTimeFormat().resolvedOptions().timeZone)
    .describe('Time zone for scheduled tasks and the times shown to the agent (default: the system\'s).'),
  MAX_CONCURRENT_CONTAINERS: int(1, 64).default(3)
    .describe('How many agent containers may run at once across all groups.'),
  CONTAINER_IMAGE: z.string().regex(/^[a-z0-9][a-z0-9._\/:@-]*$/, 'a Docker image reference such as nanokimi-agent:latest')
    .default('nanokimi-agent:latest')
    .describe('The agent image that each group\'s container runs.'),
  CONTAINER_USER: z.string().regex(/^\d+:\d+$/, 'uid:gid, e.g. 1000:1000').default('1000:1000')
    .describe('The uid:gid the agent runs as inside its container (the image\'s node user is 1000:1000).'),
  CONTAINER_MEMORY_MB: int(128, 65_536).default(1024)
    .describe('Memory limit of each agent container, in MB (no swap on top). A group can override it.'),
  CONTAINER_CPUS: z.coerce.number({ error: 'a number of CPUs from 0.1 to 64' }).min(0.1, 'a number of CPUs from 0.1 to 64')
    .max(64, 'a number of CPUs from 0.1 to 64').default(1)
    .describe('CPU limit of each agent container (1.5 = one and a half cores; up to 2 while it starts). A group can override it.'),
  CONTAINER_PIDS: int(16, 32_768).default(256)
    .describe('Most processes an agent container may run at once. A group can override it.'),
  CONTAINER_NETWORK: z.string().regex(/^(bridge|none|container:[A-Za-z0-9][A-Za-z0-9_.-]*)$/, 'bridge, none or container:<name>')
    .default('bridge')
    .describe('bridge lets the agent reach the Kimi API (needed); none cuts the container off the network; container:<name> joins that container\'s network (an egress filter in front of the agents).'),
  KIMI_MODEL: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,99}$/, 'a key of [models] in config.toml, e.g. kimi-code').optional()
    .describe('The model the agents use: a key of [models] in data/credentials/config.toml (default: its default_model).'),
  MOUNT_ALLOWLIST: z.string().min(1).default(path.join(os.homedir(), '.config', 'nanokimi', 'mount-allowlist.json'))
    .describe('JSON file, outside the project, listing host folders groups may mount as extras.'),
  AGENT_TIMEOUT_SECONDS: int(10, 86_400).default(1800)
    .describe('Hard limit for one agent run; the run is stopped and retried when it passes.'),
  AGENT_IDLE_SECONDS: int(1, 86_400).default(300)
    .describe('How long a group\'s agent stays alive waiting for follow-up messages after its last reply.'),
  AGENT_MAX_ATTEMPTS: int(1, 10).default(3)
    .describe('Attempts per batch of messages before the chat is told that the agent failed.'),
  MAX_PROMPT_CHARS: int(1000, 1_000_000).default(40_000)
    .describe('Cap on the size of the conversation handed to the agent; older messages beyond it are summarised as omitted.'),
  ACK_REACTION: z.string().max(16, 'one emoji, e.g. 👀').regex(/^\S+$/, 'one emoji, e.g. 👀').optional()
    .describe('An emoji the assistant reacts with to each message that wakes it, so people know it is on it before it answers; unset: no reaction.'),
  REPLY_QUOTE: z.enum(quoteModes, { error: `one of ${quoteModes.join(', ')}` }).default('auto')
    .describe('Whether an answer shows the message it answers as a WhatsApp quote: always, auto (only when others wrote in between), never.'),
  MEDIA_MAX_MB: int(1, 2048).default(20)
    .describe('Largest file (photo, video, document, voice note) downloaded from a chat, in MB; larger ones reach the agent as a note saying so.'),
  TRANSCRIBE_COMMAND: z.string().regex(/^\S.*$/, 'a program and its arguments, e.g. /usr/local/bin/transcribe --lang es').optional()
    .describe('Turns voice notes into text: run with the audio file as its last argument, it prints the text. Unset: the agent is told a voice note came and where the file is.'),
  RETENTION_DAYS: int(0, 36_500).default(30)
    .describe('Days kept of chat text from unregistered chats, answered messages, sent replies, run logs, files that came with messages and refused IPC files; 0 keeps everything.'),
  LOG_LEVEL: z.enum(logLevels, { error: `one of ${logLevels.join(', ')}` }).default('info')
    .describe('How much to log: fatal, error, warn, info, debug, trace or silent.'),
  LOG_FILE: z.string().min(1).default('logs/nanokimi.log')
    .describe('A copy of the log for `tail -f`, rolled over at 10 MB (5 kept); relative to the project root; none to turn it off.'),
  HEALTH_PORT: int(0, 65_535).default(0)
    .describe('Port of the health endpoint on 127.0.0.1 (/health, /ready) for a monitor; 0 turns it off.'),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR)
    .describe('Runtime state: database, IPC, sessions, tokens. Relative paths are resolved from the project root.'),
  GROUPS_DIR: z.string().min(1).default('groups')
    .describe('One folder per group (its KIMI.md and files). Relative paths are resolved from the project root.'),
});

export type EnvKey = keyof typeof envSchema.shape;

export type Config = Readonly<{
  assistantName: string;
  assistantHasOwnNumber: boolean;
  timeZone: string;
  maxConcurrentContainers: number;
  containerImage: string;
  containerUser: string;
  containerLimits: Readonly<{ memoryMb: number; cpus: number; pids: number }>;
  containerNetwork: ContainerNetwork;
  /** KIMI_MODEL, or null for config.toml's default_model. */
  kimiModel: string | null;
  mountAllowlist: string;
  agentTimeoutMs: number;
  agentIdleMs: number;
  agentMaxAttempts: number;
  maxPromptChars: number;
  /** Days; 0: never prune. */
  retentionDays: number;
  mediaMaxMb: number;
  replyQuote: QuoteMode;
  /** ACK_REACTION, or null for none. */
  ackReaction: string | null;
  /** TRANSCRIBE_COMMAND, or null: voice notes are not transcribed. */
  transcribeCommand: string | null;
  logLevel: (typeof logLevels)[number];
  logFile: string | null;
  healthPort: number;
  projectRoot: string;
  dataDir: string;
  groupsDir: string;
  /** Derived paths, so no module joins them by hand. */
  dbPath: string;
  ipcDir: string;
  socketPath: string;
}>;

/** A configuration value that cannot be used; the message names key, value and expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates `env` (usually `process.env` after dotenv) into a frozen Config.
 * Throws ConfigError with one line per bad key.
 */
export function loadConfig(env: Record<string, string | undefined>, projectRoot: string): Config {
  // Empty strings mean "unset" so that `KEY=` in .env falls back to the default.
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]);
      return `${key}=${JSON.stringify(present[key] ?? '')} is not valid: expected ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const e = parsed.data;
  return Object.freeze({
    assistantName: e.ASSISTANT_NAME,
    assistantHasOwnNumber: e.ASSISTANT_HAS_OWN_NUMBER,
    timeZone: e.TZ,
    maxConcurrentContainers: e.MAX_CONCURRENT_CONTAINERS,
    containerImage: e.CONTAINER_IMAGE,
    containerUser: e.CONTAINER_USER,
    containerLimits: Object.freeze({ memoryMb: e.CONTAINER_MEMORY_MB, cpus: e.CONTAINER_CPUS, pids: e.CONTAINER_PIDS }),
    containerNetwork: e.CONTAINER_NETWORK as ContainerNetwork,
    kimiModel: e.KIMI_MODEL ?? null,
    mountAllowlist: e.MOUNT_ALLOWLIST.startsWith('~/') ? path.join(os.homedir(), e.MOUNT_ALLOWLIST.slice(2)) : e.MOUNT_ALLOWLIST,
    agentTimeoutMs: e.AGENT_TIMEOUT_SECONDS * 1000,
    agentIdleMs: e.AGENT_IDLE_SECONDS * 1000,
    agentMaxAttempts: e.AGENT_MAX_ATTEMPTS,
    maxPromptChars: e.MAX_PROMPT_CHARS,
    retentionDays: e.RETENTION_DAYS,
    mediaMaxMb: e.MEDIA_MAX_MB,
    replyQuote: e.REPLY_QUOTE,
    ackReaction: e.ACK_REACTION ?? null,
    transcribeCommand: e.TRANSCRIBE_COMMAND ?? null,
    logLevel: e.LOG_LEVEL,
    logFile: e.LOG_FILE === 'none' ? null : path.resolve(projectRoot, e.LOG_FILE),
    healthPort: e.HEALTH_PORT,
    projectRoot,
    groupsDir: path.resolve(projectRoot, e.GROUPS_DIR),
    ...dataPaths(e.DATA_DIR, projectRoot),
  });
}
