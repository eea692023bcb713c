/**
 * @module config.toml (the Kimi CLI's configuration) as the host and the agent-runner both read it:
 * its TOML, and the rule that picks a run's model. The daemon checks the model before it starts a
 * container, so a problem is told without one; the runner resolves it again to open its session.
 */
import fs from 'node:fs/promises';
import TOML from '@iarna/toml';

type TomlError = Error & { line?: number; col?: number; fromTOML?: boolean };

/** TOML text as data, or the syntax error with its line and column counted from 1. */
export function parseToml(text: string): { ok: true; data: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, data: TOML.parse(text) };
  } catch (err) {
    const e = err as TomlError;
    if (!e.fromTOML || e.line === undefined || e.col === undefined) throw err;
    // The library's message repeats the position 0-based and appends a source excerpt; keep the reason only.
    const reason = e.message.split('\n')[0]!.replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    return { ok: false, problem: `TOML syntax error at line ${e.line + 1}, column ${e.col + 1}: ${reason}` };
  }
}

/**
 * The model a run uses: KIMI_MODEL when set, else default_model; it must name a table of [models].
 * Takes the parsed file as it is, so a run is checked even when other parts of config.toml are for
 * doctor to report.
 */
export function chooseModel(c: { default_model?: unknown; models?: unknown }, wanted: string | null): { ok: true; model: string } | { ok: false; problem: string } {
  const models = c.models && typeof c.models === 'object' ? Object.keys(c.models) : [];
  const model = wanted ?? (typeof c.default_model === 'string' ? c.default_model : undefined);
  if (model && models.includes(model)) return { ok: true, model };
  const known = models.join(', ') || 'none';
  if (!model) return { ok: false, problem: `neither KIMI_MODEL nor default_model in config.toml names a model (it has: ${known}); set one of them.` };
  return { ok: false, problem: `${wanted ? 'KIMI_MODEL' : 'default_model'}=${model} names no table of [models] in config.toml (it has: ${known}); ` +
    `set KIMI_MODEL in .env to one of those, or add [models.${model}] to data/credentials/config.toml.` };
}

/**
 * The model of a run, straight from the file; the daemon asks before each container, and the
 * agent-runner before its first turn.
 */
export async function resolveModel(file: string, wanted: string | null): Promise<{ ok: true; model: string } | { ok: false; problem: string }> {
  let data: unknown;
  try {
    const parsed = parseToml(await fs.readFile(file, 'utf8'));
    if (!parsed.ok) return { ok: false, problem: `${file}: ${parsed.problem}; run \`nanokimi doctor\`.` };
    data = parsed.data;
  } catch (err) {
    return { ok: false, problem: `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); run \`nanokimi doctor\`.` };
  }
  return chooseModel(data as { default_model?: unknown; models?: unknown }, wanted);
}
