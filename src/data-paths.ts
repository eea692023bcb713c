/**
 * @module Where the runtime state lives, from DATA_DIR: the one place these paths are joined. Apart from
 * config.ts so that what only needs the socket (`nanokimi chat`) or must work with a broken .env
 * (`nanokimi service-failed`) finds it without the config schema.
 */
import path from 'node:path';

export const DEFAULT_DATA_DIR = 'data';

export type DataPaths = Readonly<{ dataDir: string; dbPath: string; ipcDir: string; socketPath: string }>;

/** `dataDir` as DATA_DIR holds it: unset or empty is the default, and a relative path is from the project root. */
export function dataPaths(dataDir: string | undefined, projectRoot: string): DataPaths {
  const dir = path.resolve(projectRoot, dataDir || DEFAULT_DATA_DIR);
  return { dataDir: dir, dbPath: path.join(dir, 'nanokimi.db'), ipcDir: path.join(dir, 'ipc'), socketPath: path.join(dir, 'nanokimi.sock') };
}
