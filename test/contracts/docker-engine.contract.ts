/**
 * @module What every DockerEngine promises the Docker agent, as one suite each implementation
 * runs (docker-engine.test.ts): it answers a ping and knows its images; a container's output
 * reaches onOutput from the first byte and its exit code comes back; an abort, however early it
 * comes, sends SIGTERM first and kills after the grace (`stopped: true`); the container is gone once run settles, however it
 * ended; setCpus changes a running container's CPU limit and refuses one that does not exist; an image it lacks is ImageMissing; an engine it cannot reach is DockerUnavailable; and
 * removeOrphans removes and counts one instance's containers, keeping everyone else's.
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { LABEL_INSTANCE } from '../../src/agent/container-spec.ts';
import { DockerUnavailable, ImageMissing, type DockerEngine } from '../../src/agent/docker-engine.ts';

/** What a test container does; each harness makes a container of its own kind that does it. */
export type Program = {
  /** Printed as soon as it starts. */
  output: string;
  /** Exits at once with a code; or runs until stopped, and on SIGTERM prints and exits, or ignores it. */
  then: { exit: number } | { onTerm: { output: string; exit: number } } | 'ignores-term';
};

export type EngineHarness = {
  engine: DockerEngine;
  /** The same implementation, with an engine it cannot reach. */
  unreachable: DockerEngine;
  /** An image the engine has. */
  image: string;
  /** Create options for a container of that name and labels running `program` (on `image` unless another is named), with a CPU limit when given. */
  spec(c: { name: string; program: Program; labels?: Record<string, string>; image?: string; cpus?: number }): Docker.ContainerCreateOptions;
  /** Whether the engine holds a container of that name, running or not. */
  exists(name: string): Promise<boolean>;
  /** The CPU limit the engine holds for that container. */
  cpus(name: string): Promise<number>;
  /** Leaves a running container no run() watches, as a daemon that died would. */
  leave(spec: Docker.ContainerCreateOptions): Promise<void>;
  /** Removes whatever the suite left. */
  close(): Promise<void>;
};

/** Short, so the kill after it comes soon; the suite never measures it. */
const GRACE_SECONDS = 1;
/** SIGKILL, as Docker reports a killed process. */
const KILLED = 137;

