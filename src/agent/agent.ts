/**
 * @module The agent step behind one interface. The daemon hands a run to an Agent and learns
 * only how it ended; replies travel separately, as files in the group's IPC directory. (The
 * program inside the container, container/agent-runner, is what one Agent runs, not this.)
 */
import type { ReportedFailureKind } from '@nanokimi/protocol/failure';
import type { InputFile } from '@nanokimi/protocol/ipc';
import type { Group } from '../domain.ts';

export type AgentRunRequest = {
  runId: number;
  group: Group;
  /** What the agent is asked to act on first: the chat's pending messages, or a scheduled task. */
  input: InputFile;
  /** The chat that replies go to by default. */
  chatJid: string;
  /** The Kimi session to resume or create (the host keeps the group's id; an isolated task gets a fresh one). */
  sessionId: string;
  /** `data/ipc/<folder>`: the agent writes replies to messages/ and reads follow-ups from input/. */
  ipcDir: string;
  /** Aborted when the run must stop now (hard timeout, shutdown). */
  signal: AbortSignal;
};

/** What the agent-runner reports, and Docker being unavailable, which only the host can tell. */
export type AgentFailureKind = ReportedFailureKind | 'unavailable';

export type AgentFailure = {
  kind: AgentFailureKind;
  /** One sentence for the person in the chat: what went wrong and what happens or what to do next. */
  message: string;
  /** Worth trying again soon (a crash, Docker or the provider briefly unavailable). */
  retryable: boolean;
};

export type AgentRunResult = { ok: true } | { ok: false; failure: AgentFailure };

export interface Agent {
  /** Runs the agent until it exits (after its idle time or a close request) and says how it ended. */
  run(req: AgentRunRequest): Promise<AgentRunResult>;
}
