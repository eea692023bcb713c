/**
 * @module The model key must be one of `[models]` in config.toml, or the CLI fails the first prompt
 * with a bare "LLM is not set". Checked before any turn, with a message that lists what exists.
 */
import fs from 'node:fs';
import TOML from '@iarna/toml';

export function checkModel(configToml: string, model: string): string | null {
  let parsed: Record<string, unknown>;
  try {
    parsed = TOML.parse(fs.readFileSync(configToml, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    return `the Kimi configuration ${configToml} cannot be read (${(err as Error).message}); check it on the host with \`nanokimi doctor\`.`;
  }
  const models = Object.keys((parsed.models ?? {}) as Record<string, unknown>);
  if (models.includes(model)) return null;
  return `the model "${model}" is not in [models] of config.toml (it has: ${models.join(', ') || 'none'}); ` +
    'set KIMI_MODEL to one of those, or add the model to data/credentials/config.toml.';
}
