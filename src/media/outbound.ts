/**
 * @module A file an agent asked to send (send_file), taken from its group's folder into a copy only
 * the host can write (data/outbox-files/), before anything else happens. The agent names the file;
 * it may have made that name a link to a host file, or swap it later: the file is opened without
 * following a final link, the kernel is asked where the open file really is (it must be inside the
 * group's folder), and only those bytes are copied. The copy is what the outbox sends.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OutboundFile } from '../domain.ts';
import { groupPath } from '../groups/folder.ts';
import { mimeTypeFor } from './store.ts';

export type StageRequest = {
  groupsDir: string;
  /** Host-private: data/outbox-files/. */
  stagingDir: string;
  folder: string;
  /** Relative to the group's folder (the protocol refuses absolute paths and ".."). */
  rel: string;
  voice: boolean;
  maxBytes: number;
  /** Stable per request (the IPC file), so the same request makes the same copy. */
  key: string;
  /** Credentials the host holds: a file that contains one is never sent. */
  secrets: readonly string[];
};

export type Staged = { ok: true; file: OutboundFile } | { ok: false; reason: string; secret?: true };

function kindOf(mimeType: string, voice: boolean): OutboundFile['kind'] {
  if (mimeType.startsWith('image/') && mimeType !== 'image/heic') return 'image';
  if (mimeType.startsWith('video/')) return 'video';
  if (mimeType.startsWith('audio/')) return voice ? 'voice' : 'audio';
  return 'document';
}

export function stageOutboundFile(req: StageRequest): Staged {
  const root = fs.realpathSync(groupPath(req.groupsDir, req.folder));
  let fd: number;
  try {
    fd = fs.openSync(path.join(root, req.rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `there is no file ${req.rel} in the group folder`
      : code === 'ELOOP' ? `${req.rel} is a symbolic link; send the file itself` : `${req.rel} cannot be read (${code})` };
  }
  let bytes: Buffer;
  try {
    const where = fs.realpathSync(`/proc/self/fd/${fd}`);
    if (!where.startsWith(`${root}${path.sep}`)) return { ok: false, reason: `${req.rel} is not inside the group folder` };
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: `${req.rel} is not a regular file` };
    if (st.size > req.maxBytes) {
      return { ok: false, reason: `${req.rel} is ${(st.size / 1024 / 1024).toFixed(1)} MB; the limit is ${(req.maxBytes / 1024 / 1024).toFixed(0)} MB (MEDIA_MAX_MB)` };
    }
    if (st.size === 0) return { ok: false, reason: `${req.rel} is empty` };
    bytes = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (req.secrets.some((s) => s && bytes.includes(s))) {
    return { ok: false, reason: 'withheld: the file contains a Kimi login token the host holds, and is never sent to a chat', secret: true };
  }
  const fileName = path.basename(req.rel);
  const mimeType = mimeTypeFor(fileName);
  fs.mkdirSync(req.stagingDir, { recursive: true, mode: 0o700 });
  const copy = path.join(req.stagingDir, `${createHash('sha256').update(req.key).digest('hex').slice(0, 32)}${path.extname(fileName).toLowerCase().replace(/[^.a-z0-9]/g, '')}`);
  const tmp = `${copy}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes, { mode: 0o600 });
  fs.renameSync(tmp, copy);
  return { ok: true, file: { path: copy, fileName, mimeType, kind: kindOf(mimeType, req.voice), bytes: bytes.length } };
}
