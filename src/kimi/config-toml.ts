/** @module Checks the Kimi CLI's config.toml (data/credentials/config.toml) for what NanoKimi's containers need. */
import fs from 'node:fs/promises';
import { parseToml, resolveModel } from '@nanokimi/protocol/kimi-config';
import { z } from 'zod';

/** The only provider name for which the CLI refreshes the OAuth token by itself. */
export const MANAGED_PROVIDER = 'managed:kimi-code';
/** `oauth.key` that maps to `<share dir>/credentials/kimi-code.json`, the token NanoKimi mounts. */
export const OAUTH_KEY = 'oauth/kimi-code';

// Loose objects throughout: the CLI has many more keys than NanoKimi cares about, all allowed.
const modelSchema = z.looseObject({
  provider: z.string({ error: 'a string naming a table of [providers], e.g. "managed:kimi-code"' }),
  model: z.string({ error: 'a string naming the provider\'s model, e.g. "kimi-latest"' }),
  max_context_size: z.number({ error: 'a number of tokens, e.g. 200000' }).int('a whole number of tokens')
    .positive('a positive number of tokens').optional(),
  capabilities: z.array(z.string({ error: 'a string' }), { error: 'a list of strings, e.g. ["thinking"]' }).optional(),
});

const providerSchema = z.looseObject({
  type: z.string({ error: 'a string naming the provider type, e.g. "kimi"' }),
  base_url: z.string({ error: 'a URL string' }).optional(),
  api_key: z.string({ error: 'a string (empty with OAuth)' }).optional(),
  oauth: z.looseObject({
    storage: z.string({ error: '"file"' }),
    key: z.string({ error: `"${OAUTH_KEY}"` }),
  }, { error: `an inline table: oauth = { storage = "file", key = "${OAUTH_KEY}" }` }).optional(),
});

const configSchema = z.looseObject({
  default_model: z.string({ error: 'a string naming a table of [models], e.g. "kimi-code"' })
    .min(1, 'a non-empty string naming a table of [models]'),
  default_thinking: z.boolean({ error: 'true or false' }).optional(),
  default_yolo: z.boolean({ error: 'true or false' }).optional(),
  models: z.record(z.string(), modelSchema, { error: 'a table of models, e.g. [models.kimi-code]' }),
  providers: z.record(z.string(), providerSchema, { error: `a table of providers, e.g. [providers."${MANAGED_PROVIDER}"]` }),
});

export type KimiConfig = z.infer<typeof configSchema>;
export type KimiConfigResult = { ok: true; config: KimiConfig } | { ok: false; problems: string[] };

/** A key path as TOML would write it: bare segments, quoted where needed (`providers."managed:kimi-code".type`). */
export function keyPath(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => {
    if (typeof s === 'number') return `[${s}]`;
    const text = String(s);
    const seg = /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text);
    return i === 0 ? seg : `.${seg}`;
  }).join('');
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let v = root;
  for (const s of segments) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[s] : undefined;
  return v;
}

/** `key = value is not valid: expected ...`, or `key is missing: expected ...`. */
function problem(root: unknown, segments: readonly PropertyKey[], expected: string): string {
  const value = valueAt(root, segments);
  const where = keyPath(segments);
  return value === undefined
    ? `${where} is missing: expected ${expected}`
    : `${where} = ${JSON.stringify(value)} is not valid: expected ${expected}`;
}

/** The rules that tie keys together, on an already well-typed config. */
function crossCheck(c: KimiConfig): string[] {
  const problems: string[] = [];
  const providers = Object.keys(c.providers).map((p) => JSON.stringify(p)).join(', ') || 'none';
  for (const [name, m] of Object.entries(c.models)) {
    if (!Object.hasOwn(c.providers, m.provider)) {
      problems.push(`${keyPath(['models', name, 'provider'])} = ${JSON.stringify(m.provider)} names no table of [providers]: expected one of ${providers}`);
    }
  }
  const model = Object.hasOwn(c.models, c.default_model) ? c.models[c.default_model] : undefined;
  if (!model) {
    const known = Object.keys(c.models).map((m) => JSON.stringify(m)).join(', ') || 'none';
    problems.push(`default_model = ${JSON.stringify(c.default_model)} names no table of [models]: expected one of ${known} (the CLI fails every prompt with "LLM not set" otherwise)`);
    return problems;
  }
  if (model.provider !== MANAGED_PROVIDER) {
    problems.push(`${keyPath(['models', c.default_model, 'provider'])} = ${JSON.stringify(model.provider)} is not valid: expected "${MANAGED_PROVIDER}" (the CLI refreshes the OAuth token automatically only for a provider of exactly that name)`);
    return problems;
  }
  const provider = c.providers[MANAGED_PROVIDER];
  if (!provider) return problems; // already reported as a model naming no provider
  const at = (...rest: string[]) => ['providers', MANAGED_PROVIDER, ...rest];
  if (provider.type !== 'kimi') problems.push(problem(c, at('type'), '"kimi"'));
  if (!provider.oauth) {
    problems.push(problem(c, at('oauth'), `oauth = { storage = "file", key = "${OAUTH_KEY}" }`));
    return problems;
  }
  if (provider.oauth.storage === 'keyring') {
    problems.push(`${keyPath(at('oauth', 'storage'))} = "keyring" is refused: expected "file" (with keyring the CLI rewrites config.toml at start-up, which fails on the container's read-only mount)`);
  } else if (provider.oauth.storage !== 'file') {
    problems.push(problem(c, at('oauth', 'storage'), '"file" (the token lives in credentials/kimi-code.json, the directory NanoKimi mounts)'));
  }
  if (provider.oauth.key !== OAUTH_KEY) {
    problems.push(problem(c, at('oauth', 'key'), `"${OAUTH_KEY}" (the token file credentials/kimi-code.json that NanoKimi mounts)`));
  }
  return problems;
}

/** Parses and validates config.toml text; every problem names its key and what is expected there. */
export function checkKimiConfig(text: string): KimiConfigResult {
  const parsed = parseToml(text);
  if (!parsed.ok) return { ok: false, problems: [parsed.problem] };
  const result = configSchema.safeParse(parsed.data);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map((i) => problem(parsed.data, i.path, i.message)) };
  }
  const problems = crossCheck(result.data);
  return problems.length ? { ok: false, problems } : { ok: true, config: result.data };
}

/** Reads and checks the config.toml at `file`; a missing or unreadable file is a problem, not a throw. */
export async function readKimiConfig(file: string): Promise<KimiConfigResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      return { ok: false, problems: [`${file} does not exist: run scripts/setup-oauth-isolation.sh to create it`] };
    }
    return { ok: false, problems: [`${file} cannot be read (${e.code ?? e.message}): check its owner and permissions`] };
  }
  return checkKimiConfig(text);
}

/** The model check of a run: null when fine, else the sentence to tell. */
export async function modelProblem(file: string, wanted: string | null): Promise<string | null> {
  const chosen = await resolveModel(file, wanted);
  return chosen.ok ? null : chosen.problem;
}
