/**
 * @module The project root and its .env, for every command. It imports nothing heavy: `nanokimi chat`
 * reads DATA_DIR through here and stays off the config schema (zod), which would add some 60 ms to its start.
 */
import path from 'node:path';
import dotenv from 'dotenv';

export const projectRoot = path.resolve(import.meta.dirname, '../..');
export const envFile = path.join(projectRoot, '.env');

/** process.env with .env's keys added; a key set in the environment wins. */
export function readEnv(): NodeJS.ProcessEnv {
  dotenv.config({ path: envFile, quiet: true });
  return process.env;
}
