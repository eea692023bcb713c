/** What the WhatsApp channel tells of inbound upserts: each handled as a whole, and a store retried. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecorder } from '../../../test/fixtures/event-recorder.ts';
import { fakeSocketFactory, linkDevice } from '../../../test/fixtures/whatsapp/fake-socket.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import type { InboundMessage } from '../../domain.ts';
import { silentLogger } from '../../logger.ts';
import { openDb } from '../../store/db.ts';
import { createWhatsAppChannel } from './channel.ts';

afterEach(() => { vi.useRealTimers(); });

/** `atEmit` runs as each event is emitted, to see the state an observer would find. */
async function connected(onMessage: (m: InboundMessage) => Promise<void>, atEmit: () => void = () => undefined) {
  const db = openDb(':memory:');
  linkDevice(db);
  const sockets = fakeSocketFactory();
  const events = createRecorder();
  const channel = createWhatsAppChannel({ db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false,
    log: silentLogger(), bindMainChat: () => undefined, recordChat: () => undefined, now: () => fx.NOW_MS,
    emit: (e) => { atEmit(); events.emit(e); } });
  await channel.start({ onMessage, onReady: () => undefined });
  sockets.last().open();
  return { sock: sockets.last(), events, stop: async () => { await channel.stop(); db.close(); } };
}

describe('the WhatsApp channel\'s events', () => {
  it('tells an upsert was handled once each of its messages went through the router or was skipped', async () => {
    const routed: string[] = [];
    const seen: string[][] = [];
    const { sock, events, stop } = await connected(async (m) => { await new Promise((r) => setImmediate(r)); routed.push(m.id); },
      () => seen.push([...routed]));
    sock.deliver([fx.typedKai, fx.reaction]);
    expect(await events.next('upsert-handled')).toEqual({ type: 'upsert-handled', ids: [fx.typedKai.key.id, fx.reaction.key.id] });
    expect(seen).toEqual([[fx.typedKai.key.id]]); // routed before the event; the reaction is skipped, never routed
    await stop();
  });

  it('tells of a message it could not store yet, and of the upsert once the retry stored it', async () => {
    vi.useFakeTimers();
    let tries = 0;
    const { sock, events, stop } = await connected(async () => { if (++tries === 1) throw new Error('database is locked'); });
    sock.deliver([fx.typedKai]);
    expect(await events.next('message-store-retry')).toEqual({ type: 'message-store-retry', chatJid: fx.GROUP_JID,
      msgId: fx.typedKai.key.id, attempt: 1, retryInMs: 1000 });
    expect(events.of('upsert-handled')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    await events.next('upsert-handled');
    expect(tries).toBe(2);
    await stop();
  });
});
