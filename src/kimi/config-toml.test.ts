import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkKimiConfig, keyPath, readKimiConfig } from './config-toml.ts';

/** The example from seed 000 (OAuth token isolation), verbatim. */
const seedConfig = `default_model = "kimi-code"
default_thinking = false
default_yolo = true

[models.kimi-code]
provider = "managed:kimi-code"
model = "kimi-latest"
max_context_size = 200000
capabilities = ["thinking"]

[providers."managed:kimi-code"]
type = "kimi"
base_url = "https://api.kimi.com/coding/v1"
api_key = ""
oauth = { storage = "file", key = "oauth/kimi-code" }
`;

const problemsOf = (text: string): string[] => {
  const r = checkKimiConfig(text);
  if (r.ok) throw new Error('expected problems, got a valid config');
  return r.problems;
};

describe('checkKimiConfig', () => {
  it('accepts the example config.toml from the setup notes', () => {
    const r = checkKimiConfig(seedConfig);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.default_model).toBe('kimi-code');
    expect(r.config.models['kimi-code']?.provider).toBe('managed:kimi-code');
    expect(r.config.providers['managed:kimi-code']?.oauth).toEqual({ storage: 'file', key: 'oauth/kimi-code' });
  });

  it('allows keys it does not know, at every level', () => {
    const text = seedConfig.replace('default_yolo = true', 'default_yolo = true\nmerge_all_available_skills = true')
      .replace('capabilities = ["thinking"]', 'capabilities = ["thinking"]\ndisplay_name = "K2"')
      + '\n[loop_control]\nmax_steps_per_turn = 100\n';
    expect(checkKimiConfig(text).ok).toBe(true);
  });

  it('reports a TOML syntax error with its line and column', () => {
    const [p] = problemsOf('default_model = "kimi-code"\n[models.kimi-code\nprovider = "x"\n');
    expect(p).toMatch(/^TOML syntax error at line 2, column \d+: /);
    expect(p).not.toMatch(/row|pos/);
  });

  it('requires default_model', () => {
    expect(problemsOf(seedConfig.replace('default_model = "kimi-code"\n', ''))).toEqual([
      'default_model is missing: expected a string naming a table of [models], e.g. "kimi-code"',
    ]);
  });

  it('requires default_model to be a key of [models]', () => {
    const [p] = problemsOf(seedConfig.replace('default_model = "kimi-code"', 'default_model = "kimi-latest"'));
    expect(p).toBe('default_model = "kimi-latest" names no table of [models]: expected one of "kimi-code" (the CLI fails every prompt with "LLM not set" otherwise)');
  });

  it('says what is expected when a key has the wrong type', () => {
    expect(problemsOf(seedConfig.replace('default_thinking = false', 'default_thinking = "no"'))).toEqual([
      'default_thinking = "no" is not valid: expected true or false',
    ]);
  });

  it('requires each model\'s provider to exist in [providers]', () => {
    const text = `${seedConfig}\n[models.other]\nprovider = "moonshot"\nmodel = "kimi-k2"\n`;
    expect(problemsOf(text)).toEqual([
      'models.other.provider = "moonshot" names no table of [providers]: expected one of "managed:kimi-code"',
    ]);
  });

  it('requires the default model\'s provider to be named exactly managed:kimi-code', () => {
    const text = seedConfig.replaceAll('managed:kimi-code', 'kimi-code');
    expect(problemsOf(text)).toEqual([
      'models.kimi-code.provider = "kimi-code" is not valid: expected "managed:kimi-code" (the CLI refreshes the OAuth token automatically only for a provider of exactly that name)',
    ]);
  });

  it('requires type = "kimi" on the managed provider', () => {
    expect(problemsOf(seedConfig.replace('type = "kimi"', 'type = "openai_legacy"'))).toEqual([
      'providers."managed:kimi-code".type = "openai_legacy" is not valid: expected "kimi"',
    ]);
  });

  it('requires the oauth table on the managed provider', () => {
    expect(problemsOf(seedConfig.replace(/^oauth = .*$/m, ''))).toEqual([
      'providers."managed:kimi-code".oauth is missing: expected oauth = { storage = "file", key = "oauth/kimi-code" }',
    ]);
  });

  it('refuses keyring storage, saying why', () => {
    const [p] = problemsOf(seedConfig.replace('storage = "file"', 'storage = "keyring"'));
    expect(p).toBe('providers."managed:kimi-code".oauth.storage = "keyring" is refused: expected "file" (with keyring the CLI rewrites config.toml at start-up, which fails on the container\'s read-only mount)');
  });

  it('requires the oauth key that maps to the mounted token file', () => {
    expect(problemsOf(seedConfig.replace('key = "oauth/kimi-code"', 'key = "oauth/other"'))).toEqual([
      'providers."managed:kimi-code".oauth.key = "oauth/other" is not valid: expected "oauth/kimi-code" (the token file credentials/kimi-code.json that NanoKimi mounts)',
    ]);
  });

  it('reports several problems at once', () => {
    const text = seedConfig.replace('type = "kimi"', 'type = "x"').replace('storage = "file"', 'storage = "keyring"');
    expect(problemsOf(text)).toHaveLength(2);
  });

  it('reports missing tables', () => {
    expect(problemsOf('default_model = "kimi-code"\n')).toEqual([
      'models is missing: expected a table of models, e.g. [models.kimi-code]',
      'providers is missing: expected a table of providers, e.g. [providers."managed:kimi-code"]',
    ]);
  });
});

describe('keyPath', () => {
  it('quotes only the segments TOML would quote', () => {
    expect(keyPath(['providers', 'managed:kimi-code', 'oauth', 'storage'])).toBe('providers."managed:kimi-code".oauth.storage');
    expect(keyPath(['models', 'kimi-code', 'capabilities', 0])).toBe('models.kimi-code.capabilities[0]');
  });
});

describe('readKimiConfig', () => {
  it('reads and checks a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-toml-'));
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, seedConfig);
    expect((await readKimiConfig(file)).ok).toBe(true);
  });

  it('tells to run the setup script when the file is missing', async () => {
    const r = await readKimiConfig('/nonexistent/config.toml');
    expect(r).toEqual({ ok: false, problems: ['/nonexistent/config.toml does not exist: run scripts/setup-oauth-isolation.sh to create it'] });
  });
});
