/**
 * @module The photos of a prompt as ACP image blocks: read from the group's folder (the host names
 * them relative to it), only regular files inside it and no larger than the protocol allows. One
 * that cannot be read is left out with a log line; the prompt text still names its path.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContentBlock } from '@agentclientprotocol/sdk';
import { MAX_PROMPT_IMAGE_BYTES, type InputFile } from '@nanokimi/protocol/ipc';
import { log } from './log.ts';

type Images = NonNullable<Extract<InputFile, { type: 'messages' }>['images']>;

export function imageBlocks(workDir: string, images: Images | undefined): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  for (const image of images ?? []) {
    const file = path.resolve(workDir, image.file);
    if (!file.startsWith(`${path.resolve(workDir)}${path.sep}`)) { log('image-refused', { file: image.file, why: 'outside the group folder' }); continue; }
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size > MAX_PROMPT_IMAGE_BYTES) { log('image-refused', { file: image.file, why: st.isFile() ? 'too large' : 'not a file' }); continue; }
      blocks.push({ type: 'image', mimeType: image.mimeType, data: fs.readFileSync(fd).toString('base64') });
    } catch (err) {
      log('image-refused', { file: image.file, why: String((err as Error).message ?? err) });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return blocks;
}
