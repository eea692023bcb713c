/**
 * @module What every Channel promises the router and the outbox, as one suite each implementation
 * runs (channel.test.ts): which chats it owns, that a send resolves only once the other side
 * accepted it and fails with ChannelUnavailable when it cannot, that a reply is shown once per key
 * however often it is sent, and that inbound messages reach the router with a chat it owns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelUnavailable, type Channel } from '../../src/channels/channel.ts';
import type { InboundMessage } from '../../src/domain.ts';

export type ChannelHarness = {
  channel: Channel;
  /** A chat the channel delivers to. */
  chat: string;
  /** A chat of some other channel. */
  foreign: string;
  /** Makes delivery to `chat` possible (a terminal connects, WhatsApp opens). */
  connect(): Promise<void>;
  /** Makes it impossible (the terminal leaves, the connection drops). */
  disconnect(): Promise<void>;
  /** The replies the other side shows, in order. */
  shown(): string[];
  /** Someone on the other side writes `text` to `chat`. */
  write(text: string): Promise<void>;
  /** What the channel handed the router. */
  received: InboundMessage[];
  close(): Promise<void>;
};

export function channelContract(name: string, make: () => Promise<ChannelHarness>): void {
  describe(`the Channel contract: ${name}`, () => {
    let h: ChannelHarness | undefined;
    afterEach(async () => { await h?.close(); h = undefined; });
    const until = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 10)); }
    };

    it('owns its chats and no others', async () => {
      h = await make();
      expect(h.channel.owns(h.chat)).toBe(true);
      expect(h.channel.owns(h.foreign)).toBe(false);
    });

    it('a send it cannot deliver fails with ChannelUnavailable, so the outbox keeps the reply', async () => {
      h = await make();
      await expect(h.channel.send(h.chat, 'nobody there', 'k-1')).rejects.toBeInstanceOf(ChannelUnavailable);
      expect(h.shown()).toEqual([]);
    });

    it('a send resolves once the other side has the reply', async () => {
      h = await make();
      await h.connect();
      await h.channel.send(h.chat, 'hello there', 'k-2');
      expect(h.shown()).toEqual(['hello there']);
    });

    it('the same reply sent again under its key is shown once', async () => {
      h = await make();
      await h.connect();
      await h.channel.send(h.chat, 'only once', 'k-3');
      await h.channel.send(h.chat, 'only once', 'k-3');
      expect(h.shown()).toEqual(['only once']);
    });

    it('fails with ChannelUnavailable again after the other side went away', async () => {
      h = await make();
      await h.connect();
      await h.disconnect();
      await expect(h.channel.send(h.chat, 'gone', 'k-4')).rejects.toBeInstanceOf(ChannelUnavailable);
    });

    it('hands what the other side writes to the router, with a chat it owns', async () => {
      h = await make();
      await h.connect();
      await h.write('a message in');
      await until('the message to reach the router', () => h!.received.length > 0);
      expect(h.received[0]).toMatchObject({ text: 'a message in' });
      expect(h.channel.owns(h.received[0]!.chatJid)).toBe(true);
    });
  });
}
