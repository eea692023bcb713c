/**
 * @module dockerode, without what it loads for nothing. When it is required, dockerode loads its
 * BuildKit build sessions (`@grpc/grpc-js` and `@grpc/proto-loader`: over a hundred modules with
 * protobufjs), which NanoKimi never uses. Here those two requires, from dockerode's own modules only,
 * get stand-ins (`on-demand/`) that load the real package the first time it is used, so a BuildKit
 * build would still work and only then pay for it. The daemon holds about 5 MB less once started
 * (`node bench/daemon-memory.ts`).
 *
 * The module hooks live only while dockerode loads: every module loaded while they are in place goes
 * through them. docker-modem's `ssh2` (for `DOCKER_HOST=ssh://...`) is left as it is: deferred the
 * same way, it saved nothing measurable idle and made the peak under bench/load.ts higher (151-165 MB
 * against 142-150). Probably through V8's garbage collector: ssh2's WebAssembly memory (16 MB, barely
 * touched) counts as external memory, which makes V8 collect sooner; an inert 16 MB memory in its
 * place brought the peak back down (140-152).
 */
import { createRequire, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';

/** The packages deferred, each with its stand-in in `on-demand/`. */
export const ON_DEMAND: Record<string, string> = {
  '@grpc/grpc-js': 'grpc-js.cjs',
  '@grpc/proto-loader': 'proto-loader.cjs',
};

export const standInFile = (pkg: string) => `${import.meta.dirname}/on-demand/${ON_DEMAND[pkg]!}`;

/** dockerode's Docker class, loaded with the stand-ins (or as it is, if something loaded it before). */
export function loadDockerode(): typeof Docker {
  const hooks = registerHooks({
    resolve(specifier, context, next) {
      if (Object.hasOwn(ON_DEMAND, specifier) && context.parentURL?.includes('/node_modules/dockerode/')) {
        return { url: pathToFileURL(standInFile(specifier)).href, format: 'commonjs', shortCircuit: true };
      }
      return next(specifier, context);
    },
  });
  try {
    return createRequire(import.meta.url)('dockerode') as typeof Docker;
  } finally {
    hooks.deregister();
  }
}
