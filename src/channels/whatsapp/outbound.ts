/**
 * @module How a reply is cut and marked before it goes to WhatsApp. Pure.
 */
import { createHash } from 'node:crypto';
import { isJidGroup, jidNormalizedUser, type AnyMessageContent, type WAMessage } from '@whiskeysockets/baileys';
import type { OutboundFile, QuoteRef } from '../../domain.ts';

export const MAX_CHUNK_CHARS = 4000;

/**
 * Splits text into chunks of at most `max` characters, preferring paragraph breaks, then line
 * breaks, then spaces; a single unbroken run longer than `max` is cut hard.
 */
export function splitReply(text: string, max = MAX_CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut = [window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' ')]
      .find((i) => i > max / 2) ?? max;
    chunks.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) chunks.push(rest);
  return chunks;
}

/** When the bot shares the owner's number, people must see which messages are the assistant's. */
export function withPrefix(text: string, assistantName: string, sharesOwnerNumber: boolean): string {
  return sharesOwnerNumber ? `${assistantName}: ${text}` : text;
}

/**
 * A WhatsApp message id derived from the outbox key and chunk: a resend after a crash carries the
 * same id, so WhatsApp shows the message once. Shaped like Baileys' own ids ("3EB0" + hex).
 */
export function messageIdFor(key: string, chunk: number): string {
  return `3EB0${createHash('sha256').update(`${key}#${chunk}`).digest('hex').slice(0, 36).toUpperCase()}`;
}

/**
 * The Baileys message for a file: photos and videos shown in the chat with their caption, audio
 * (a voice note as push-to-talk), anything else as a document under its name. Audio carries no
 * caption: `captionApart` is sent as a message of its own after it.
 */
export function fileContent(file: OutboundFile, caption: string): { content: AnyMessageContent; captionApart?: string } {
  const media = { url: file.path };
  const withCaption = caption ? { caption } : {};
  switch (file.kind) {
    case 'image': return { content: { image: media, mimetype: file.mimeType, ...withCaption } };
    case 'video': return { content: { video: media, mimetype: file.mimeType, ...withCaption } };
    case 'voice': return { content: { audio: media, mimetype: 'audio/ogg; codecs=opus', ptt: true }, ...(caption ? { captionApart: caption } : {}) };
    case 'audio': return { content: { audio: media, mimetype: file.mimeType }, ...(caption ? { captionApart: caption } : {}) };
    case 'document': return { content: { document: media, mimetype: file.mimeType, fileName: file.fileName, ...withCaption } };
  }
}

/** The message a reply answers, as Baileys needs it to show the reply as an answer to it. */
export function quotedMessage(chatJid: string, quote: QuoteRef, bot: { phoneJid: string; lid?: string } | undefined): WAMessage {
  const own = !!bot && [bot.phoneJid, bot.lid].filter(Boolean).map((j) => jidNormalizedUser(j)).includes(jidNormalizedUser(quote.senderId));
  return {
    key: { remoteJid: chatJid, id: quote.id, fromMe: own, ...(isJidGroup(chatJid) ? { participant: quote.senderId } : {}) },
    message: { conversation: quote.text },
  };
}