export function dockerEngineContract(name: string, make: () => Promise<EngineHarness>): void {
  describe(`the DockerEngine contract: ${name}`, () => {
    let h: EngineHarness | undefined;
    afterEach(async () => { await h?.close(); h = undefined; });

    // Names and instances unique to this process, so parallel suites on one engine never meet.
    const tag = randomUUID().slice(0, 8);
    let n = 0;
    const fresh = (what: string) => `nk-contract-${tag}-${what}-${++n}`;
    const until = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 30_000;
      while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 20)); }
    };
    /** The run's end; a run that does not end fails here rather than at the test's own timeout. */
    const ended = async <T>(what: string, p: Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end within 30 s`)), 30_000); });
      try { return await Promise.race([p, late]); } finally { clearTimeout(timer); }
    };
    /** Starts a run and collects what it prints. */
    function start(spec: Docker.ContainerCreateOptions, signal = new AbortController().signal) {
      const chunks: string[] = [];
      const exit = h!.engine.run(spec, { signal, graceSeconds: GRACE_SECONDS, onOutput: (t) => chunks.push(t) });
      return { exit, output: () => chunks.join('') };
    }

    it('answers a ping with whether the engine is rootless', async () => {
      h = await make();
      expect(typeof (await h.engine.ping()).rootless).toBe('boolean');
    });

    it('knows which images it has', async () => {
      h = await make();
      expect(await h.engine.imageExists(h.image)).toBe(true);
      expect(await h.engine.imageExists(`${fresh('no-such-image')}:none`)).toBe(false);
    });

    it('hands back output printed at once and the exit code, and removes the container', async () => {
      h = await make();
      const name = fresh('exits');
      const run = start(h.spec({ name, program: { output: 'crashed at start\n', then: { exit: 3 } } }));
      expect(await run.exit).toEqual({ exitCode: 3, oomKilled: false, stopped: false });
      expect(run.output()).toBe('crashed at start\n');
      expect(await h.exists(name)).toBe(false);
    });

    it('on abort sends SIGTERM first: the handler prints and picks the exit code, the run is stopped, the container gone', async () => {
      h = await make();
      const name = fresh('term');
      const abort = new AbortController();
      const run = start(h.spec({ name, program: { output: 'ready\n', then: { onTerm: { output: 'got TERM\n', exit: 7 } } } }), abort.signal);
      await until('the container to print', () => run.output().includes('ready'));
      expect(await h.exists(name)).toBe(true);
      abort.abort();
      expect(await ended('the aborted run', run.exit)).toEqual({ exitCode: 7, oomKilled: false, stopped: true });
      expect(run.output()).toBe('ready\ngot TERM\n');
      expect(await h.exists(name)).toBe(false);
    });

    it('changes the CPU limit of a running container, and refuses a container that does not exist', async () => {
      h = await make();
      const name = fresh('cpus');
      const abort = new AbortController();
      const run = start(h.spec({ name, cpus: 1, program: { output: 'ready\n', then: { onTerm: { output: '', exit: 0 } } } }), abort.signal);
      await until('the container to print', () => run.output().includes('ready'));
      expect(await h.cpus(name)).toBe(1);
      await h.engine.setCpus(name, 0.5);
      expect(await h.cpus(name)).toBe(0.5);
      abort.abort();
      await ended('the aborted run', run.exit);
      await expect(h.engine.setCpus(name, 1)).rejects.toThrow(/no such container/i);
    });

    it('kills a container that ignores SIGTERM once the grace is over', async () => {
      h = await make();
      const name = fresh('ignores');
      const abort = new AbortController();
      const run = start(h.spec({ name, program: { output: 'ready\n', then: 'ignores-term' } }), abort.signal);
      await until('the container to print', () => run.output().includes('ready'));
      abort.abort();
      expect(await ended('the aborted run', run.exit)).toEqual({ exitCode: KILLED, oomKilled: false, stopped: true });
      expect(await h.exists(name)).toBe(false);
    });

    it('stops a container aborted the moment its first output arrives, while the engine may still be starting it', async () => {
      h = await make();
      const name = fresh('early-abort');
      const abort = new AbortController();
      const spec = h.spec({ name, program: { output: 'ready\n', then: { onTerm: { output: '', exit: 7 } } } });
      const exit = h.engine.run(spec, { signal: abort.signal, graceSeconds: GRACE_SECONDS, onOutput: () => abort.abort() });
      expect(await ended('the aborted run', exit)).toEqual({ exitCode: 7, oomKilled: false, stopped: true });
      expect(await h.exists(name)).toBe(false);
    });

    it('never starts a container whose run was aborted before it began', async () => {
      h = await make();
      const name = fresh('pre-aborted');
      const abort = new AbortController();
      abort.abort();
      const run = start(h.spec({ name, program: { output: 'should not run\n', then: { exit: 0 } } }), abort.signal);
      expect(await run.exit).toMatchObject({ stopped: true });
      expect(run.output()).toBe('');
      expect(await h.exists(name)).toBe(false);
    });

    it('fails with ImageMissing for an image it lacks, leaving no container', async () => {
      h = await make();
      const name = fresh('no-image');
      const run = start(h.spec({ name, image: `${fresh('no-such-image')}:none`, program: { output: '', then: { exit: 0 } } }));
      await expect(run.exit).rejects.toBeInstanceOf(ImageMissing);
      expect(await h.exists(name)).toBe(false);
    });

    it("removes and counts one instance's orphans, running ones too, and keeps every other container", async () => {
      h = await make();
      const [mine, theirs] = [fresh('instance'), fresh('instance')];
      const left = (instance: string) => {
        const name = fresh('orphan');
        return { name, spec: h!.spec({ name, labels: { [LABEL_INSTANCE]: instance }, program: { output: '', then: 'ignores-term' } }) };
      };
      const orphans = [left(mine), left(mine)];
      const other = left(theirs);
      for (const o of [...orphans, other]) await h.leave(o.spec);
      expect(await h.engine.removeOrphans(mine)).toBe(2);
      for (const o of orphans) expect(await h.exists(o.name)).toBe(false);
      expect(await h.exists(other.name)).toBe(true);
      expect(await h.engine.removeOrphans(mine)).toBe(0);
    });

    it('fails every call with DockerUnavailable when its engine cannot be reached', async () => {
      h = await make();
      const down = h.unreachable;
      await expect(down.ping()).rejects.toBeInstanceOf(DockerUnavailable);
      await expect(down.imageExists(h.image)).rejects.toBeInstanceOf(DockerUnavailable);
      await expect(down.removeOrphans(fresh('instance'))).rejects.toBeInstanceOf(DockerUnavailable);
      await expect(down.setCpus(fresh('down'), 1)).rejects.toBeInstanceOf(DockerUnavailable);
      const spec = h.spec({ name: fresh('down'), program: { output: '', then: { exit: 0 } } });
      await expect(down.run(spec, { signal: new AbortController().signal, graceSeconds: GRACE_SECONDS, onOutput: () => undefined }))
        .rejects.toBeInstanceOf(DockerUnavailable);
    });
  });
}
