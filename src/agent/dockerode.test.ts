import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ON_DEMAND, standInFile } from './dockerode.ts';

const require = createRequire(import.meta.url);
const dockerodeSession = require.resolve('dockerode/lib/session.js');

/** Runs `body` in a fresh Node (nothing loaded yet) after `loadDockerode()`; returns what it prints as JSON. */
function afterLoad(body: string): Record<string, unknown> {
  const script = `import { createRequire } from 'node:module';
import { loadDockerode } from ${JSON.stringify(new URL('./dockerode.ts', import.meta.url).href)};
const Docker = loadDockerode();
const require = createRequire(${JSON.stringify(import.meta.url)});
const grpcFiles = () => Object.keys(require.cache).filter((f) => f.includes('/node_modules/@grpc/'));
${body}`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

describe('dockerode without its BuildKit packages', () => {
  it('loads a working Docker client, with stand-ins in place of @grpc/grpc-js and @grpc/proto-loader', () => {
    const seen = afterLoad(`console.log(JSON.stringify({
      grpcFiles: grpcFiles(),
      standIns: Object.keys(require.cache).filter((f) => f.includes('/on-demand/')).length,
      socketPath: new Docker({ socketPath: '/nowhere.sock' }).modem.socketPath,
    }));`);
    expect(seen).toEqual({ grpcFiles: [], standIns: 2, socketPath: '/nowhere.sock' });
  });

  it('a stand-in loads the real package the first time it is used', () => {
    const seen = afterLoad(`const standIn = require(${JSON.stringify(standInFile('@grpc/grpc-js'))});
const before = grpcFiles().length;
const same = standIn.Server === require('@grpc/grpc-js').Server && typeof standIn.Server === 'function';
console.log(JSON.stringify({ before, same, after: grpcFiles().length > 0 }));`);
    expect(seen).toEqual({ before: 0, same: true, after: true });
  });

  it('the hooks are gone once dockerode is loaded: a later require gets the real package', () => {
    // Not from dockerode/lib/, whose requires Node has cached: from the package's root, which the hook would match too.
    const seen = afterLoad(`const fromDockerode = createRequire(${JSON.stringify(require.resolve('dockerode/package.json'))});
console.log(JSON.stringify({ real: fromDockerode('@grpc/proto-loader') === require('@grpc/proto-loader') }));`);
    expect(seen).toEqual({ real: true });
  });

  it.each(Object.keys(ON_DEMAND))('the stand-in for %s loads the very package dockerode would', (pkg) => {
    expect(createRequire(standInFile(pkg)).resolve(pkg)).toBe(createRequire(dockerodeSession).resolve(pkg));
  });
});
