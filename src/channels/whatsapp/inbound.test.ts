import type { WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import type { Group, InboundMessage } from '../../domain.ts';
import { shouldTrigger } from '../../router/trigger.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import { toInbound } from './inbound.ts';
import type { InboundContext, Skip } from './inbound.ts';

const ctx = (over: Partial<InboundContext> = {}): InboundContext => ({
  bot: fx.BOT,
  assistantName: 'Kai',
  sharesOwnerNumber: false,
  isOwnSentMessage: (id) => fx.SENT_IDS.has(id),
  isBotMessage: (_chatJid, id) => fx.SENT_IDS.has(id),
  now: fx.NOW_MS,
  ...over,
});

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'friends', jid: fx.GROUP_JID, name: 'Friends', requiresTrigger: true, isMain: false,
  container: {}, createdAt: 0, ...over,
});
const mainGroup = group({ folder: 'main', jid: fx.BOT_PHONE_JID, name: 'Main', isMain: true });

const T = fx.SENT_AT_S * 1000;
const alice = { senderId: fx.ALICE_LID, senderAltId: fx.ALICE_PHONE_JID, senderName: 'Alice', isGroupChat: true, chatJid: fx.GROUP_JID } as const;
const owner = { chatJid: fx.BOT_PHONE_JID, senderId: fx.BOT_PHONE_JID, senderName: 'Owner', isGroupChat: false, fromOwner: true } as const;
const plain = { mentionsAssistant: false, repliesToAssistant: false } as const;
const skipped = (reason: string): Skip => ({ skip: true, reason });

type Row = {
  name: string;
  msg: WAMessage;
  type?: 'notify' | 'append';
  shared?: boolean;
  expected: InboundMessage | Skip;
  /** The router's decision for an accepted message: in the non-main group, or in main for the self-chat. */
  triggers?: boolean;
};

