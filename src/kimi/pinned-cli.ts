/**
 * @module The Kimi Code CLI version the agent image must carry: the exact pin in
 * container/agent-runner/package.json, the one place it is written (its flags and files change
 * between minors, so a range is refused).
 */
import fs from 'node:fs';
import path from 'node:path';

export const KIMI_CODE_PACKAGE = '@moonshot-ai/kimi-code';

/** The checkout this code runs from: the image is built from its container/ folder. */
const CODE_ROOT = path.resolve(import.meta.dirname, '../..');

export function pinnedKimiVersion(projectRoot = CODE_ROOT): string {
  const file = path.join(projectRoot, 'container', 'agent-runner', 'package.json');
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> };
  const pin = pkg.dependencies?.[KIMI_CODE_PACKAGE];
  if (!pin || !/^\d+\.\d+\.\d+$/.test(pin)) {
    throw new Error(`${file} must pin ${KIMI_CODE_PACKAGE} to an exact version (found ${JSON.stringify(pin ?? null)})`);
  }
  return pin;
}
