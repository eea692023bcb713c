/**
 * @module Agent -> host, on the runner's stdout: why a run could not be done, as one JSON line. The
 * runner prints it and exits; the host (src/agent/explain-exit.ts) reads the last one and turns it into the
 * failure the chat hears (and whether to retry). Writer and reader sit together because the reader
 * finds the line by how the writer begins it.
 */
import { z } from 'zod';

/** What the runner can report. The host adds what only it can see (Docker being unavailable). */
export const reportedFailureKinds = ['config', 'auth-expired', 'provider', 'rate-limited', 'refused', 'crashed', 'timeout'] as const;
export type ReportedFailureKind = (typeof reportedFailureKinds)[number];

export const agentFailureSchema = z.strictObject({
  nanokimi: z.literal('failure'),
  kind: z.enum(reportedFailureKinds),
  message: z.string().min(1).max(2000),
});
export type AgentFailureLine = z.infer<typeof agentFailureSchema>;
/** A failure as the runner decides it: the line without its marker. */
export type ReportedFailure = Omit<AgentFailureLine, 'nanokimi'>;

const MARKER = '{"nanokimi":"failure"';

/** The line the runner prints, newline included; the marker is its first key. */
export function failureLine(f: ReportedFailure): string {
  return `${JSON.stringify({ nanokimi: 'failure', kind: f.kind, message: f.message })}\n`;
}

/** The last valid failure line in a run's output, if any. */
export function lastFailureLine(output: string): AgentFailureLine | null {
  const lines = output.split('\n').filter((l) => l.startsWith(MARKER));
  for (const line of lines.reverse()) {
    try {
      const parsed = agentFailureSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch { /* a truncated line: look at the one before */ }
  }
  return null;
}
