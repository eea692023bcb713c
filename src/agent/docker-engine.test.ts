import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { createDockerEngine, DockerUnavailable } from './docker-engine.ts';

describe('the Docker engine when no engine answers', () => {
  const engine = createDockerEngine(new Docker({ socketPath: '/nonexistent/docker.sock' }));

  it('reports the engine as unreachable, naming the socket, on every call', async () => {
    await expect(engine.ping()).rejects.toThrow(DockerUnavailable);
    await expect(engine.ping()).rejects.toThrow(/not reachable \(ENOENT on \/nonexistent\/docker.sock\)/);
    await expect(engine.imageExists('x')).rejects.toThrow(DockerUnavailable);
    await expect(engine.removeOrphans('x')).rejects.toThrow(DockerUnavailable);
    await expect(engine.run({ Image: 'x' }, { signal: new AbortController().signal, graceSeconds: 1, onOutput: () => undefined }))
      .rejects.toThrow(DockerUnavailable);
  });
});
