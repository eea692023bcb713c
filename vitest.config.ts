import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'container/agent-runner/src/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    // Spawned daemons and real file watching need more than the 5 s default on a loaded machine.
    // Builds the container test images once, when a Docker engine is reachable.
    globalSetup: ['test/integration/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
