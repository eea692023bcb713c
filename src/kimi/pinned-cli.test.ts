import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KIMI_CODE_PACKAGE, pinnedKimiVersion } from './pinned-cli.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

describe('the pinned Kimi Code CLI', () => {
  it('is an exact version, and the one the lock file installs', () => {
    const pin = pinnedKimiVersion(repoRoot);
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'container/agent-runner/package-lock.json'), 'utf8')) as
      { packages: Record<string, { version?: string }> };
    expect(lock.packages[`node_modules/${KIMI_CODE_PACKAGE}`]?.version).toBe(pin);
  });

  it('refuses a range', () => {
    const root = fs.mkdtempSync(path.join(import.meta.dirname, '.tmp-pin-'));
    try {
      fs.mkdirSync(path.join(root, 'container/agent-runner'), { recursive: true });
      fs.writeFileSync(path.join(root, 'container/agent-runner/package.json'), JSON.stringify({ dependencies: { [KIMI_CODE_PACKAGE]: '^2.1.0' } }));
      expect(() => pinnedKimiVersion(root)).toThrow(/must pin @moonshot-ai\/kimi-code to an exact version \(found "\^2\.1\.0"\)/);
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });
});
