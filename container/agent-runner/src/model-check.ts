/**
 * @module Which model the runner asks the CLI for: KIMI_MODEL, else config.toml's default_model. It
 * must be a key of `[models]`, or the CLI fails the first prompt with a bare error; checked before
 * any turn, with a message that lists what exists.
 */
import fs from 'node:fs';
import TOML from '@iarna/toml';

export function chooseModel(configToml: string, wanted: string | undefined): { ok: true; model: string } | { ok: false; message: string } {
  let parsed: Record<string, unknown>;
  try {
    parsed = TOML.parse(fs.readFileSync(configToml, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, message: `the Kimi configuration ${configToml} cannot be read (${(err as Error).message}); check it on the host with \`nanokimi doctor\`.` };
  }
  const models = Object.keys((parsed.models ?? {}) as Record<string, unknown>);
  const model = wanted ?? (typeof parsed.default_model === 'string' ? parsed.default_model : undefined);
  if (model && models.includes(model)) return { ok: true, model };
  const which = wanted ? `the model "${wanted}" (KIMI_MODEL)` : model ? `the default_model "${model}"` : 'no model (KIMI_MODEL and default_model are both unset)';
  return { ok: false, message: `${which} is not in [models] of config.toml (it has: ${models.join(', ') || 'none'}); ` +
    'set KIMI_MODEL in .env to one of those, or add the model to data/credentials/config.toml.' };
}
