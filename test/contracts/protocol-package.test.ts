/**
 * How the host and the agent-runner share @nanokimi/protocol: by its name, never by a relative path
 * into each other's tree, and each providing the package's peers (in the image the protocol finds
 * them among the runner's packages, so a peer the runner lacks breaks only the image).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../e2e/spawn-daemon.ts';

type Manifest = { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
const manifest = (dir: string): Manifest => JSON.parse(fs.readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'));
const protocol = manifest('packages/protocol');
const consumers = [['the host', '.', 'file:packages/protocol'], ['the agent-runner', 'container/agent-runner', 'file:../../packages/protocol']] as const;

/** Every module specifier in the package's non-test sources, with the file it is in. */
function specifiers(dir: string): { file: string; spec: string }[] {
  const src = path.join(repoRoot, dir, 'src');
  return fs.readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .flatMap((f) => [...fs.readFileSync(path.join(src, f), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)]
      .map((m) => ({ file: path.join(src, f), spec: m[1]! })));
}
const outside = (dir: string) => specifiers(dir)
  .filter(({ file, spec }) => spec.startsWith('.') && path.relative(path.join(repoRoot, dir), path.resolve(path.dirname(file), spec)).startsWith('..'))
  .map(({ file, spec }) => `${path.relative(repoRoot, file)}: ${spec}`);

describe('the protocol package between host and agent-runner', () => {
  it.each(consumers)('%s depends on it by name, as a link to packages/protocol', (_who, dir, link) => {
    expect(manifest(dir).dependencies?.['@nanokimi/protocol']).toBe(link);
  });

  it.each(consumers)('%s provides each of its peers at the range it asks', (_who, dir) => {
    const deps = manifest(dir).dependencies ?? {};
    for (const [name, range] of Object.entries(protocol.peerDependencies ?? {})) expect({ name, range: deps[name] }).toEqual({ name, range });
  });

  it('imports only Node built-ins and its peers, and nothing outside itself', () => {
    const bare = specifiers('packages/protocol').map((s) => s.spec).filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
    expect([...new Set(bare)].sort()).toEqual(Object.keys(protocol.peerDependencies ?? {}).sort());
    expect(outside('packages/protocol')).toEqual([]);
  });

  it('is the only way the agent-runner reaches shared code: no relative import leaves its package', () => {
    expect(outside('container/agent-runner')).toEqual([]);
  });
});
