/**
 * @module What NanoKimi asks of the Docker engine, on dockerode (the Engine API; no docker CLI,
 * nothing blocking): ping, image check, one container's whole life, its CPU limit, orphans. It
 * knows nothing of groups or agents (docker-agent.ts does). Docker's own failures become typed
 * errors the Docker agent can turn into sentences for people.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LABEL_INSTANCE } from './container-spec.ts';
import { loadDockerode } from './dockerode.ts';

const DockerClient = loadDockerode();

/** The engine cannot be reached: not installed, not started, or no permission on its socket. */
export class DockerUnavailable extends Error {
  override name = 'DockerUnavailable';
}
export class ImageMissing extends Error {
  override name = 'ImageMissing';
}

export type ContainerExit = { exitCode: number; oomKilled: boolean; stopped: boolean };

export type DockerEngine = {
  /** Reachable, and whether the engine runs rootless (its user namespace shifts uids). */
  ping(): Promise<{ rootless: boolean }>;
  imageExists(image: string): Promise<boolean>;
  /** Creates, starts and waits for a container; on abort stops it (SIGTERM, then SIGKILL after the grace). Always removes it. */
  run(spec: Docker.ContainerCreateOptions, opts: { signal: AbortSignal; graceSeconds: number; onOutput: (text: string) => void }): Promise<ContainerExit>;
  /** Changes the CPU limit of a running container (`name` as in its spec). */
  setCpus(name: string, cpus: number): Promise<void>;
  /** Removes every container of this instance (left by a daemon that died); returns how many. */
  removeOrphans(instance: string): Promise<number>;
};

type DockerError = Error & { statusCode?: number; code?: string; json?: { message?: string } };

/** How often a running container is looked at besides the wait (see run). */
const WATCH_MS = 2000;

function translate(err: unknown): Error {
  const e = err as DockerError;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') {
    return new DockerUnavailable(`the Docker engine is not reachable (${e.code} on ${e.message.replace(/^.*?(\/\S+).*$/, '$1')})`);
  }
  // The engine went away while we talked to it (stopped, restarted, its socket closed).
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE' || /socket hang up/i.test(e.message)) {
    return new DockerUnavailable(`the connection to the Docker engine was lost (${e.code ?? e.message})`);
  }
  if (e.statusCode === 404 && /no such image/i.test(e.json?.message ?? e.message)) return new ImageMissing(e.json?.message ?? e.message);
  return e instanceof Error ? e : new Error(String(err));
}

export function createDockerEngine(docker: Docker = new DockerClient()): DockerEngine {
  return {
    async ping() {
      try {
        await docker.ping();
        const info = await docker.info() as { SecurityOptions?: string[] };
        return { rootless: (info.SecurityOptions ?? []).some((o) => o.includes('rootless')) };
      } catch (err) { throw translate(err); }
    },

    async imageExists(image) {
      try {
        await docker.getImage(image).inspect();
        return true;
      } catch (err) {
        if ((err as DockerError).statusCode === 404) return false;
        throw translate(err);
      }
    },

    async run(spec, opts) {
      let container: Docker.Container;
      try {
        container = await docker.createContainer(spec);
      } catch (err) { throw translate(err); }
      try {
        // Attach before start so not a byte of early output (a crash message) is missed.
        const stream = await container.attach({ stream: true, stdout: true, stderr: true });
        const out = new PassThrough();
        out.on('data', (chunk: Buffer) => opts.onOutput(chunk.toString()));
        docker.modem.demuxStream(stream, out, out);
        if (opts.signal.aborted) return { exitCode: -1, oomKilled: false, stopped: true };
        await container.start();
        const stop = () => { void container.stop({ t: opts.graceSeconds }).catch(() => undefined); };
        opts.signal.addEventListener('abort', stop, { once: true });
        // An abort that came while the engine was starting it fired before this listener existed.
        if (opts.signal.aborted) stop();
        // A wait whose connection the engine drops (stopped, restarted) never settles in dockerode:
        // the container is looked at every few seconds too, which notices both an engine gone and
        // an exit the wait missed.
        let watch: NodeJS.Timeout | undefined;
        const watched = new Promise<{ StatusCode: number }>((resolve, reject) => {
          watch = setInterval(() => {
            container.inspect().then((info) => {
              if (!info.State.Running && info.State.Status !== 'created') resolve({ StatusCode: info.State.ExitCode });
            }, reject);
          }, WATCH_MS);
          watch.unref();
        });
        try {
          const { StatusCode } = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, watched]);
          const state = (await container.inspect()).State;
          return { exitCode: StatusCode, oomKilled: state.OOMKilled, stopped: opts.signal.aborted };
        } finally {
          clearInterval(watch);
          watched.catch(() => undefined);
          opts.signal.removeEventListener('abort', stop);
          (stream as NodeJS.ReadWriteStream & { destroy(): void }).destroy();
        }
      } catch (err) {
        throw translate(err);
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    },

    async setCpus(name, cpus) {
      try {
        await docker.getContainer(name).update({ NanoCpus: Math.round(cpus * 1e9) });
      } catch (err) { throw translate(err); }
    },

    async removeOrphans(instance) {
      try {
        const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_INSTANCE}=${instance}`] } });
        await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
        return found.length;
      } catch (err) { throw translate(err); }
    },
  };
}
