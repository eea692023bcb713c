import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from './config.ts';
import { dataPaths } from './data-paths.ts';

const ROOT = '/srv/nanokimi';
const repoRoot = path.resolve(import.meta.dirname, '..');

/** Runs loadConfig and returns the ConfigError it throws, failing the test if it does not throw one. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env, ROOT);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({}, ROOT);
    expect(config).toEqual({
      assistantName: 'Kai',
      assistantHasOwnNumber: false,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      maxConcurrentContainers: 3,
      containerImage: 'nanokimi-agent:latest',
      containerUser: '1000:1000',
      containerLimits: { memoryMb: 1024, cpus: 1, pids: 256 },
      containerNetwork: 'bridge', kimiModel: null,
      mountAllowlist: path.join(os.homedir(), '.config', 'nanokimi', 'mount-allowlist.json'),
      agentTimeoutMs: 1_800_000,
      agentIdleMs: 300_000,
      agentMaxAttempts: 3,
      maxPromptChars: 40_000, retentionDays: 30, mediaMaxMb: 20, replyQuote: 'auto', ackReaction: null, transcribeCommand: null,
      logLevel: 'info',
      logFile: '/srv/nanokimi/logs/nanokimi.log',
      healthPort: 0,
      projectRoot: ROOT,
      dataDir: '/srv/nanokimi/data',
      groupsDir: '/srv/nanokimi/groups',
      dbPath: '/srv/nanokimi/data/nanokimi.db',
      ipcDir: '/srv/nanokimi/data/ipc',
      socketPath: '/srv/nanokimi/data/nanokimi.sock',
    });
  });

  it('reads set values, converting seconds to milliseconds', () => {
    const config = loadConfig({
      ASSISTANT_NAME: 'Nova', TZ: 'Europe/Madrid', MAX_CONCURRENT_CONTAINERS: '5', AGENT_TIMEOUT_SECONDS: '60',
      AGENT_IDLE_SECONDS: '30', AGENT_MAX_ATTEMPTS: '2', MAX_PROMPT_CHARS: '2000', LOG_LEVEL: 'debug',
      CONTAINER_IMAGE: 'registry.example.com/agent:1.2',
    }, ROOT);
    expect(config).toMatchObject({
      assistantName: 'Nova', timeZone: 'Europe/Madrid', maxConcurrentContainers: 5, agentTimeoutMs: 60_000,
      agentIdleMs: 30_000, agentMaxAttempts: 2, maxPromptChars: 2000, logLevel: 'debug',
      containerImage: 'registry.example.com/agent:1.2',
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}, ROOT))).toBe(true);
  });

  it('resolves relative directories against the project root and derives the paths inside them', () => {
    const config = loadConfig({ DATA_DIR: 'state/run', GROUPS_DIR: '../shared-groups' }, ROOT);
    expect(config.dataDir).toBe('/srv/nanokimi/state/run');
    expect(config.groupsDir).toBe('/srv/shared-groups');
    expect(config.dbPath).toBe('/srv/nanokimi/state/run/nanokimi.db');
    expect(config.ipcDir).toBe('/srv/nanokimi/state/run/ipc');
    expect(config.socketPath).toBe('/srv/nanokimi/state/run/nanokimi.sock');
  });

  it('keeps absolute directories as they are', () => {
    const config = loadConfig({ DATA_DIR: '/var/lib/nanokimi' }, ROOT);
    expect(config.dataDir).toBe('/var/lib/nanokimi');
    expect(config.dbPath).toBe('/var/lib/nanokimi/nanokimi.db');
  });

  it('treats an empty string as unset, so `KEY=` falls back to the default', () => {
    const config = loadConfig({ ASSISTANT_NAME: '', MAX_CONCURRENT_CONTAINERS: '', LOG_LEVEL: '', DATA_DIR: '' }, ROOT);
    expect(config.assistantName).toBe('Kai');
    expect(config.maxConcurrentContainers).toBe(3);
    expect(config.logLevel).toBe('info');
    expect(config.dataDir).toBe('/srv/nanokimi/data');
  });

  it.each([{}, { DATA_DIR: '' }, { DATA_DIR: 'state/run' }, { DATA_DIR: '/var/lib/nanokimi' }])(
    'puts the data paths where dataPaths, which `nanokimi chat` reads DATA_DIR with, does (%o)', (env) => {
      const config = loadConfig(env, ROOT);
      expect(dataPaths(env.DATA_DIR, ROOT)).toEqual({ dataDir: config.dataDir, dbPath: config.dbPath, ipcDir: config.ipcDir,
        socketPath: config.socketPath });
    });

  it('ignores keys that are not part of the schema', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: '!!' }, ROOT)).not.toThrow();
  });

  it('reports every bad key on its own line with the value and the expected form', () => {
    const err = configError({
      MAX_CONCURRENT_CONTAINERS: 'abc', TZ: 'Mars/Olympus', LOG_LEVEL: 'loud', ASSISTANT_NAME: 'two words',
    });
    expect(err.name).toBe('ConfigError');
    const lines = err.message.split('\n').sort();
    expect(lines).toEqual([
      'ASSISTANT_NAME="two words" is not valid: expected a single word of letters, digits, _ or - (e.g. Kai)',
      'LOG_LEVEL="loud" is not valid: expected one of fatal, error, warn, info, debug, trace, silent',
      'MAX_CONCURRENT_CONTAINERS="abc" is not valid: expected a whole number from 1 to 64',
      'TZ="Mars/Olympus" is not valid: expected an IANA time zone such as Europe/Madrid or UTC',
    ]);
  });

  it.each([
    ['MAX_CONCURRENT_CONTAINERS', '0', 'a whole number from 1 to 64'],
    ['MAX_CONCURRENT_CONTAINERS', '65', 'a whole number from 1 to 64'],
    ['MAX_CONCURRENT_CONTAINERS', '-3.5', 'a whole number from 1 to 64'],
    ['AGENT_TIMEOUT_SECONDS', '9', 'a whole number from 10 to 86400'],
    ['AGENT_MAX_ATTEMPTS', '2.5', 'a whole number from 1 to 10'],
    ['MAX_PROMPT_CHARS', '999', 'a whole number from 1000 to 1000000'],
    ['CONTAINER_IMAGE', 'Not An Image', 'a Docker image reference'],
    ['ASSISTANT_NAME', '@Kai', 'a single word'],
  ])('rejects %s=%s with exactly one line naming the expected form', (key, value, expected) => {
    const err = configError({ [key]: value });
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toContain(`${key}=${JSON.stringify(value)}`);
    expect(err.message).toContain(`expected ${expected}`);
  });
});

describe('.env.example', () => {
  it('lists exactly the keys of the environment schema', () => {
    const text = fs.readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
    const listed = text.split('\n')
      .map((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
      .filter((key): key is string => key !== undefined);
    expect(new Set(listed).size).toBe(listed.length); // each key once
    expect([...listed].sort()).toEqual(Object.keys(envSchema.shape).sort());
  });
});

describe('container settings', () => {
  it('reads limits, user and network, and expands ~ in the allowlist path', () => {
    const c = loadConfig({ CONTAINER_USER: '1001:1001', CONTAINER_MEMORY_MB: '512', CONTAINER_CPUS: '1.5', CONTAINER_PIDS: '100',
      CONTAINER_NETWORK: 'none', MOUNT_ALLOWLIST: '~/allow.json' }, '/srv/nanokimi');
    expect(c).toMatchObject({ containerUser: '1001:1001', containerLimits: { memoryMb: 512, cpus: 1.5, pids: 100 },
      containerNetwork: 'none', mountAllowlist: path.join(os.homedir(), 'allow.json') });
  });
  it('joins another container\'s network (an egress filter) and takes the model key', () => {
    const c = loadConfig({ CONTAINER_NETWORK: 'container:nanokimi-egress', KIMI_MODEL: 'kimi-code' }, '/srv/nanokimi');
    expect(c).toMatchObject({ containerNetwork: 'container:nanokimi-egress', kimiModel: 'kimi-code' });
  });
  it.each([['CONTAINER_USER', 'node'], ['CONTAINER_CPUS', '0'], ['CONTAINER_NETWORK', 'host'], ['CONTAINER_NETWORK', 'container:'],
    ['CONTAINER_MEMORY_MB', '64'], ['KIMI_MODEL', 'two words']])(
    'refuses %s=%s', (key, value) => {
      expect(() => loadConfig({ [key]: value }, '/srv/nanokimi')).toThrow(new RegExp(`^${key}="${value}" is not valid: expected `));
    });
});
