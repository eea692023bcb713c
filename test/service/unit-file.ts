/** @module Reads the rendered unit the way systemd does for the keys the tests care about. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export function renderUnit(which: 'nanokimi' | 'nanokimi-failed' = 'nanokimi', env: NodeJS.ProcessEnv = process.env): string {
  const flag = which === 'nanokimi' ? '--print' : '--print-failed';
  return execFileSync('bash', [path.join(repoRoot, 'scripts/install-service.sh'), flag], { encoding: 'utf8', env });
}

/** A section's KEY=VALUE lines in order, repeats included ([Service] unless told). */
function sectionEntries(unit: string, wanted: string): [string, string][] {
  const out: [string, string][] = [];
  let section = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) { section = line; continue; }
    const eq = line.indexOf('=');
    if (section === wanted && eq > 0) out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

/** A section's settings ([Service] unless told); later lines win, as in systemd. */
export function serviceSettings(unit: string, wanted = '[Service]'): Record<string, string> {
  return Object.fromEntries(sectionEntries(unit, wanted));
}

/** Every Environment="KEY=VALUE" of [Service], merged as systemd does (later assignments win). */
export function serviceEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of sectionEntries(unit, '[Service]')) {
    const m = key === 'Environment' ? /^"([A-Za-z_][A-Za-z0-9_]*)=(.*)"$/.exec(value) : null;
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** systemd's EnvironmentFile= rules for the lines we write: KEY=VALUE, comments, optional quotes. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return env;
}
