/** Who hears of a failure: the chat that waited each time, main once per lost login. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentFailure } from '../agent/agent.ts';
import { openDb } from '../store/db.ts';
import { createStores, type Stores } from '../store/stores.ts';
import { createFailureNotices, type FailureNotices } from './failure-notices.ts';

const crashed: AgentFailure = { kind: 'crashed', message: 'the agent crashed.', retryable: true };
const expired: AgentFailure = { kind: 'auth-expired', message: 'the Kimi login has expired.', retryable: false };

let stores: Stores;
let told: { folder: string; chatJid: string; text: string; key: string }[];
let notices: FailureNotices;
beforeEach(() => {
  stores = createStores(openDb(':memory:'));
  for (const [folder, jid, isMain] of [['main', 'local:main', true], ['family', 'family@g.us', false], ['work', 'work@g.us', false]] as const) {
    stores.groups.insert({ folder, jid, name: folder, requiresTrigger: !isMain, isMain, container: {}, createdAt: 0 });
  }
  told = [];
  notices = createFailureNotices({ groups: stores.groups, messages: stores.messages, assistantName: 'Kai', now: () => 42,
    notify: (folder, chatJid, text, key) => told.push({ folder, chatJid, text, key }) });
});

const say = (chatJid: string, folder: string, id: string, triggers: boolean) =>
  stores.messages.insert({ chatJid, id, senderId: 'a', senderName: 'Ana', text: id, sentAt: 1 }, folder, triggers);

describe('failure notices', () => {
  it('tell the chat of the last message that woke the agent, keyed by that message', () => {
    say('family@g.us', 'family', 'hi', true);
    const seq = say('family-dm@s.whatsapp.net', 'family', 'ping', true);
    say('family@g.us', 'family', 'chatter', false);
    notices.gaveUp('family', crashed);
    expect(told).toEqual([{ folder: 'family', chatJid: 'family-dm@s.whatsapp.net', key: `give-up/family/${seq}`,
      text: 'Kai could not answer: the agent crashed. Your message is kept; it will be tried again with your next message.' }]);
  });

  it('tell the group\'s own chat when no message waits (a task), keyed by the time', () => {
    notices.gaveUp('family', crashed);
    expect(told.map((t) => [t.chatJid, t.key])).toEqual([['family@g.us', 'give-up/family/42']]);
  });

  it('tell nobody of a group that is gone', () => {
    notices.gaveUp('nowhere', crashed);
    expect(told).toEqual([]);
  });

  it('tell main once of an expired login, whichever groups hit it, and again once a run has worked', () => {
    notices.gaveUp('family', expired);
    notices.gaveUp('work', expired);
    expect(told.map((t) => [t.folder, t.key])).toEqual([['main', 'auth-expired/42'], ['family', 'give-up/family/42'], ['work', 'give-up/work/42']]);
    expect(told[0]!.text).toBe('Kai cannot answer anywhere: the Kimi login has expired.');
    told = [];
    notices.succeeded();
    notices.gaveUp('work', expired);
    expect(told.map((t) => [t.folder, t.key])).toEqual([['main', 'auth-expired/42'], ['work', 'give-up/work/42']]);
  });

  it('tell main only as the chat that waited when main itself hit the expired login', () => {
    notices.gaveUp('main', expired);
    expect(told.map((t) => [t.folder, t.key])).toEqual([['main', 'give-up/main/42']]);
  });

  it('count a login custody reported lost as told: main hears it then, not again from a group', () => {
    notices.loginLost('the login service refused the refresh.');
    notices.gaveUp('family', expired);
    expect(told.map((t) => [t.folder, t.key, t.text])).toEqual([
      ['main', 'login-lost/42', 'Kai cannot answer anywhere: the login service refused the refresh.'],
      ['family', 'give-up/family/42', 'Kai could not answer: the Kimi login has expired. Your message is kept; it will be tried again with your next message.']]);
  });
});
