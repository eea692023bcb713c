import { describe, expect, it } from 'vitest';
import type { Group, InboundMessage } from '../domain.ts';
import { mentionsTrigger, shouldTrigger } from './trigger.ts';

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'family', jid: '123@g.us', name: 'Family', requiresTrigger: true, isMain: false,
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
    expect(shouldTrigger(msg('@Kai hi'), group(), 'Kai')).toBe(true);
    expect(shouldTrigger(msg('just chatting'), group(), 'Kai')).toBe(false);
    expect(shouldTrigger(msg('@Kaiser'), group(), 'Kai')).toBe(false);
  });

  it('wakes on a native mention even without the trigger word in the text', () => {
    expect(shouldTrigger(msg('@34600000000 hi', { mentionsAssistant: true }), group(), 'Kai')).toBe(true);
  });

  it('wakes on a reply to one of the assistant\'s messages', () => {
    expect(shouldTrigger(msg('and tomorrow?', { repliesToAssistant: true }), group(), 'Kai')).toBe(true);
  });

  it('wakes on anything in the main group', () => {
    expect(shouldTrigger(msg('what is on today'), group({ isMain: true }), 'Kai')).toBe(true);
  });

  it('wakes on anything in a group that does not require the trigger', () => {
    expect(shouldTrigger(msg('what is on today'), group({ requiresTrigger: false }), 'Kai')).toBe(true);
  });

  it('always wakes in a local terminal chat', () => {
    expect(shouldTrigger(msg('no mention at all', { chatJid: 'local:family' }), group(), 'Kai')).toBe(true);
  });

  it('uses the assistant\'s name as configured now, in groups registered under an old one too', () => {
    expect(shouldTrigger(msg('@Nova hi'), group(), 'Nova')).toBe(true);
    expect(shouldTrigger(msg('@Kai hi'), group(), 'Nova')).toBe(false);
  });
});

describe('who may wake the assistant', () => {
  const owner = { senderId: '187222456274981@lid', senderAltId: '15557654321@s.whatsapp.net' };
  const stranger = { senderId: '199999999999999@lid', senderAltId: '15550009999@s.whatsapp.net' };

  it.each([
    ['anyone, when the group lists nobody', undefined, stranger, true],
    ['a listed phone number, matched against the sender\'s phone JID', ['+15557654321'], owner, true],
    ['a listed LID', ['187222456274981@lid'], owner, true],
    ['a listed phone JID', ['15557654321@s.whatsapp.net'], owner, true],
    ['nobody else', ['15557654321'], stranger, false],
    ['nobody at all with an empty list', [], owner, false],
  ] as const)('%s', (_what, allowedSenders, sender, wakes) => {
    const g = group(allowedSenders ? { allowedSenders } : {});
    expect(shouldTrigger(msg('@Kai what is on today?', sender), g, 'Kai')).toBe(wakes);
    // A native mention or a reply to the assistant does not get round the list either.
    expect(shouldTrigger(msg('hi', { ...sender, mentionsAssistant: true }), g, 'Kai')).toBe(wakes);
  });

  it('never keeps the owner of the number out', () => {
    const g = group({ allowedSenders: ['15557654321'] });
    expect(shouldTrigger(msg('@Kai hi', { ...stranger, fromOwner: true }), g, 'Kai')).toBe(true);
  });

  it('applies in a group that needs no trigger word, and never to the local terminal', () => {
    const g = group({ requiresTrigger: false, allowedSenders: ['15557654321'] });
    expect(shouldTrigger(msg('anything', stranger), g, 'Kai')).toBe(false);
    expect(shouldTrigger(msg('anything', owner), g, 'Kai')).toBe(true);
    expect(shouldTrigger(msg('anything', { ...stranger, chatJid: 'local:family' }), g, 'Kai')).toBe(true);
  });
});
