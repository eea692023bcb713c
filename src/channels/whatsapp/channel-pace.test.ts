/** The channel spaces its sends by the pace it was given, per chat and overall (send-pace.ts decides). */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.ts';
import { openDb } from '../../store/db.ts';
import { fakeSocketFactory, linkDevice } from '../../../test/fixtures/whatsapp/fake-socket.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import { createWhatsAppChannel } from './channel.ts';

/**
 * Virtual time: sleepers wake in the order of their wake times, the clock set to each one's, once
 * everything else running has reached its next sleep. The spacing is then exact, whatever the load.
 */
function virtualClock() {
  let t = 1_000_000;
  const sleepers: { at: number; wake: () => void }[] = [];
  let scheduled = false;
  const step = () => {
    scheduled = false;
    sleepers.sort((a, b) => a.at - b.at);
    const next = sleepers.shift();
    if (!next) return;
    t = next.at;
    next.wake();
    if (sleepers.length > 0) schedule();
  };
  const schedule = () => { if (!scheduled) { scheduled = true; setImmediate(step); } };
  return { now: () => t, sleep: (ms: number) => new Promise<void>((wake) => { sleepers.push({ at: t + ms, wake }); schedule(); }) };
}

describe('sending politely', () => {
  it('spaces the chunks of a long reply, and replies to two chats, instead of sending them in a burst', async () => {
    const clock = virtualClock();
    const db = openDb(':memory:');
    linkDevice(db);
    const sockets = fakeSocketFactory();
    const channel = createWhatsAppChannel({ db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false,
      log: silentLogger(), bindMainChat: () => undefined, recordChat: () => undefined,
      pace: { perChatGapMs: 150, overallGapMs: 60, windowMs: 60_000, maxPerWindow: 100 }, paceClock: clock });
    await channel.start({ onMessage: async () => undefined, onReady: () => undefined });
    sockets.last().open();
    sockets.last().clock = clock.now;

    const long = Array.from({ length: 3 }, (_, i) => `${'word '.repeat(700)}part ${i}`).join('\n\n');
    await Promise.all([channel.send(fx.GROUP_JID, long, 'k1'), channel.send(fx.ALICE_PHONE_JID, 'short one', 'k2')]);
    const sent = sockets.last().sent;
    expect(sent.filter((s) => s.jid === fx.GROUP_JID)).toHaveLength(3);
    const times = (jid: string) => sent.filter((s) => s.jid === jid).map((s) => s.at);
    const group = times(fx.GROUP_JID);
    for (let i = 1; i < group.length; i++) expect(group[i]! - group[i - 1]!).toBeGreaterThanOrEqual(150);
    const all = sent.map((s) => s.at).sort((a, b) => a - b);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(60);
    await channel.stop();
    db.close();
  });
});
