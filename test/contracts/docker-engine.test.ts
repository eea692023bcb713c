/** Every DockerEngine against the one contract (docker-engine.contract.ts): dockerode on the real engine, and the scripted double. */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { describe } from 'vitest';
import { createDockerEngine } from '../../src/agent/docker-engine.ts';
import { createScriptedEngine, type RunOpts } from '../fixtures/scripted-engine.ts';
import { dockerReady, PROBE_IMAGE } from '../integration/docker-harness.ts';
import { dockerEngineContract, type Program } from './docker-engine.contract.ts';

/** The program as a busybox shell script. sh is PID 1 (no init), so a TERM it does not trap is ignored. */
function shell(p: Program): { cmd: string; env: string[] } {
  const env = [`OUT=${p.output}`];
  // `sleep & wait`, not a bare sleep: a trapped TERM interrupts wait at once.
  if (p.then === 'ignores-term') return { cmd: `trap '' TERM; printf '%s' "$OUT"; sleep 3600 & wait`, env };
  if ('exit' in p.then) return { cmd: `printf '%s' "$OUT"; exit "$CODE"`, env: [...env, `CODE=${p.then.exit}`] };
  return { cmd: `trap 'printf "%s" "$TERM_OUT"; exit "$TERM_CODE"' TERM; printf '%s' "$OUT"; sleep 3600 & wait`,
    env: [...env, `TERM_OUT=${p.then.onTerm.output}`, `TERM_CODE=${p.then.onTerm.exit}`] };
}

const ready = await dockerReady();

describe.skipIf(!ready)('on a real Docker engine', () => {
  dockerEngineContract('dockerode (createDockerEngine)', async () => {
    const docker = new Docker();
    const engine = createDockerEngine(docker);
    if (!(await engine.imageExists(PROBE_IMAGE))) {
      throw new Error(`${PROBE_IMAGE} is not built: run the whole suite once (its global setup builds the test images)`);
    }
    // Every container the suite makes carries this label, so close() finds what a failed test left.
    const suite = { key: 'nanokimi.contract', value: randomUUID() };
    return {
      engine,
      unreachable: createDockerEngine(new Docker({ socketPath: path.join(os.tmpdir(), `nk-no-engine-${suite.value}.sock`) })),
      image: PROBE_IMAGE,
      spec({ name, program, labels, image, cpus }) {
        const { cmd, env } = shell(program);
        return { name, Image: image ?? PROBE_IMAGE, Cmd: ['sh', '-c', cmd], Env: env, Labels: { ...labels, [suite.key]: suite.value },
          HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], ...(cpus ? { NanoCpus: cpus * 1e9 } : {}) } };
      },
      cpus: async (name) => ((await docker.getContainer(name).inspect()).HostConfig.NanoCpus ?? 0) / 1e9,
      exists: (name) => docker.getContainer(name).inspect().then(() => true, (err: { statusCode?: number }) => {
        if (err.statusCode === 404) return false;
        throw err;
      }),
      async leave(spec) { await (await docker.createContainer(spec)).start(); },
      async close() {
        const left = await docker.listContainers({ all: true, filters: { label: [`${suite.key}=${suite.value}`] } });
        await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
      },
    };
  });
});

dockerEngineContract('the scripted double (test/fixtures/scripted-engine.ts)', async () => {
  const image = 'contract-image:scripted';
  const programs = new Map<string, Program>();
  const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => {
    if (signal.aborted) resolve(); else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // The program as a script: the double hands it SIGTERM as the signal and plays the engine around it.
  async function play(spec: Docker.ContainerCreateOptions, { signal, onOutput }: RunOpts) {
    const p = programs.get(spec.name!)!;
    onOutput(p.output);
    if (p.then !== 'ignores-term' && 'exit' in p.then) return { exitCode: p.then.exit };
    await aborted(signal);
    if (p.then === 'ignores-term') return new Promise<never>(() => undefined);
    onOutput(p.then.onTerm.output);
    return { exitCode: p.then.onTerm.exit };
  }
  const scripted = createScriptedEngine({ images: [image], run: play });
  return {
    engine: scripted.engine,
    unreachable: createScriptedEngine({ images: [image], down: true }).engine,
    image,
    spec({ name, program, labels, image: other, cpus }) {
      programs.set(name, program);
      return { name, Image: other ?? image, Labels: labels, ...(cpus ? { HostConfig: { NanoCpus: cpus * 1e9 } } : {}) };
    },
    exists: async (name) => scripted.exists(name),
    cpus: async (name) => scripted.cpus(name),
    leave: async (spec) => scripted.engine.leave(spec),
    close: async () => undefined,
  };
});
