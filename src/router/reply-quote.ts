/**
 * @module Whether a reply shows, as WhatsApp's quote, the message it answers. Pure. In a busy group
 * an answer that arrives after others have spoken is hard to place; right after the question it
 * needs no quote. REPLY_QUOTE: always, auto (only when the chat has moved on), never.
 */
import type { QuoteRef, StoredMessage } from '../domain.ts';

export const quoteModes = ['always', 'auto', 'never'] as const;
export type QuoteMode = (typeof quoteModes)[number];

const QUOTE_CHARS = 200;

/** `answered`: the message that woke the assistant for this answer; `laterInChat`: messages since. */
export function chooseQuote(mode: QuoteMode, answered: StoredMessage | undefined, laterInChat: number): QuoteRef | undefined {
  if (!answered || mode === 'never' || (mode === 'auto' && laterInChat === 0)) return undefined;
  const text = answered.text || (answered.attachment ? `[${answered.attachment.kind}]` : '');
  return { id: answered.msgId, senderId: answered.senderId, text: text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text };
}
