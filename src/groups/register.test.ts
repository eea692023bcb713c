import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb } from '../store/db.ts';
import { createGroupStore } from '../store/groups.ts';
import { checkFolderName, groupPath } from './folder.ts';
import { registerGroup, RegistrationError } from './register.ts';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-groups-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const deps = () => ({ groups: createGroupStore(openDb(':memory:')), groupsDir: dir, assistantName: 'Kai' });

describe('group folders', () => {
  it.each(['family', 'team-2', 'a', '0day'])('accepts %s', (name) => expect(checkFolderName(name)).toBeNull());
  it.each(['', '..', '../etc', 'a/b', 'Family', 'with space', '-lead', 'x'.repeat(64), 'global', 'ñandú'])(
    'refuses %j with a message saying what a valid name looks like', (name) => {
      expect(checkFolderName(name)?.message).toMatch(/valid group folder|reserved/);
    });

  it('refuses a folder that is a symbolic link, even to a directory inside groups/', () => {
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked'));
    expect(() => groupPath(dir, 'linked')).toThrow(/symbolic link/);
  });
});

describe('registerGroup', () => {
  it('creates the folder with a KIMI.md naming the group and the assistant', () => {
    const d = deps();
    const g = registerGroup(d, { jid: '1@g.us', name: 'Family', folder: 'family' });
    expect(g).toMatchObject({ folder: 'family', requiresTrigger: true, isMain: false });
    const md = fs.readFileSync(path.join(dir, 'family', 'KIMI.md'), 'utf8');
    expect(md).toContain('You are Kai');
    expect(md).toContain('"Family"');
    expect(d.groups.get('family')?.jid).toBe('1@g.us');
  });

  it('keeps an existing KIMI.md (a restored folder keeps its memory)', () => {
    fs.mkdirSync(path.join(dir, 'family'));
    fs.writeFileSync(path.join(dir, 'family', 'KIMI.md'), 'remembered');
    registerGroup(deps(), { jid: '1@g.us', name: 'Family', folder: 'family' });
    expect(fs.readFileSync(path.join(dir, 'family', 'KIMI.md'), 'utf8')).toBe('remembered');
  });

  it('refuses a taken folder, a registered chat and a bad name without creating anything', () => {
    const d = deps();
    registerGroup(d, { jid: '1@g.us', name: 'A', folder: 'a' });
    expect(() => registerGroup(d, { jid: '2@g.us', name: 'B', folder: 'a' })).toThrow(RegistrationError);
    expect(() => registerGroup(d, { jid: '1@g.us', name: 'B', folder: 'b' })).toThrow(/already registered/);
    expect(() => registerGroup(d, { jid: '3@g.us', name: 'C', folder: '../c' })).toThrow(/not a valid group folder/);
    expect(fs.readdirSync(dir)).toEqual(['a']);
  });

  it('the main group answers without a trigger', () => {
    const g = registerGroup(deps(), { jid: 'local:main', name: 'Main', folder: 'main', isMain: true, requiresTrigger: true });
    expect(g.requiresTrigger).toBe(false);
  });
});
