import { describe, expect, it } from 'vitest';
import { endpointsOf, tokenFileName } from './endpoints.ts';

describe('the Kimi endpoints and the token file name the CLI uses for them', () => {
  it('is kimi-code.json for the official endpoints, as seed 000 has them', () => {
    const e = endpointsOf({ providers: { 'managed:kimi-code': { base_url: 'https://api.kimi.com/coding/v1/', oauth: { storage: 'file', key: 'oauth/kimi-code' } } } });
    expect(e).toEqual({ oauthHost: 'https://auth.kimi.com', baseUrl: 'https://api.kimi.com/coding/v1' });
    expect(tokenFileName(e)).toBe('kimi-code.json');
  });

  it('is scoped by a hash of both endpoints otherwise (checked against what Kimi Code CLI 2.1.0 reads)', () => {
    // The name the real CLI looked for with this base URL and the default OAuth host, on our machines.
    expect(tokenFileName({ oauthHost: 'https://auth.kimi.com', baseUrl: 'http://127.0.0.1:18080/v1' })).toBe('kimi-code-env-9149b527a3cd0245.json');
    expect(tokenFileName({ oauthHost: 'http://127.0.0.1:18080', baseUrl: 'http://127.0.0.1:18080/v1' })).toMatch(/^kimi-code-env-[0-9a-f]{16}\.json$/);
  });

  it('takes the OAuth host from oauth.oauth_host and falls back to the defaults', () => {
    expect(endpointsOf({ providers: { 'managed:kimi-code': { oauth: { oauth_host: 'http://127.0.0.1:9/' } } } }))
      .toEqual({ oauthHost: 'http://127.0.0.1:9', baseUrl: 'https://api.kimi.com/coding/v1' });
    expect(endpointsOf({})).toEqual({ oauthHost: 'https://auth.kimi.com', baseUrl: 'https://api.kimi.com/coding/v1' });
  });
});
