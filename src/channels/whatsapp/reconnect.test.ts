/**
 * The reconnect policy with the real Baileys socket: pointed at a closed loopback port it closes
 * (408, no network needed), and the channel's backoff schedule is observed through its timer port.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.ts';
import { openDb } from '../../store/db.ts';
import { createSqliteAuthState } from './auth-store.ts';
import { baileysSocketFactory } from './baileys-socket.ts';
import { createWhatsAppChannel } from './channel.ts';

describe('reconnecting with the real Baileys socket', () => {
  it('backs off 1 s, 2 s, 4 s (±20%) after repeated 408 closes, one timer at a time', async () => {
    const db = openDb(':memory:');
    const auth = createSqliteAuthState(db);
    auth.state.creds.me = { id: '15550001111:7@s.whatsapp.net', name: 'Kai' };
    auth.state.creds.registered = true;
    auth.saveCreds();

    const codes: (number | undefined)[] = [];
    const timers: { ms: number; fn: () => void }[] = [];
    const log = silentLogger();
    const closedPort = baileysSocketFactory(log, { waWebSocketUrl: 'ws://127.0.0.1:1/ws/chat' });
    const channel = createWhatsAppChannel({
      db, assistantName: 'Kai', sharesOwnerNumber: true, log, bindMainChat: () => undefined, recordChat: () => undefined,
      socketFactory: (o) => {
        const s = closedPort(o);
        s.ev.on('connection.update', (u) => {
          if (u.connection === 'close') codes.push((u.lastDisconnect?.error as { output?: { statusCode?: number } }).output?.statusCode);
        });
        return s;
      },
      setTimer: (fn, ms) => { timers.push({ ms, fn }); return { cancel: () => undefined }; },
    });
    await channel.start({ onMessage: async () => undefined, onReady: () => undefined });

    for (let i = 1; i <= 3; i++) {
      const deadline = Date.now() + 15_000;
      while (timers.length < i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(timers).toHaveLength(i);
      if (i < 3) timers[i - 1]!.fn(); // the reconnect fires: a new real socket, which fails again
    }
    await channel.stop();
    expect(codes).toEqual([408, 408, 408]);
    const [a, b, c] = timers.map((t) => t.ms);
    expect(a).toBeGreaterThanOrEqual(800); expect(a).toBeLessThanOrEqual(1200);
    expect(b).toBeGreaterThanOrEqual(1600); expect(b).toBeLessThanOrEqual(2400);
    expect(c).toBeGreaterThanOrEqual(3200); expect(c).toBeLessThanOrEqual(4800);
    expect(channel.status()).toBe('stopped');
    db.close();
  });
});
