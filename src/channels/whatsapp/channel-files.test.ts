/** Files the agent sends reach WhatsApp as photos, videos, voice notes or documents, each once. */
import { describe, expect, it } from 'vitest';
import type { OutboundFile } from '../../domain.ts';
import { silentLogger } from '../../logger.ts';
import { openDb } from '../../store/db.ts';
import { FAST_PACE, fakeSocketFactory, linkDevice } from '../../../test/fixtures/whatsapp/fake-socket.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import { createWhatsAppChannel } from './channel.ts';

async function connected() {
  const db = openDb(':memory:');
  linkDevice(db);
  const sockets = fakeSocketFactory();
  const channel = createWhatsAppChannel({ db, socketFactory: sockets.factory, assistantName: 'Kai', sharesOwnerNumber: false,
    log: silentLogger(), bindMainChat: () => undefined, recordChat: () => undefined, pace: FAST_PACE });
  await channel.start({ onMessage: async () => undefined, onReady: () => undefined });
  sockets.last().open();
  return { channel, sock: sockets.last(), db };
}

const file = (kind: OutboundFile['kind'], fileName: string, mimeType: string): OutboundFile =>
  ({ path: `/data/outbox-files/${fileName}`, fileName, mimeType, kind, bytes: 100 });

describe('sending files to WhatsApp', () => {
  it('sends each kind the way WhatsApp shows it, with the caption in its formatting', async () => {
    const { channel, sock, db } = await connected();
    await channel.send(fx.GROUP_JID, 'the **chart**', 'k1', { file: file('image', 'chart.png', 'image/png') });
    await channel.send(fx.GROUP_JID, '', 'k2', { file: file('document', 'Lease 2027.pdf', 'application/pdf') });
    await channel.send(fx.GROUP_JID, '', 'k3', { file: file('video', 'clip.mp4', 'video/mp4') });
    await channel.send(fx.GROUP_JID, 'what I said', 'k4', { file: file('voice', 'note.ogg', 'audio/ogg') });
    expect(sock.files.map((f) => f.content)).toEqual([
      { image: { url: '/data/outbox-files/chart.png' }, mimetype: 'image/png', caption: 'the *chart*' },
      { document: { url: '/data/outbox-files/Lease 2027.pdf' }, mimetype: 'application/pdf', fileName: 'Lease 2027.pdf' },
      { video: { url: '/data/outbox-files/clip.mp4' }, mimetype: 'video/mp4' },
      { audio: { url: '/data/outbox-files/note.ogg' }, mimetype: 'audio/ogg; codecs=opus', ptt: true },
    ]);
    // A voice note has no caption: its text follows as a message of its own.
    expect(sock.sent.map((s) => s.text)).toEqual(['what I said']);

    // A retry of a file already sent (the process died before the outbox heard) sends nothing again.
    await channel.send(fx.GROUP_JID, 'the **chart**', 'k1', { file: file('image', 'chart.png', 'image/png') });
    expect(sock.files).toHaveLength(4);
    await channel.stop();
    db.close();
  });
});
