/**
 * Runs once before the whole suite: builds the test images when a Docker engine is here, so the
 * container test files (which run in parallel) do not build the same images at the same time.
 */
import { buildTestImages, dockerReady } from './docker-harness.ts';

export default async function setup(): Promise<void> {
  if (await dockerReady()) await buildTestImages();
}
