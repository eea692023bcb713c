import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extensionFor, mediaFileName, saveMedia } from './store.ts';

let root: string;
let groups: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-media-'));
  groups = path.join(root, 'groups');
  fs.mkdirSync(path.join(groups, 'family'), { recursive: true });
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const photo = { kind: 'image', mimeType: 'image/jpeg' } as const;
const NOON = Date.UTC(2026, 11, 2, 12);

describe('media file names', () => {
  it('are ours: a dated folder, the message id made safe, an extension from the MIME type', () => {
    expect(mediaFileName('3EB0C431C26A1916E0A0', photo, NOON, 'UTC')).toBe('media/2026-12-02/3EB0C431C26A1916E0A0.jpg');
    expect(mediaFileName('../../etc/passwd', { kind: 'document', mimeType: 'application/pdf', fileName: 'x.service' }, NOON, 'UTC'))
      .toBe('media/2026-12-02/etcpasswd.pdf');
    expect(mediaFileName('A', photo, Date.UTC(2026, 11, 2, 23, 30), 'Europe/Madrid')).toBe('media/2026-12-03/A.jpg');
    expect(extensionFor('audio/ogg; codecs=opus')).toBe('ogg');
    expect(extensionFor('application/x-sh')).toBe('bin');
  });
});

describe('saving media into the group folder', () => {
  it('writes the file where the agent finds it', () => {
    const rel = saveMedia(groups, 'family', 'media/2026-12-02/A.jpg', Buffer.from('jpeg bytes'));
    expect(fs.readFileSync(path.join(groups, 'family', rel), 'utf8')).toBe('jpeg bytes');
    expect(fs.readdirSync(path.join(groups, 'family/media/2026-12-02'))).toEqual(['A.jpg']);
  });

  it('never writes through a link the agent put at media/ or at the day folder', () => {
    const elsewhere = path.join(root, 'host-dir');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(groups, 'family', 'media'));
    saveMedia(groups, 'family', 'media/2026-12-02/A.jpg', Buffer.from('x'));
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.lstatSync(path.join(groups, 'family/media')).isDirectory()).toBe(true);

    fs.mkdirSync(path.join(elsewhere, 'inner'));
    fs.symlinkSync(path.join(elsewhere, 'inner'), path.join(groups, 'family/media/2026-12-03'));
    saveMedia(groups, 'family', 'media/2026-12-03/B.jpg', Buffer.from('y'));
    expect(fs.readdirSync(path.join(elsewhere, 'inner'))).toEqual([]);
    expect(fs.readFileSync(path.join(groups, 'family/media/2026-12-03/B.jpg'), 'utf8')).toBe('y');
  });

  it('replaces a link planted at the file name instead of writing through it', () => {
    const hostFile = path.join(root, 'host-file');
    fs.writeFileSync(hostFile, 'keep');
    fs.mkdirSync(path.join(groups, 'family/media/2026-12-02'), { recursive: true });
    fs.symlinkSync(hostFile, path.join(groups, 'family/media/2026-12-02/A.jpg'));
    saveMedia(groups, 'family', 'media/2026-12-02/A.jpg', Buffer.from('photo'));
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('keep');
    expect(fs.lstatSync(path.join(groups, 'family/media/2026-12-02/A.jpg')).isFile()).toBe(true);
  });

  it('refuses a path that is not media/<day>/<name>', () => {
    for (const bad of ['media/../../x/A.jpg', 'KIMI.md', 'media/a/b/c.jpg', 'media//A.jpg']) {
      expect(() => saveMedia(groups, 'family', bad, Buffer.from('x'))).toThrow('not a media path');
    }
  });
});
