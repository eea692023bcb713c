import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findProjectHides, isHidden } from './project-hides.ts';

describe('what main does not see of the project', () => {
  it.each([
    ['logs', 'dir', true], ['.git', 'dir', true], ['backups', 'dir', true], ['.ssh', 'dir', true], ['credentials', 'dir', true],
    ['nanokimi-2026-12-01.db', 'file', true], ['nanokimi.db-wal', 'file', true], ['.env.production', 'file', true],
    ['id_rsa', 'file', true], ['src', 'dir', false], ['README.md', 'file', false], ['logs', 'file', false],
  ] as const)('%s (%s) hidden: %s', (name, kind, hidden) => {
    expect(isHidden(name, kind, [])).toBe(hidden);
  });

  it('takes the allowlist\'s blocked names too', () => {
    expect(isHidden('secret-notes', 'dir', ['secret-notes'])).toBe(true);
    expect(isHidden('secret-notes', 'dir', [])).toBe(false);
  });
});

describe('findProjectHides', () => {
  let root: string;
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds hidden entries at any depth, skips what is covered and node_modules, and never follows links', () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-hides-'));
    const mk = (rel: string, file = false) => {
      fs.mkdirSync(path.join(root, file ? path.dirname(rel) : rel), { recursive: true });
      if (file) fs.writeFileSync(path.join(root, rel), 'x');
    };
    mk('.git'); mk('logs'); mk('src/deep/credentials'); mk('old/nanokimi-2026.db', true); mk('data/x.db', true);
    mk('node_modules/pkg/credentials'); mk('groups/family/.env', true); mk('src/app.ts', true);
    fs.symlinkSync('/etc', path.join(root, 'src', 'etc-link'));
    const { hides, truncated } = findProjectHides(root, [], ['data']);
    expect(truncated).toBe(false);
    expect(hides.map((h) => `${h.relative}:${h.kind}`).sort()).toEqual(
      ['.git:dir', 'groups/family/.env:file', 'logs:dir', 'old/nanokimi-2026.db:file', 'src/deep/credentials:dir']);
  });
});
