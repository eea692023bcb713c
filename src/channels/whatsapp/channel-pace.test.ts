/** The channel spaces its sends by the pace it was given, per chat and overall (send-pace.ts decides). */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.ts';
import { openDb } from '../../store/db.ts';
import { fakeSocketFactory } from '../../../test/fixtures/whatsapp/fake-socket.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import { createSqliteAuthState } from './auth-store.ts';
import { createWhatsAppChannel } from './channel.ts';

describe('sending politely', () => {
  it('spaces the chunks of a long reply, and replies to two chats, instead of sending them in a burst', async () => {
    const db = openDb(':memory:');
    const auth = createSqliteAuthState(db);
    auth.state.creds.me = { id: fx.BOT_USER_ID, name: 'Kai' };
    auth.state.creds.registered = true;
    auth.saveCreds();
    const sockets = fakeSocketFactory();
    const channel = createWhatsAppChannel({ db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false,
      log: silentLogger(), bindMainChat: () => undefined, recordChat: () => undefined,
      pace: { perChatGapMs: 150, overallGapMs: 60, windowMs: 60_000, maxPerWindow: 100 } });
    await channel.start({ onMessage: async () => undefined, onReady: () => undefined });
    sockets.last().open();

    const long = Array.from({ length: 3 }, (_, i) => `${'word '.repeat(700)}part ${i}`).join('\n\n');
    await Promise.all([channel.send(fx.GROUP_JID, long, 'k1'), channel.send(fx.ALICE_PHONE_JID, 'short one', 'k2')]);
    const sent = sockets.last().sent;
    expect(sent.filter((s) => s.jid === fx.GROUP_JID)).toHaveLength(3);
    // Lower bounds only: a busy machine makes the gaps longer, never shorter (1 ms for timer rounding).
    const times = (jid: string) => sent.filter((s) => s.jid === jid).map((s) => s.at);
    const group = times(fx.GROUP_JID);
    for (let i = 1; i < group.length; i++) expect(group[i]! - group[i - 1]!).toBeGreaterThanOrEqual(149);
    const all = sent.map((s) => s.at).sort((a, b) => a - b);
    for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBeGreaterThanOrEqual(59);
    await channel.stop();
    db.close();
  });
});
