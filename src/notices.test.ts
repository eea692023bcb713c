/** NanoKimi's own sentences, word for word: people read them, and the end-to-end tests match on them. */
import { describe, expect, it } from 'vitest';
import { cannotAnswerAnywhere, couldNotAnswer, refusedWake, replyNotDelivered, replyWithheld, taskFailed } from './notices.ts';
import { journalLine, mainNotice } from './ops/service-failure.ts';

describe('what NanoKimi tells people', () => {
  it.each([
    ['the chat, after the last attempt', couldNotAnswer('Kai', 'Docker is not reachable (is the engine running?).'),
      'Kai could not answer: Docker is not reachable (is the engine running?). Your message is kept; it will be tried again with your next message.'],
    ['main, when the login is gone', cannotAnswerAnywhere('Kai', 'the Kimi login has expired. On the host, run `kimi login`.'),
      'Kai cannot answer anywhere: the Kimi login has expired. On the host, run `kimi login`.'],
    ['the task\'s chat, when its run failed', taskFailed('t-1', 'the agent crashed (exit code 3).'),
      'Scheduled task t-1 failed: the agent crashed (exit code 3).'],
    ['main, when a reply carried the login token', replyWithheld('Kai', 'alpha'),
      'A reply from the group "alpha" was withheld: it contained Kai\'s Kimi login token. Nothing was sent. If you did not ask for it, ' +
      'someone in that group may be trying to extract credentials; consider logging in again (kimi login, then scripts/setup-oauth-isolation.sh).'],
    ['main, when a reply could not be delivered', replyNotDelivered('123@g.us', 'family', 'not a participant'),
      'A reply to 123@g.us (group "family") could not be delivered: not a participant. It is kept (nanokimi doctor lists it) and the replies after it went on.'],
    ['main, with a long delivery error cut to 300 characters', replyNotDelivered('123@g.us', 'family', 'x'.repeat(400)),
      `A reply to 123@g.us (group "family") could not be delivered: ${'x'.repeat(300)}. It is kept (nanokimi doctor lists it) and the replies after it went on.`],
  ])('%s', (_who, text, expected) => {
    expect(text).toBe(expected);
  });

  const family = { name: 'Family', folder: 'family' };
  it.each([
    ['a sender known by phone, where one may', { ...family, allowedSenders: ['+15559876543'] },
      { senderName: 'Alice', senderId: '98765@lid', senderAltId: '15557654321@s.whatsapp.net' },
      'Alice (15557654321) tried to wake Kai in "Family", where only +15559876543 may. To let them: nanokimi groups set family --senders +15559876543,15557654321'],
    ['a sender known only by id, where several may', { ...family, allowedSenders: ['+1555000', '+1555001'] },
      { senderName: 'Bob', senderId: '15557654322@s.whatsapp.net' },
      'Bob (15557654322) tried to wake Kai in "Family", where only +1555000, +1555001 may. To let them: nanokimi groups set family --senders +1555000,+1555001,15557654322'],
    ['a group nobody may wake', { ...family, allowedSenders: [] }, { senderName: 'Carol', senderId: 'carol' },
      'Carol (carol) tried to wake Kai in "Family", where only nobody may. To let them: nanokimi groups set family --senders carol'],
  ])('main, when someone not on the list tried to wake the assistant: %s', (_what, group, msg, expected) => {
    expect(refusedWake('Kai', group, msg)).toBe(expected);
  });

  it('main and the journal, when systemd gave up restarting the service', () => {
    const f = { at: Date.parse('2030-01-02T03:04:00Z'), result: 'exit-code', exit: 'exited 78' };
    expect(mainNotice(f, 'Kai', 'UTC')).toBe('Kai was down: at 2030-01-02 03:04 the service failed (exit-code, exited 78) and systemd ' +
      'stopped restarting it, so messages in that time were answered only now or not at all. It is running again. ' +
      'Why it failed: journalctl --user -u nanokimi --since "2030-01-02 02:49"');
    expect(journalLine(f, 'Kai')).toBe('nanokimi: the service failed (exit-code, exited 78) and systemd stopped restarting it: ' +
      'Kai answers nobody until it is started again. Why: journalctl --user -u nanokimi -n 100. After the fix: systemctl --user restart nanokimi');
  });
});
