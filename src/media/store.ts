/**
 * @module Files that came with messages, kept in the group's folder under `media/<date>/`, where the
 * agent reads them (/workspace/group/media/...). The group folder is writable by the agent, so it
 * may have put a link at `media/` or at the day's folder to make the host write elsewhere: every
 * step is checked, anything in the way that is not a real directory is moved aside, and the file is
 * written (a temp file, then a rename) through a handle on the directory whose real place was verified.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AttachmentInfo } from '../domain.ts';
import { groupPath } from '../groups/folder.ts';
import { formatTime } from '../router/prompt.ts';

/** Extensions by MIME type: the file name is ours (message id + one of these), never the sender's. */
const extensions: Record<string, string> = {
  'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/heic': 'heic',
  'video/mp4': 'mp4', 'video/3gpp': '3gp', 'video/quicktime': 'mov',
  'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/aac': 'aac', 'audio/amr': 'amr', 'audio/wav': 'wav',
  'application/pdf': 'pdf', 'text/plain': 'txt', 'text/csv': 'csv', 'application/zip': 'zip', 'application/json': 'json',
  'application/msword': 'doc', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt', 'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/** The MIME type our extension map gives a file name, or application/octet-stream. */
export function mimeTypeFor(fileName: string): string {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  const alias: Record<string, string> = { jpeg: 'jpg', opus: 'ogg', oga: 'ogg', md: 'txt' };
  const want = alias[ext] ?? ext;
  return Object.entries(extensions).find(([, e]) => e === want)?.[0] ?? 'application/octet-stream';
}

export function extensionFor(mimeType: string): string {
  return extensions[mimeType.split(';')[0]!.trim().toLowerCase()] ?? 'bin';
}

/** `media/2026-12-02/<id>.jpg`: the date in the daemon's time zone, the id reduced to safe characters. */
export function mediaFileName(msgId: string, info: AttachmentInfo, sentAt: number, timeZone: string): string {
  const day = formatTime(sentAt, timeZone).slice(0, 10);
  const id = msgId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64) || randomBytes(8).toString('hex');
  return `media/${day}/${id}.${extensionFor(info.mimeType)}`;
}

/** A real directory at `dir` (whatever was there moved aside), created if missing. */
function realDirectory(dir: string): void {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st) fs.renameSync(dir, `${dir}.moved-aside-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o775 });
}

/** Writes `bytes` as `rel` (from mediaFileName) in the group's folder; returns `rel`. */
export function saveMedia(groupsDir: string, folder: string, rel: string, bytes: Uint8Array): string {
  const root = groupPath(groupsDir, folder);
  const parts = rel.split('/');
  if (parts.length !== 3 || parts[0] !== 'media' || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`not a media path: ${rel}`);
  }
  let dir = root;
  for (const part of parts.slice(0, -1)) { dir = path.join(dir, part); realDirectory(dir); }
  // Between the checks above and the write, the agent could still swap a directory for a link: so
  // open the directory, ask the kernel where that handle really is, and create the file through it.
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    const where = fs.realpathSync(`/proc/self/fd/${fd}`);
    const expected = path.join(fs.realpathSync(root), ...parts.slice(0, -1));
    if (where !== expected) throw new Error(`the media folder of "${folder}" moved while being written (${where}); not written`);
    // A temp file of a name nobody can guess, then a rename: the file is whole or absent.
    const tmp = `/proc/self/fd/${fd}/.${parts.at(-1)}.${randomBytes(8).toString('hex')}.tmp`;
    const out = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o644);
    try { fs.writeFileSync(out, bytes); fs.fsyncSync(out); } finally { fs.closeSync(out); }
    fs.renameSync(tmp, `/proc/self/fd/${fd}/${parts.at(-1)}`);
    return rel;
  } finally {
    fs.closeSync(fd);
  }
}
