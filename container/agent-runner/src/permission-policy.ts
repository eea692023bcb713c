/**
 * @module The written answer to the CLI's permission requests (`session/request_permission`). The
 * container is the sandbox: it sees only the group's own folders, runs as an unprivileged user with
 * no capabilities, and the host checks everything the agent asks of it. So inside it the agent may
 * read, edit, run commands and fetch, like a person at their own terminal, without a human to ask.
 * "Always" is preferred over "once" so the CLI stops asking for the same tool within a session.
 * Pure: the request in, the option to pick out.
 */
export type PermissionOption = { optionId: string; kind: 'allow_once' | 'allow_always' | 'reject_once' | 'reject_always' | string };

export type PermissionDecision = { outcome: 'selected'; optionId: string } | { outcome: 'cancelled' };

const preference = ['allow_always', 'allow_once'];

export function decidePermission(options: readonly PermissionOption[]): PermissionDecision {
  for (const kind of preference) {
    const option = options.find((o) => o.kind === kind);
    if (option) return { outcome: 'selected', optionId: option.optionId };
  }
  // A request offering no way to allow (a question we cannot answer): cancelling ends it at once
  // instead of leaving the turn waiting for a person who is not there.
  return { outcome: 'cancelled' };
}
