/**
 * @module Downloads the file of a message through Baileys (decrypting it on the way), asking the
 * sender's phone to upload it again when WhatsApp's server no longer has it (404/410), and stopping
 * as soon as the file is larger than allowed or the download hangs.
 */
import { downloadMediaMessage, type WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from '../../logger.ts';
import { MediaTooLarge } from '../channel.ts';

export type MediaDownloadDeps = {
  /** The socket's `updateMediaMessage`: the re-upload request. */
  reupload: (msg: WAMessage) => Promise<WAMessage>;
  logger: Logger;
  /** fetch options for the media host (only tests set them, to reach a local server). */
  fetchOptions?: RequestInit;
  timeoutMs?: number;
};

export async function downloadMedia(msg: WAMessage, maxBytes: number, deps: MediaDownloadDeps): Promise<Buffer> {
  const timeoutMs = deps.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the download took longer than ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const open = (m: WAMessage) => downloadMediaMessage(m, 'stream', deps.fetchOptions ? { options: deps.fetchOptions } : {});
  const download = (async () => {
    let stream: Awaited<ReturnType<typeof open>>;
    try {
      stream = await open(msg);
    } catch (err) {
      // Gone from WhatsApp's server: the sender's phone can upload it again. (Baileys rc14 would do
      // this itself, but it looks for `error.status`, which its Boom errors never have.)
      const status = (err as { output?: { statusCode?: number } }).output?.statusCode;
      if (status !== 404 && status !== 410) throw err;
      deps.logger.info({ id: msg.key.id, status }, 'Media gone from the server; asking the phone to upload it again');
      stream = await open(await deps.reupload(msg));
    }
    timedOut.catch(() => stream.destroy());
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        throw new MediaTooLarge(`the file is over ${Math.round(maxBytes / 1024 / 1024)} MB`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  })();
  try {
    return await Promise.race([download, timedOut]);
  } finally {
    clearTimeout(timer);
    download.catch(() => undefined);
  }
}
