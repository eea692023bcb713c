import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../logger.ts';
import * as fx from '../../../test/fixtures/whatsapp/messages.ts';
import { startMediaServer, withMedia, type MediaServer } from '../../../test/fixtures/whatsapp/media-server.ts';
import { MediaTooLarge } from '../channel.ts';
import { downloadMedia } from './media-download.ts';

let media: MediaServer;
beforeEach(async () => { media = await startMediaServer(); });
afterEach(async () => { await media.close(); });

const noReupload = async () => { throw new Error('no re-upload expected'); };

describe('downloading a message\'s file through Baileys', () => {
  it('fetches from the media host and decrypts with the message\'s key', async () => {
    const photo = randomBytes(50_000);
    const msg = withMedia(fx.imageWithCaption, 'imageMessage', await media.publish(photo, 'image'));
    const got = await downloadMedia(msg, 1024 * 1024, { reupload: noReupload, logger: silentLogger(), fetchOptions: media.fetchOptions });
    expect(got.equals(photo)).toBe(true);
    expect(media.requests).toHaveLength(1);
  });

  it('asks the phone to upload it again when the server no longer has it (410), then fetches the new copy', async () => {
    const note = randomBytes(12_000);
    const first = await media.publish(note, 'audio');
    media.expire(first.directPath);
    const msg = withMedia(fx.voiceNote, 'audioMessage', first);
    const reuploaded: string[] = [];
    const got = await downloadMedia(msg, 1024 * 1024, { logger: silentLogger(), fetchOptions: media.fetchOptions,
      reupload: async (m) => {
        reuploaded.push(m.key.id!);
        // The phone re-encrypts nothing: the same key, a new location.
        const again = await media.publish(note, 'audio');
        return withMedia(m, 'audioMessage', { ...first, directPath: again.directPath, url: again.url,
          mediaKey: again.mediaKey, fileEncSha256: again.fileEncSha256 });
      } });
    expect(got.equals(note)).toBe(true);
    expect(reuploaded).toEqual([fx.voiceNote.key.id]);
  });

  it('stops at the size limit instead of holding a file too large', async () => {
    const msg = withMedia(fx.documentWithCaption, 'documentMessage', await media.publish(randomBytes(300_000), 'document'));
    await expect(downloadMedia(msg, 100_000, { reupload: noReupload, logger: silentLogger(), fetchOptions: media.fetchOptions }))
      .rejects.toThrow(MediaTooLarge);
  });
});
