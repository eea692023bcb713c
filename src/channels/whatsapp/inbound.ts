/** @module Turns one Baileys `messages.upsert` message into an InboundMessage, or says why it is skipped. Pure. */
import { getContentType, isJidGroup, isJidStatusBroadcast, jidDecode, jidNormalizedUser, normalizeMessageContent } from '@whiskeysockets/baileys';
import type { proto, WAMessage } from '@whiskeysockets/baileys';
import { attachmentKindWords, type AttachmentInfo, type InboundMessage, type InboundQuoted } from '../../domain.ts';

/** The bot's own identities, e.g. '15550001111@s.whatsapp.net' and '201234567890123@lid'. */
export type BotIdentity = { phoneJid: string; lid?: string };

export type InboundContext = {
  bot: BotIdentity;
  /** e.g. 'Kai' */
  assistantName: string;
  /** The bot runs on the owner's own number: replies carry `${assistantName}: ` and such text never triggers. */
  sharesOwnerNumber: boolean;
  /** Ids of messages the bot sent, to drop their echoes. */
  isOwnSentMessage: (id: string) => boolean;
  /** Whether `id` in `chatJid` is one of the bot's messages (reply-to-bot detection through the quoted stanzaId). */
  isBotMessage: (chatJid: string, id: string) => boolean;
  /** Milliseconds since the epoch; only for the 'append' recency window and a missing timestamp. */
  now: number;
};

export type Skip = { skip: true; reason: string };

/** Messages delivered by 'append' (after a reconnect) older than this are history, not conversation. */
const APPEND_WINDOW_MS = 10 * 60_000;

const skip = (reason: string): Skip => ({ skip: true, reason });

export function toInbound(msg: WAMessage, upsertType: 'notify' | 'append', ctx: InboundContext): InboundMessage | Skip {
  const { remoteJid, id, fromMe } = msg.key;
  if (!remoteJid || !id) return skip('no remoteJid or id');
  if (msg.messageStubType) return skip(`stub message (type ${msg.messageStubType})`);
  if (isJidStatusBroadcast(remoteJid)) return skip('status broadcast');
  const content = normalizeMessageContent(msg.message);
  if (!content) return skip('no message content');
  if (content.protocolMessage) return skip('protocol message');
  if (content.reactionMessage) return skip('reaction');
  const type = getContentType(content);
  if (!type) return skip(content.senderKeyDistributionMessage ? 'sender key distribution only' : 'no content type');

  if (ctx.isOwnSentMessage(id)) return skip('echo of our own send');
  const bot = botJids(ctx.bot);
  const isSelfChat = bot.has(jidNormalizedUser(remoteJid));
  const isGroupChat = isJidGroup(remoteJid) === true;
  // On a shared number the owner's own messages in a group are people's messages like any other
  // (their "@Kai" must wake it); the bot's own sends were dropped as echoes just above. Elsewhere
  // fromMe is the bot itself, or the owner talking to someone else in private.
  if (fromMe && !isSelfChat && !(ctx.sharesOwnerNumber && isGroupChat)) return skip('fromMe outside the self-chat');

  const rawText = textOf(content, type) ?? '';
  const attachment = attachmentOf(content);
  // An uncaptioned photo is a message too; only what has neither text nor a file is skipped.
  if (!rawText.trim() && !attachment) return skip(`no text (${type})`);
  if (ctx.sharesOwnerNumber && rawText.startsWith(`${ctx.assistantName}:`)) return skip('starts with the assistant prefix');

  const sentAt = toMillis(msg.messageTimestamp);
  if (upsertType === 'append') {
    if (sentAt === undefined) return skip('append without timestamp');
    if (ctx.now - sentAt > APPEND_WINDOW_MS) return skip('append older than 10 minutes');
  }

  const chatJid = isSelfChat ? jidNormalizedUser(ctx.bot.phoneJid) : remoteJid;
  const sender = senderOf(msg, isGroupChat, isSelfChat || fromMe === true, ctx.bot);
  if (!sender) return skip('group message without participant');

  const info = contextInfoOf(content, type);
  // On a shared number, the bot's JID is the owner's: mentions of it and replies to it address the owner.
  const addressesBot = (jid: string | null | undefined) => !ctx.sharesOwnerNumber && !!jid && bot.has(jidNormalizedUser(jid));
  const mentionsAssistant = (info?.mentionedJid ?? []).some(addressesBot);
  const repliesToAssistant =
    addressesBot(info?.participant) || (!!info?.stanzaId && ctx.isBotMessage(chatJid, info.stanzaId));
  const quoted = quotedOf(info, repliesToAssistant ? ctx.assistantName : undefined);

  return {
    chatJid,
    id,
    senderId: sender.id,
    ...(sender.altId ? { senderAltId: sender.altId } : {}),
    senderName: sender.name,
    text: mentionsAssistant ? renameBotMentions(rawText, bot, ctx.assistantName) : rawText,
    sentAt: sentAt ?? ctx.now,
    mentionsAssistant,
    repliesToAssistant,
    isGroupChat,
    ...(fromMe ? { fromOwner: true } : {}),
    ...(attachment ? { attachment } : {}),
    ...(quoted ? { quoted } : {}),
  };
}

