/**
 * @module The host keeps the Kimi login; containers get an access token only. The daemon is the one
 * writer of the token: it holds the refresh token in `data/credentials/kimi-code.json` (never
 * mounted), refreshes it itself before the access token runs out, and writes a copy without the
 * refresh token into `data/oauth-token/` for the containers. So no container can read, leak or
 * rotate away the long-lived secret, and containers running at once never race to refresh it.
 *
 * The copy's `expires_at` is the host's promise, not the server's: a day past the real expiry, with
 * `expires_in` 0, so the CLI (which refreshes when under max(300 s, expires_in / 2)) never tries to
 * refresh by itself; the host replaces the file halfway through the token's real life.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import { writeFileAtomic } from '@nanokimi/protocol/atomic-write';
import { readAgentFile, removeAgentEntry } from '../ipc/ipc-dirs.ts';
import type { Logger } from '../logger.ts';
import { endpointsOf, tokenFileName, type KimiEndpoints } from './endpoints.ts';
import { refreshKimiToken, type IssuedToken } from './oauth-refresh.ts';
import { tokenFileSchema, type TokenFile } from './token.ts';

export const CONTAINER_COPY_GRACE_S = 24 * 3600;
const MAX_TOKEN_BYTES = 64 * 1024;
const RETRY_MS = [5_000, 10_000, 30_000, 60_000];
export const LOGIN_FIX = 'run `kimi login` on the host, then scripts/setup-oauth-isolation.sh --token ~/.kimi-code/credentials/kimi-code.json --force';

export type HostToken = TokenFile & { refresh_token: string };

/** The file that holds the login: the host's own once the daemon keeps it, else the shared one of before. */
export function loginFile(dataDir: string): string {
  const own = path.join(dataDir, 'credentials', 'kimi-code.json');
  return fs.existsSync(path.join(dataDir, 'credentials', '.token-custody')) ? own : path.join(dataDir, 'oauth-token', 'kimi-code.json');
}

/** What the containers get: the access token and nothing that renews it. Pure. */
export function containerCopy(t: HostToken): Record<string, unknown> {
  return { access_token: t.access_token, token_type: t.token_type ?? 'Bearer', ...(t.scope ? { scope: t.scope } : {}),
    expires_at: t.expires_at + CONTAINER_COPY_GRACE_S, expires_in: 0 };
}

/** When to refresh (ms since the epoch): halfway through the token's life, like the CLI would. Pure. */
export function refreshDueAt(t: HostToken): number {
  const life = t.expires_in && t.expires_in > 0 ? t.expires_in : 900;
  return (t.expires_at - life / 2) * 1000;
}

/** The token a refresh answered, as the CLI would store it. Pure. */
export function storedToken(issued: IssuedToken, nowMs: number): HostToken {
  return { ...issued, expires_at: Math.floor(nowMs / 1000) + issued.expires_in };
}

export type CustodyDeps = {
  dataDir: string;
  cliVersion: string;
  log: Logger;
  /**
   * Told once each time the login service refuses the login. A login that is simply missing is only
   * logged: the first run that needs it tells the chat, so a daemon used without Kimi stays quiet.
   */
  onLoginLost: (message: string) => void;
  now?: () => number;
};

export type TokenCustody = {
  /** Token strings the host knows: a reply carrying one is withheld. */
  secrets(): string[];
  /**
   * Resolves once the login was first read (or found missing), so that secrets() knows the tokens:
   * nothing an agent wrote may be sent before that.
   */
  ready: Promise<void>;
  /** Stops refreshing; resolves once a refresh under way has finished writing. */
  stop(): Promise<void>;
};

