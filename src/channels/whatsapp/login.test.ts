import { describe, expect, it } from 'vitest';
import { openDb } from '../../store/db.ts';
import { createRecorder } from '../../../test/fixtures/event-recorder.ts';
import { fakeSocketFactory } from '../../../test/fixtures/whatsapp/fake-socket.ts';
import { createSqliteAuthState } from './auth-store.ts';
import { login } from './login.ts';

/** What login printed, kept in order; `shown.next('print')` waits for the next line instead of sleeping. */
function screen() {
  const printed: string[] = [];
  const shown = createRecorder<{ type: 'print'; text: string }>();
  return { printed, shown, print: (text: string) => { printed.push(text); shown.emit({ type: 'print', text }); } };
}

describe('nanokimi login', () => {
  it('shows a QR code, survives the 515 restart after pairing, and ends linked', async () => {
    const db = openDb(':memory:');
    const sockets = fakeSocketFactory();
    const { printed, shown, print } = screen();
    const done = login({ db, socketFactory: sockets.factory, print });
    const first = sockets.last();
    first.emitter.emit('connection.update', { qr: '2@abc,def,ghi' });
    await shown.next('print');
    expect(printed[0]).toMatch(/^Scan with your phone/);
    expect(printed[0]).toMatch(/[▀▄█]/);
    // The phone scanned: Baileys saves creds, then WhatsApp asks for a restart.
    Object.assign(first.options.auth.creds, { me: { id: '15550001111:7@s.whatsapp.net' }, account: {}, registered: true });
    first.emitter.emit('creds.update', {});
    first.close(515);
    const second = sockets.last();
    expect(second).not.toBe(first);
    second.open();
    expect(await done).toEqual({ ok: true, me: '15550001111:7@s.whatsapp.net' });
    expect(createSqliteAuthState(db).hasCreds()).toBe(true);
  });

  it('prints an 8-character pairing code for a phone number instead of a QR', async () => {
    const db = openDb(':memory:');
    const sockets = fakeSocketFactory();
    const { printed, shown, print } = screen();
    const done = login({ db, socketFactory: sockets.factory, pairingPhone: '+34 600 111 222', print });
    sockets.last().emitter.emit('connection.update', { qr: '2@abc' });
    await shown.next('print');
    expect(printed).toEqual([expect.stringContaining('    ABCD1234')]);
    sockets.last().close(401);
    expect(await done).toMatchObject({ ok: false, message: expect.stringMatching(/refused the link \(401\)/) });
    expect(printed).toHaveLength(1); // the code once, nothing after it
  });

  it('refuses a host that is already linked, and a phone number with no digits', async () => {
    const db = openDb(':memory:');
    const auth = createSqliteAuthState(db);
    Object.assign(auth.state.creds, { me: { id: '1@s.whatsapp.net' }, registered: true, account: {} });
    auth.saveCreds();
    const sockets = fakeSocketFactory();
    expect(await login({ db, socketFactory: sockets.factory, print: () => undefined }))
      .toMatchObject({ ok: false, message: expect.stringMatching(/already linked.*--relink/) });
    const fresh = openDb(':memory:');
    expect(await login({ db: fresh, socketFactory: sockets.factory, pairingPhone: 'abc', print: () => undefined }))
      .toMatchObject({ ok: false, message: expect.stringMatching(/not a phone number/) });
    expect(sockets.sockets).toHaveLength(0);
  });
});