/** The file a message carries (after the ephemeral and view-once wrappers are removed), if any. */
export function attachmentOf(content: proto.IMessage): AttachmentInfo | undefined {
  const size = (n: unknown) => { const v = toNumber(n); return v !== undefined && v > 0 ? { sizeBytes: v } : {}; };
  const secs = (n: unknown) => { const v = toNumber(n); return v !== undefined && v > 0 ? { seconds: v } : {}; };
  const mime = (m: string | null | undefined, fallback: string) => (m?.trim() || fallback);
  if (content.imageMessage) {
    const m = content.imageMessage;
    return { kind: 'image', mimeType: mime(m.mimetype, 'image/jpeg'), ...size(m.fileLength) };
  }
  if (content.stickerMessage) {
    const m = content.stickerMessage;
    return { kind: 'sticker', mimeType: mime(m.mimetype, 'image/webp'), ...size(m.fileLength) };
  }
  const video = content.videoMessage ?? content.ptvMessage;
  if (video) return { kind: 'video', mimeType: mime(video.mimetype, 'video/mp4'), ...size(video.fileLength), ...secs(video.seconds) };
  if (content.audioMessage) {
    const m = content.audioMessage;
    return { kind: m.ptt ? 'voice' : 'audio', mimeType: mime(m.mimetype, 'audio/ogg'), ...size(m.fileLength), ...secs(m.seconds) };
  }
  if (content.documentMessage) {
    const m = content.documentMessage;
    const name = m.fileName?.trim();
    return { kind: 'document', mimeType: mime(m.mimetype, 'application/octet-stream'), ...(name ? { fileName: name.slice(0, 200) } : {}), ...size(m.fileLength) };
  }
  return undefined;
}

const QUOTE_CHARS = 500;

/**
 * What a reply quoted, as the agent should read it: the text, or what kind of file it was.
 * `assistantName` when the quoted message is the assistant's; otherwise the router finds the
 * sender's name among the stored messages, and until then it is their number.
 */
function quotedOf(info: proto.IContextInfo | undefined, assistantName: string | undefined): InboundQuoted | undefined {
  const q = info?.quotedMessage ? normalizeMessageContent(info.quotedMessage) : undefined;
  if (!q) return undefined;
  const type = getContentType(q);
  const file = attachmentOf(q);
  const text = (type ? textOf(q, type) : undefined)?.trim() ?? '';
  const described = file ? `[${attachmentKindWords[file.kind]}${file.fileName ? `: ${file.fileName}` : ''}]${text ? ` ${text}` : ''}` : text;
  if (!described) return undefined;
  const senderName = assistantName ?? jidDecode(info?.participant ?? undefined)?.user ?? 'someone';
  return { ...(info?.stanzaId ? { id: info.stanzaId } : {}), senderName,
    text: described.length > QUOTE_CHARS ? `${described.slice(0, QUOTE_CHARS)}…` : described };
}

/** The bot's normalized JIDs (device suffix such as ':7' stripped), phone and LID. */
function botJids(bot: BotIdentity): Set<string> {
  const jids = [bot.phoneJid, bot.lid].filter((j): j is string => !!j).map(jidNormalizedUser);
  return new Set(jids.filter(Boolean));
}

function textOf(content: proto.IMessage, type: keyof proto.IMessage): string | undefined {
  switch (type) {
    case 'conversation': return content.conversation ?? undefined;
    case 'extendedTextMessage': return content.extendedTextMessage?.text ?? undefined;
    case 'imageMessage': return content.imageMessage?.caption ?? undefined;
    case 'videoMessage': return content.videoMessage?.caption ?? undefined;
    case 'documentMessage': return content.documentMessage?.caption ?? undefined;
    default: return undefined;
  }
}

function contextInfoOf(content: proto.IMessage, type: keyof proto.IMessage): proto.IContextInfo | undefined {
  const inner: unknown = content[type];
  if (typeof inner !== 'object' || inner === null || !('contextInfo' in inner)) return undefined;
  return (inner.contextInfo as proto.IContextInfo | null | undefined) ?? undefined;
}

/** A number, a Long, or a Long's plain `{low, high, unsigned}` after JSON, as a number. */
function toNumber(n: unknown): number | undefined {
  if (n === null || n === undefined) return undefined;
  const v = typeof n === 'object'
    ? (() => { const l = n as { low: number; high: number; unsigned?: boolean };
      return (l.unsigned ? l.high >>> 0 : l.high | 0) * 2 ** 32 + (l.low >>> 0); })()
    : Number(n);
  return Number.isFinite(v) ? v : undefined;
}

/** Seconds since the epoch to milliseconds. */
function toMillis(ts: WAMessage['messageTimestamp']): number | undefined {
  const seconds = toNumber(ts);
  return seconds !== undefined && seconds > 0 ? seconds * 1000 : undefined;
}

type Sender = { id: string; altId?: string; name: string };

/** `isOwner`: the message is fromMe (the self-chat, or the owner in a group on a shared number). */
function senderOf(msg: WAMessage, isGroupChat: boolean, isOwner: boolean, bot: BotIdentity): Sender | undefined {
  const { key } = msg;
  const [jid, alt] = isOwner
    ? [bot.phoneJid, undefined]
    : isGroupChat
      ? [key.participant ?? msg.participant, key.participantAlt]
      : [key.remoteJid, key.remoteJidAlt];
  if (!jid) return undefined;
  // A phone number says more than a LID when the sender has no push name.
  const number = jidDecode(alt ?? undefined)?.user ?? jidDecode(jid)?.user ?? jid;
  return { id: jidNormalizedUser(jid), ...(alt ? { altId: jidNormalizedUser(alt) } : {}), name: msg.pushName?.trim() || number };
}

/** WhatsApp's @-picker writes the bot's digits ("@201234567890123"): the agent should read "@Kai". */
function renameBotMentions(text: string, bot: Set<string>, assistantName: string): string {
  const digits = [...bot].map((j) => jidDecode(j)?.user ?? '').filter((u) => /^\d+$/.test(u));
  if (digits.length === 0) return text;
  return text.replace(new RegExp(`@(?:${digits.join('|')})(?!\\d)`, 'g'), `@${assistantName}`);
}
