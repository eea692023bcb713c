/**
 * @module Where the Kimi login lives: the OAuth host and the API base URL, from config.toml's
 * managed provider (its `base_url` and `oauth.oauth_host`), and the name the CLI gives the token
 * file for that pair. The official endpoints use `kimi-code.json`; any other pair gets a name
 * scoped by a hash of both, so a token never reaches a server it was not issued for. Pure.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_OAUTH_HOST = 'https://auth.kimi.com';
export const DEFAULT_BASE_URL = 'https://api.kimi.com/coding/v1';

export type KimiEndpoints = { oauthHost: string; baseUrl: string };

const norm = (url: string) => url.trim().replace(/\/+$/, '');

/** The endpoints config.toml names, with the CLI's defaults for what it leaves out. */
export function endpointsOf(config: unknown): KimiEndpoints {
  const providers = (config as { providers?: Record<string, { base_url?: unknown; oauth?: { oauth_host?: unknown } }> })?.providers;
  const managed = providers?.['managed:kimi-code'];
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? norm(v) : undefined);
  return { oauthHost: str(managed?.oauth?.oauth_host) ?? DEFAULT_OAUTH_HOST, baseUrl: str(managed?.base_url) ?? DEFAULT_BASE_URL };
}

/** The file name under `credentials/` that the CLI reads the token from, for these endpoints. */
export function tokenFileName(e: KimiEndpoints): string {
  const oauthHost = norm(e.oauthHost);
  const baseUrl = norm(e.baseUrl);
  if (oauthHost === DEFAULT_OAUTH_HOST && baseUrl === DEFAULT_BASE_URL) return 'kimi-code.json';
  const h = createHash('sha256').update(JSON.stringify({ oauthHost, baseUrl })).digest('hex').slice(0, 16);
  return `kimi-code-env-${h}.json`;
}
