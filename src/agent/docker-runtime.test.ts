import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { createDockerRuntime, DockerUnavailable } from './docker-runtime.ts';

describe('the Docker runtime when no engine answers', () => {
  const runtime = createDockerRuntime(new Docker({ socketPath: '/nonexistent/docker.sock' }));

  it('reports the engine as unreachable, naming the socket, on every call', async () => {
    await expect(runtime.ping()).rejects.toThrow(DockerUnavailable);
    await expect(runtime.ping()).rejects.toThrow(/not reachable \(ENOENT on \/nonexistent\/docker.sock\)/);
    await expect(runtime.imageExists('x')).rejects.toThrow(DockerUnavailable);
    await expect(runtime.removeOrphans('x')).rejects.toThrow(DockerUnavailable);
    await expect(runtime.run({ Image: 'x' }, { signal: new AbortController().signal, graceSeconds: 1, onOutput: () => undefined }))
      .rejects.toThrow(DockerUnavailable);
  });
});
