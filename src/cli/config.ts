/** @module What every command starts from: the project root and the validated configuration. */
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { NanoKimiError } from '../errors.ts';

export const projectRoot = path.resolve(import.meta.dirname, '../..');

export function cliConfig(): Config {
  dotenv.config({ path: path.join(projectRoot, '.env'), quiet: true });
  try {
    return loadConfig(process.env, projectRoot);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new NanoKimiError('config', `configuration is not valid:\n${err.message}`,
        `fix the value in ${path.join(projectRoot, '.env')} or the environment; .env.example describes every key`);
    }
    throw err;
  }
}