/** A login file: read through no link and no FIFO (the shared one is the agents' to write). */
async function readToken(file: string): Promise<HostToken | null> {
  const text = await readAgentFile(file, MAX_TOKEN_BYTES);
  if (text === null) return null;
  try {
    const parsed = tokenFileSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.refresh_token ? (parsed.data as HostToken) : null;
  } catch { return null; }
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function startTokenCustody(deps: CustodyDeps): TokenCustody {
  const now = deps.now ?? Date.now;
  const credDir = path.join(deps.dataDir, 'credentials');
  const hostFile = path.join(credDir, 'kimi-code.json');
  const marker = path.join(credDir, '.token-custody');
  const copyDir = path.join(deps.dataDir, 'oauth-token');
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  let lostAnnounced = false;
  let current: HostToken | null = null;
  /** A refresh token the login service refused: not tried again. */
  let refused: string | undefined;

  const endpoints = (): KimiEndpoints => {
    try { return endpointsOf(TOML.parse(fs.readFileSync(path.join(credDir, 'config.toml'), 'utf8'))); } catch { return endpointsOf({}); }
  };
  const deviceId = () => {
    const file = path.join(credDir, 'device_id');
    try { return fs.readFileSync(file, 'utf8').trim(); } catch { /* first refresh: make one */ }
    const id = randomUUID();
    writePrivate(file, id);
    return id;
  };
  const refresh = (r: { oauthHost: string; refreshToken: string }) => refreshKimiToken({ ...r, cliVersion: deps.cliVersion, deviceId: deviceId() });

  /**
   * Before custody, containers refreshed the token in data/oauth-token/ themselves, so the newest
   * refresh token is there. It is taken over once; after that the host never reads that directory.
   */
  async function adoptPreCustodyToken(): Promise<void> {
    if (fs.existsSync(marker)) return;
    fs.mkdirSync(credDir, { recursive: true, mode: 0o700 });
    const live = await readToken(path.join(copyDir, tokenFileName(endpoints()))) ?? await readToken(path.join(copyDir, 'kimi-code.json'));
    if (live) {
      if (fs.existsSync(hostFile)) fs.copyFileSync(hostFile, `${hostFile}.pre-custody`);
      writePrivate(hostFile, JSON.stringify(live));
      deps.log.info({ from: copyDir, to: hostFile }, 'The Kimi login moved into the host\'s custody; containers get an access token only from now on');
    }
    writePrivate(marker, `The daemon keeps the Kimi refresh token in kimi-code.json here and never reads data/oauth-token/.\n`);
  }

  async function publish(t: HostToken): Promise<void> {
    current = t;
    fs.mkdirSync(copyDir, { recursive: true });
    const name = tokenFileName(endpoints());
    // Every container writes this directory: writeFileAtomic is safe against what they planted there.
    await writeFileAtomic(copyDir, name, JSON.stringify(containerCopy(t)));
    // A refresh token left in the shared directory by the pre-custody layout must not stay readable.
    if (name !== 'kimi-code.json') await removeAgentEntry(path.join(copyDir, 'kimi-code.json'));
  }

  /** Said once (in the log, and to the owner when `tell`) until a new login arrives; the checks that follow stay quiet. */
  function lost(message: string, tell: boolean): void {
    if (lostAnnounced) return;
    deps.log.error({ tokenFile: hostFile }, message);
    if (tell) deps.onLoginLost(message);
    lostAnnounced = true;
  }

  let inFlight: Promise<void> = Promise.resolve();
  function run(): void {
    inFlight = tick().finally(markReady).catch((err: unknown) => {
      // A full disk or an unwritable directory: said, and tried again; the old copy stays in place.
      deps.log.error({ err: String(err) }, 'Could not update the Kimi token files; trying again in a minute');
      schedule(60_000);
    });
  }
  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(run, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    timer.unref();
  }

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => { markReady = r; });

  async function tick(): Promise<void> {
    await adoptPreCustodyToken(); // once: after that the marker is there and it returns at once
    const t = await readToken(hostFile);
    if (!t) {
      current = null;
      lost(`No usable Kimi login at ${hostFile}: agents cannot answer. Fix: ${LOGIN_FIX}`, false);
      schedule(60_000); // a new login put there by the setup script is picked up
      return;
    }
    if (t.refresh_token !== current?.refresh_token) {
      lostAnnounced = false;
      await publish(t);
    }
    markReady(); // the tokens are known; a refresh below may take a while
    if (t.refresh_token === refused) { schedule(60_000); return; }
    if (now() < refreshDueAt(t)) { schedule(refreshDueAt(t) - now()); return; }
    const outcome = await refresh({ oauthHost: endpoints().oauthHost, refreshToken: t.refresh_token });
    if (stopped) return;
    if (outcome.ok) {
      failures = 0;
      const next = storedToken(outcome.token, now());
      writePrivate(hostFile, JSON.stringify(next));
      await publish(next);
      deps.log.info({ expiresInSeconds: next.expires_in }, 'Kimi access token refreshed by the host');
      schedule(refreshDueAt(next) - now());
      return;
    }
    if (outcome.kind === 'unauthorized') {
      refused = t.refresh_token;
      lost(`The Kimi login was refused when refreshing it (${outcome.detail}): agents cannot answer until you log in again. Fix: ${LOGIN_FIX}`, true);
      schedule(60_000);
      return;
    }
    const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
    failures += 1;
    const expired = now() >= t.expires_at * 1000;
    deps.log[expired ? 'error' : 'warn']({ attempt: failures, retryInSeconds: wait / 1000 },
      `Could not refresh the Kimi token: ${outcome.detail}${expired ? '; the access token has expired, so agents fail until it works' : ''}`);
    schedule(wait);
  }

  run();
  return {
    ready,
    secrets: () => (current ? [current.access_token, current.refresh_token].filter((s) => s.length >= 16) : []),
    async stop() { stopped = true; clearTimeout(timer); await inFlight; },
  };
}
