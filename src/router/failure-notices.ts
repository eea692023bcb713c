/**
 * @module Who hears of a failure: the chat whose message waited, once the queue gives up on it; and
 * main, once, when the Kimi login is gone, which stops every group whichever hit it first. The
 * login counts as told once token custody reported it lost or one group's failure was told; a
 * run that succeeds again means a later loss is news.
 */
import type { AgentFailure } from '../agent/agent.ts';
import { cannotAnswerAnywhere, couldNotAnswer } from '../notices.ts';
import type { Notify } from '../outbox/notify.ts';
import type { createGroupStore } from '../store/groups.ts';
import type { createMessageStore } from '../store/messages.ts';

export type FailureNoticesDeps = {
  groups: Pick<ReturnType<typeof createGroupStore>, 'get' | 'list' | 'cursor'>;
  messages: Pick<ReturnType<typeof createMessageStore>, 'after'>;
  notify: Notify;
  assistantName: string;
  now: () => number;
};

export type FailureNotices = {
  /** Token custody lost the login (the refresh was refused). */
  loginLost(message: string): void;
  /** The queue gave up on the group's work after its last attempt. */
  gaveUp(folder: string, failure: AgentFailure): void;
  /** Some group's work succeeded: the login works again. */
  succeeded(): void;
};

export function createFailureNotices(deps: FailureNoticesDeps): FailureNotices {
  let loginTold = false;
  const main = () => deps.groups.list().find((g) => g.isMain);
  return {
    loginLost(message) {
      loginTold = true;
      const m = main();
      if (m) deps.notify(m.folder, m.jid, cannotAnswerAnywhere(deps.assistantName, message), `login-lost/${deps.now()}`);
    },

    gaveUp(folder, failure) {
      const group = deps.groups.get(folder);
      if (!group) return;
      const m = main();
      // Main's own chat hears it below, as the chat that waited.
      if (failure.kind === 'auth-expired' && !loginTold && m && m.folder !== folder) {
        loginTold = true;
        deps.notify(m.folder, m.jid, cannotAnswerAnywhere(deps.assistantName, failure.message), `auth-expired/${deps.now()}`);
      }
      const waiting = deps.messages.after(folder, deps.groups.cursor(folder)).findLast((msg) => msg.triggers);
      deps.notify(folder, waiting?.chatJid ?? group.jid, couldNotAnswer(deps.assistantName, failure.message),
        `give-up/${folder}/${waiting?.seq ?? deps.now()}`);
    },

    succeeded() {
      loginTold = false;
    },
  };
}
