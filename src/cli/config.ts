/** @module What every command but `chat` starts from: the validated configuration. */
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { NanoKimiError } from '../errors.ts';
import { envFile, projectRoot, readEnv } from './env.ts';

export function cliConfig(): Config {
  const env = readEnv();
  try {
    return loadConfig(env, projectRoot);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new NanoKimiError('config', `configuration is not valid:\n${err.message}`,
        `fix the value in ${envFile} or the environment; .env.example describes every key`);
    }
    throw err;
  }
}
