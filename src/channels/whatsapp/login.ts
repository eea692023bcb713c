/**
 * @module `nanokimi login`: links this host to WhatsApp as a device of the owner's phone, showing a
 * QR code in the terminal or, for a headless host, an 8-character pairing code. Interactive on
 * purpose: the service never shows QR codes; it says once that it needs linking.
 */
import QRCode from 'qrcode';
import type { Db } from '../../store/db.ts';
import { createSqliteAuthState } from './auth-store.ts';
import type { WaSocket, WaSocketFactory } from './socket-port.ts';

export type LoginDeps = {
  db: Db;
  socketFactory: WaSocketFactory;
  /** Digits of the phone number (country code first) to get a pairing code instead of a QR. */
  pairingPhone?: string;
  print: (text: string) => void;
};

export type LoginResult = { ok: true; me: string } | { ok: false; message: string };

export async function login(deps: LoginDeps): Promise<LoginResult> {
  const auth = createSqliteAuthState(deps.db);
  if (auth.hasCreds()) {
    return { ok: false, message: 'this host is already linked. To link it again, run `nanokimi login --relink` (it forgets the old link).' };
  }
  const phone = deps.pairingPhone?.replace(/\D/g, '');
  if (deps.pairingPhone !== undefined && !phone) {
    return { ok: false, message: `"${deps.pairingPhone}" is not a phone number: give the digits with the country code, e.g. 34600111222` };
  }
  return new Promise<LoginResult>((resolve) => {
    let codeRequested = false;
    const open = (): WaSocket => {
      const s = deps.socketFactory({ auth: auth.state, getMessage: async () => undefined, cachedGroupMetadata: async () => undefined,
        msgRetryCounterCache: { get: () => undefined, set: () => undefined, del: () => undefined, flushAll: () => undefined } });
      s.ev.on('creds.update', () => auth.saveCreds());
      s.ev.on('connection.update', (u) => {
        if (u.qr && phone && !codeRequested && !auth.state.creds.registered) {
          codeRequested = true;
          void s.requestPairingCode(phone).then(
            (code) => deps.print(`On your phone: WhatsApp > Linked devices > Link a device > Link with phone number, and enter:\n\n    ${code}\n`),
            (err: unknown) => { s.end(undefined); resolve({ ok: false, message: `WhatsApp refused to give a pairing code: ${String(err)}` }); });
        } else if (u.qr && !phone) {
          void QRCode.toString(u.qr, { type: 'terminal', small: true }).then((qr) =>
            deps.print(`Scan with your phone: WhatsApp > Linked devices > Link a device\n${qr}`));
        }
        if (u.connection === 'open') {
          const me = s.user?.id ?? auth.state.creds.me?.id ?? '';
          auth.saveCreds();
          s.end(undefined);
          resolve({ ok: true, me });
        } else if (u.connection === 'close') {
          const code = (u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
          // 515 right after pairing is normal: WhatsApp wants a fresh connection with the new creds.
          if (code === 515) { open(); return; }
          resolve({ ok: false, message: code === 401
            ? 'WhatsApp refused the link (401). Try again: `nanokimi login`.'
            : `the connection closed before the device was linked (${code ?? 'no code'}). Check the network and try again.` });
        }
      });
      return s;
    };
    open();
  });
}
