import { describe, expect, it } from 'vitest';
import type { Group, InboundMessage } from '../domain.ts';
import { mentionsTrigger, shouldTrigger } from './trigger.ts';

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'family', jid: '123@g.us', name: 'Family', trigger: '@Kai', requiresTrigger: true, isMain: false,
  container: {}, createdAt: 0, ...over,
});

const msg = (text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  chatJid: '123@g.us', id: 'm1', senderId: 'ana@s.whatsapp.net', senderName: 'Ana', text, sentAt: 0, ...over,
});

describe('mentionsTrigger', () => {
  it.each([
    ['@Kai hi', true],
    ['hi @kai', true],
    ['hey @KAI!', true],
    ['(@Kai)', true],
    ['@Kai, what time is it?', true],
    ['first line\n@Kai second line', true],
    ['@Kaiser', false],
    ['email@Kai.com', false],
    ['Kai', false],
    ['hey Kai, you there?', false],
    ['@Ka', false],
    ['@Kai_bot', false],
    ['@@Kai', false],
    ['', false],
  ])('%j -> %s', (text, expected) => {
    expect(mentionsTrigger(text, '@Kai')).toBe(expected);
  });

  it('treats regular-expression characters in the trigger literally', () => {
    expect(mentionsTrigger('hi @K.i', '@K.i')).toBe(true);
    expect(mentionsTrigger('hi @Kai', '@K.i')).toBe(false);
  });
});

describe('shouldTrigger', () => {
  it('wakes on the trigger word in a group that requires it', () => {
    expect(shouldTrigger(msg('@Kai hi'), group())).toBe(true);
    expect(shouldTrigger(msg('just chatting'), group())).toBe(false);
    expect(shouldTrigger(msg('@Kaiser'), group())).toBe(false);
  });

  it('wakes on a native mention even without the trigger word in the text', () => {
    expect(shouldTrigger(msg('@34600000000 hi', { mentionsAssistant: true }), group())).toBe(true);
  });

  it('wakes on a reply to one of the assistant\'s messages', () => {
    expect(shouldTrigger(msg('and tomorrow?', { repliesToAssistant: true }), group())).toBe(true);
  });

  it('wakes on anything in the main group', () => {
    expect(shouldTrigger(msg('what is on today'), group({ isMain: true }))).toBe(true);
  });

  it('wakes on anything in a group that does not require the trigger', () => {
    expect(shouldTrigger(msg('what is on today'), group({ requiresTrigger: false }))).toBe(true);
  });

  it('always wakes in a local terminal chat', () => {
    expect(shouldTrigger(msg('no mention at all', { chatJid: 'local:family' }), group())).toBe(true);
  });

  it('uses the group\'s own trigger word', () => {
    const nova = group({ trigger: '@Nova' });
    expect(shouldTrigger(msg('@Nova hi'), nova)).toBe(true);
    expect(shouldTrigger(msg('@Kai hi'), nova)).toBe(false);
  });
});
