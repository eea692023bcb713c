/** @module The one interface every chat channel (WhatsApp, the local terminal) implements. */
import type { InboundMessage, OutboundFile, QuoteRef } from '../domain.ts';

/** A send the channel could not confirm; the outbox keeps the reply and tries again later. */
export class ChannelUnavailable extends Error {
  override name = 'ChannelUnavailable';
}

/**
 * The channel is up, but the other side refused this one message (WhatsApp rejected it while
 * connected). Unlike being unavailable, trying again may never help: after a few refusals the
 * outbox sets the reply aside so the replies after it are not held up.
 */
export class ChannelRefused extends Error {
  override name = 'ChannelRefused';
}

/** A file larger than the caller allowed: the download stopped there. */
export class MediaTooLarge extends Error {
  override name = 'MediaTooLarge';
}

/** Downloads the file a message came with, stopping with MediaTooLarge past `maxBytes`. */
export type FetchAttachment = (maxBytes: number) => Promise<Uint8Array>;

export type ChannelEvents = {
  /**
   * A new message; the router must have stored it before the returned promise resolves. `fetch`
   * downloads its attachment, for the router to keep if the chat is a registered group's.
   */
  onMessage: (msg: InboundMessage, fetch?: FetchAttachment) => Promise<void>;
  /** The channel (re)connected: pending replies for its chats may go out now. */
  onReady: () => void;
};

export type SendExtras = { file?: OutboundFile; quote?: QuoteRef };

export interface Channel {
  readonly name: string;
  /** Whether this channel delivers to `chatJid`. */
  owns(chatJid: string): boolean;
  /**
   * Delivers `text` (with `file`, its caption; with `quote`, as an answer to that message, where the
   * channel can show one) and resolves only once the other side accepted it. `key` is stable
   * across retries of the same reply, so a channel that can de-duplicate does.
   */
  send(chatJid: string, text: string, key: string, extras?: SendExtras): Promise<void>;
  /** The assistant is working on an answer for this chat (typing indicator); best effort. */
  setTyping?(chatJid: string, typing: boolean): void;
  /** Reacts to a message with an emoji (the acknowledgement that it was seen); best effort. */
  react?(msg: InboundMessage, emoji: string): void;
  start(events: ChannelEvents): Promise<void>;
  stop(): Promise<void>;
}
