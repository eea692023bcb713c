/**
 * @module What becomes of a message's file before the message is stored: downloaded and kept in the
 * group's folder (with a transcript, for a voice note, when a transcriber is set), or the reason it
 * is not there: too large, a chat nobody registered, or the download failed. Nothing here throws:
 * the message is stored either way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaTooLarge, type FetchAttachment } from '../channels/channel.ts';
import type { AttachmentInfo, StoredAttachment } from '../domain.ts';
import type { Logger } from '../logger.ts';
import { mediaFileName, saveMedia } from './store.ts';
import type { Transcribe } from './transcribe.ts';

export type KeeperDeps = {
  groupsDir: string;
  timeZone: string;
  maxBytes: number;
  transcribe?: Transcribe;
  log: Logger;
};

export type KeepRequest = { msgId: string; sentAt: number; info: AttachmentInfo; folder: string | null; fetch?: FetchAttachment };

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function createMediaKeeper(deps: KeeperDeps) {
  const limit = `the limit is ${mb(deps.maxBytes)} (MEDIA_MAX_MB)`;
  return {
    async keep(req: KeepRequest): Promise<StoredAttachment> {
      const { info } = req;
      if (req.folder === null) return { ...info, missing: 'not downloaded: this chat is not a registered group' };
      if (!req.fetch) return { ...info, missing: 'not downloaded: this channel cannot fetch files' };
      if (info.sizeBytes !== undefined && info.sizeBytes > deps.maxBytes) {
        return { ...info, missing: `not downloaded: ${mb(info.sizeBytes)} is too large, ${limit}` };
      }
      let bytes: Uint8Array;
      try {
        bytes = await req.fetch(deps.maxBytes);
      } catch (err) {
        if (err instanceof MediaTooLarge) return { ...info, missing: `not downloaded: it is too large, ${limit}` };
        deps.log.warn({ group: req.folder, id: req.msgId, err: String(err) }, 'A message\'s file could not be downloaded');
        return { ...info, missing: `could not be downloaded (${String((err as Error).message ?? err).slice(0, 200)})` };
      }
      let file: string;
      try {
        file = saveMedia(deps.groupsDir, req.folder, mediaFileName(req.msgId, info, req.sentAt, deps.timeZone), bytes);
      } catch (err) {
        deps.log.error({ group: req.folder, id: req.msgId, err: String(err) }, 'A message\'s file could not be saved in the group folder');
        return { ...info, missing: `could not be saved (${String((err as Error).message ?? err).slice(0, 200)})` };
      }
      const kept = { ...info, sizeBytes: bytes.length, file };
      if (info.kind !== 'voice' || !deps.transcribe) return kept;
      // The transcriber gets a private copy: the agent can write the group folder, so a path into
      // it could lead the transcriber (running as the host's user) to another file by then.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nanokimi-voice-'));
      try {
        const copy = path.join(dir, path.basename(file));
        fs.writeFileSync(copy, bytes, { mode: 0o600 });
        return { ...kept, transcript: await deps.transcribe(copy) };
      } catch (err) {
        deps.log.warn({ group: req.folder, id: req.msgId, err: String(err) }, 'A voice note could not be transcribed; the agent gets the file');
        return kept;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export type MediaKeeper = ReturnType<typeof createMediaKeeper>;