const rows: Row[] = [
  {
    name: 'native LID mention', msg: fx.lidMention, triggers: true,
    expected: { ...alice, ...plain, id: 'ACE33B9B4158EF4706BCF4F5118F52B8', text: "@Kai what's the weather?", sentAt: T, mentionsAssistant: true },
  },
  {
    name: 'phone-number-addressed mention', msg: fx.pnMention, triggers: true,
    expected: {
      chatJid: fx.GROUP_JID, id: 'AC11D0E2F3A4B5C6D7E8F9A0B1C2D3E4', senderId: fx.BOB_PHONE_JID, senderName: 'Bob',
      text: '@Kai can you summarise this thread?', sentAt: T, mentionsAssistant: true, repliesToAssistant: false, isGroupChat: true,
    },
  },
  {
    name: 'typed @Kai', msg: fx.typedKai, triggers: true,
    expected: { ...alice, ...plain, id: 'A5F1C2D3E4B5A6978812345678ABCDEF', text: '@Kai what time is the match?', sentAt: T },
  },
  {
    name: 'chatter mentioning someone else', msg: fx.plainChatter, triggers: false,
    expected: { ...alice, ...plain, id: 'A1B2C3D4E5F60718293A4B5C6D7E8F90', text: '@15559876543 see you at 8', sentAt: T },
  },
  {
    name: 'reply to the bot (quoted participant)', msg: fx.replyToBot, triggers: true,
    expected: { ...alice, ...plain, id: 'AC7E0B9D8C7B6A5F4E3D2C1B0A998877', text: 'and tomorrow?', sentAt: T, repliesToAssistant: true,
      quoted: { id: '3EB0AAAABBBBCCCCDDDD', senderName: 'Kai', text: 'Sunny, 24°C.' } },
  },
  {
    name: 'reply to the bot (quoted stanzaId only)', msg: fx.replyByStanza, triggers: true,
    expected: { ...alice, ...plain, id: 'AC7E0B9D8C7B6A5F4E3D2C1B0A990011', text: 'thanks!', sentAt: T, repliesToAssistant: true,
      quoted: { id: fx.BOT_REPLY_ID, senderName: 'Kai', text: 'Done.' } },
  },
  {
    name: 'disappearing-messages wrapper', msg: fx.ephemeral, triggers: true,
    expected: { ...alice, ...plain, id: 'ACE0E0E0E0E0E0E0E0E0E0E0E0E0E0E0', text: '@Kai remind me to call mum', sentAt: T },
  },
  {
    name: 'view-once image caption', msg: fx.viewOnceImage, triggers: true,
    expected: { ...alice, ...plain, id: 'AC0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F', text: '@Kai what plant is this?', sentAt: T,
      attachment: { kind: 'image', mimeType: 'image/jpeg' } },
  },
  {
    name: 'DM addressed by LID', msg: fx.lidDm, triggers: false,
    expected: {
      ...plain, chatJid: fx.ALICE_LID, id: 'AC1D1D1D1D1D1D1D1D1D1D1D1D1D1D1D', senderId: fx.ALICE_LID, senderAltId: fx.ALICE_PHONE_JID, senderName: 'Alice',
      text: 'are you coming tonight?', sentAt: T, isGroupChat: false,
    },
  },
  {
    name: 'self-chat', msg: fx.selfChat, triggers: true,
    expected: { ...owner, ...plain, id: '3A5E1F2C3D4B5A69788A', text: "what's on my calendar today?", sentAt: T },
  },
  {
    name: 'self-chat addressed by LID keeps the phone JID', msg: fx.selfChatByLid, triggers: true,
    expected: { ...owner, ...plain, id: '3A5E1F2C3D4B5A69788B', text: 'and tomorrow?', sentAt: T },
  },
  {
    name: 'bot-prefixed self-chat text on its own number', msg: fx.prefixedSelfChat, triggers: true,
    expected: { ...owner, ...plain, id: '3A5E1F2C3D4B5A69788C', text: 'Kai: Here is your summary.', sentAt: T },
  },
  { name: 'bot-prefixed self-chat text on a shared number', msg: fx.prefixedSelfChat, shared: true, expected: skipped('starts with the assistant prefix') },
  { name: 'echo of our own send', msg: fx.ownEcho, expected: skipped('echo of our own send') },
  { name: 'echo of our own send via append', msg: fx.ownEcho, type: 'append', expected: skipped('echo of our own send') },
  { name: 'fromMe in a normal group', msg: fx.fromMeInGroup, expected: skipped('fromMe outside the self-chat') },
  {
    name: "the owner's @Kai in a group on a shared number", msg: fx.ownerKaiInGroup, shared: true, triggers: true,
    expected: { ...plain, chatJid: fx.GROUP_JID, id: '3A0000000000000000AB', senderId: fx.BOT_PHONE_JID, senderName: 'Owner',
      text: '@Kai what time is the match?', sentAt: T, isGroupChat: true, fromOwner: true },
  },
  {
    name: "the owner's chatter in a group on a shared number is context", msg: fx.fromMeInGroup, shared: true, triggers: false,
    expected: { ...plain, chatJid: fx.GROUP_JID, id: '3A0000000000000000AA', senderId: fx.BOT_PHONE_JID, senderName: '15550001111',
      text: 'brb', sentAt: T, isGroupChat: true, fromOwner: true },
  },
  { name: 'the same on a number of its own is the bot itself', msg: fx.ownerKaiInGroup, expected: skipped('fromMe outside the self-chat') },
  { name: 'the owner writing to a friend in private, shared number', msg: fx.ownerToFriend, shared: true, expected: skipped('fromMe outside the self-chat') },
  { name: 'decrypt-failure stub', msg: fx.decryptStub, expected: skipped('stub message (type 2)') },
  { name: 'reaction', msg: fx.reaction, expected: skipped('reaction') },
  { name: 'revoke', msg: fx.revoke, expected: skipped('protocol message') },
  { name: 'sender key distribution only', msg: fx.senderKeyOnly, expected: skipped('sender key distribution only') },
  { name: 'append an hour old', msg: fx.oldAppend, type: 'append', expected: skipped('append older than 10 minutes') },
  {
    name: 'append two minutes old', msg: fx.recentAppend, type: 'append', triggers: true,
    expected: { ...alice, ...plain, id: 'AC4ECE4704ECE4704ECE4704ECE47040', text: '@Kai are you back?', sentAt: T - 120_000 },
  },
  {
    name: 'notify an hour old (age matters only for append)', msg: fx.oldAppend, triggers: true,
    expected: { ...alice, ...plain, id: 'AC01D01D01D01D01D01D01D01D01D01D', text: '@Kai are you there?', sentAt: T - 3_600_000 },
  },
  {
    name: 'photo without a caption', msg: fx.imageNoCaption, triggers: false,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A01', text: '', sentAt: T,
      attachment: { kind: 'image', mimeType: 'image/jpeg', sizeBytes: 48213 } },
  },
  {
    name: 'photo with @Kai in its caption', msg: fx.imageWithCaption, triggers: true,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A02', text: '@Kai how much was the tip?', sentAt: T,
      attachment: { kind: 'image', mimeType: 'image/jpeg', sizeBytes: 91234 } },
  },
  {
    name: 'document with a caption', msg: fx.documentWithCaption, triggers: true,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A03', text: '@Kai summarise this', sentAt: T,
      attachment: { kind: 'document', mimeType: 'application/pdf', fileName: 'Lease 2027.pdf', sizeBytes: 312456 } },
  },
  {
    name: 'voice note', msg: fx.voiceNote, triggers: false,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A04', text: '', sentAt: T,
      attachment: { kind: 'voice', mimeType: 'audio/ogg; codecs=opus', sizeBytes: 11520, seconds: 7 } },
  },
  {
    name: 'video with a caption', msg: fx.video, triggers: false,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A05', text: 'the goal!', sentAt: T,
      attachment: { kind: 'video', mimeType: 'video/mp4', sizeBytes: 2345678, seconds: 12 } },
  },
  {
    name: 'sticker', msg: fx.sticker, triggers: false,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A06', text: '', sentAt: T,
      attachment: { kind: 'sticker', mimeType: 'image/webp', sizeBytes: 20480 } },
  },
  {
    name: 'a reply quoting a photo', msg: fx.quotedImageReply, triggers: true,
    expected: { ...plain, chatJid: fx.GROUP_JID, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A07', senderId: fx.BOB_PHONE_JID, senderName: 'Bob',
      text: '@Kai what does this mean?', sentAt: T, isGroupChat: true,
      quoted: { id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A02', senderName: '187222456274981', text: '[image] @Kai how much was the tip?' } },
  },
  {
    name: 'view-once voice note in disappearing messages', msg: fx.ephemeralViewOnceVoice, triggers: false,
    expected: { ...alice, ...plain, id: 'AC1A1A1A1A1A1A1A1A1A1A1A1A1A1A08', text: '', sentAt: T,
      attachment: { kind: 'voice', mimeType: 'audio/ogg; codecs=opus', seconds: 3 } },
  },
  {
    name: 'Long messageTimestamp', msg: fx.longTimestamp, triggers: false,
    expected: { ...alice, ...plain, id: 'AC10A610A610A610A610A610A610A610', text: 'morning all', sentAt: T },
  },
];

describe('toInbound', () => {
  it.each(rows)('$name', ({ msg, type = 'notify', shared = false, expected }) => {
    expect(toInbound(msg, type, ctx({ sharesOwnerNumber: shared }))).toEqual(expected);
  });

  it("rewrites the LID digits of a picker mention to the assistant's name", () => {
    expect(toInbound(fx.lidMention, 'notify', ctx())).toMatchObject({ text: "@Kai what's the weather?" });
  });

  it("accepts the bot's ids as sock.user reports them, with the device suffix", () => {
    const raw = ctx({ bot: { phoneJid: fx.BOT_USER_ID, lid: fx.BOT_USER_LID } });
    for (const msg of [fx.lidMention, fx.pnMention, fx.replyToBot, fx.selfChatByLid]) {
      expect(toInbound(msg, 'notify', raw)).toEqual(toInbound(msg, 'notify', ctx()));
    }
  });

  it('uses the phone number as the name when there is no push name', () => {
    const { pushName: _, ...noName } = fx.lidMention;
    expect(toInbound(noName, 'notify', ctx())).toMatchObject({ senderId: fx.ALICE_LID, senderName: '15557654321' });
  });

  it('falls back to ctx.now for a live message without a timestamp, but drops such an append', () => {
    const { messageTimestamp: _, ...untimed } = fx.typedKai;
    expect(toInbound(untimed, 'notify', ctx())).toMatchObject({ sentAt: fx.NOW_MS });
    expect(toInbound(untimed, 'append', ctx())).toEqual(skipped('append without timestamp'));
  });

  it('skips a status broadcast', () => {
    const status: WAMessage = { ...fx.typedKai, key: { ...fx.typedKai.key, remoteJid: 'status@broadcast' } };
    expect(toInbound(status, 'notify', ctx())).toEqual(skipped('status broadcast'));
  });

  describe('on a number shared with the owner', () => {
    const shared = ctx({ sharesOwnerNumber: true });

    it("does not treat mentions of the owner's number or replies to the owner as addressing the bot", () => {
      expect(toInbound(fx.lidMention, 'notify', shared)).toMatchObject({
        text: "@201234567890123 what's the weather?", mentionsAssistant: false, repliesToAssistant: false,
      });
      expect(toInbound(fx.replyToBot, 'notify', shared)).toMatchObject({ repliesToAssistant: false });
    });

    it('still recognises a reply to a message the bot sent, by its id', () => {
      expect(toInbound(fx.replyByStanza, 'notify', shared)).toMatchObject({ repliesToAssistant: true });
    });

    it('skips any text starting with the prefix, in groups too', () => {
      const prefixed: WAMessage = { ...fx.typedKai, message: { conversation: 'Kai: what do you think?' } };
      expect(toInbound(prefixed, 'notify', shared)).toEqual(skipped('starts with the assistant prefix'));
    });
  });
});

describe('toInbound then shouldTrigger', () => {
  const accepted = rows.filter((r) => !('skip' in r.expected));

  it('every accepted row states its trigger decision, and no skipped row does', () => {
    for (const r of rows) expect(r.triggers === undefined, r.name).toBe('skip' in r.expected);
  });

  it.each(accepted)('$name -> triggers: $triggers', ({ msg, type = 'notify', shared = false, triggers }) => {
    const result = toInbound(msg, type, ctx({ sharesOwnerNumber: shared }));
    if ('skip' in result) throw new Error(`unexpectedly skipped: ${result.reason}`);
    const target = result.chatJid === fx.BOT_PHONE_JID ? mainGroup : group();
    expect(shouldTrigger(result, target, 'Kai')).toBe(triggers);
  });

  it("on a shared number, picking the owner in the @ picker does not wake the assistant", () => {
    const result = toInbound(fx.lidMention, 'notify', ctx({ sharesOwnerNumber: true }));
    if ('skip' in result) throw new Error(result.reason);
    expect(shouldTrigger(result, group(), 'Kai')).toBe(false);
  });
});
