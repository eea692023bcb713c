/** @module Tests for the SQLite Baileys auth state: round trips, atomic batches and surviving a kill. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BufferJSON, initAuthCreds, proto, type SignalDataSet } from '@whiskeysockets/baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../store/db.ts';
import { createSqliteAuthState } from './auth-store.ts';

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const authRows = (db: Db) =>
  db.prepare('SELECT type, id, value FROM wa_auth ORDER BY type, id').all() as { type: string; id: string; value: string }[];

describe('createSqliteAuthState', () => {
  let dir: string;
  let file: string;
  const opened: Db[] = [];
  const open = (f = file) => { const db = openDb(f); opened.push(db); return db; };
  const reopen = (db: Db) => { db.close(); return open(); };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nanokimi-wa-auth-'));
    file = path.join(dir, 'nanokimi.db');
  });
  afterEach(async () => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts with fresh creds that are not written until saveCreds', () => {
    const db = open(':memory:');
    const auth = createSqliteAuthState(db);
    expect(Object.keys(auth.state.creds).sort()).toEqual(Object.keys(initAuthCreds()).sort());
    expect(auth.state.creds.noiseKey.private).toHaveLength(32);
    expect(auth.state.creds.registered).toBe(false);
    expect(authRows(db)).toEqual([]);
  });

  it('creds survive close and reopen, Buffers, me and registered included', () => {
    let db = open();
    const auth = createSqliteAuthState(db);
    Object.assign(auth.state.creds, {
      me: { id: '15551234567:3@s.whatsapp.net', lid: '123456789:3@lid', name: 'Kimi' },
      registered: true,
      routingInfo: randomBytes(12),
      nextPreKeyId: 42,
    });
    auth.saveCreds();
    const saved = auth.state.creds;

    db = reopen(db);
    const loaded = createSqliteAuthState(db).state.creds;
    expect(hex(loaded.noiseKey.private)).toBe(hex(saved.noiseKey.private));
    expect(hex(loaded.signedIdentityKey.public)).toBe(hex(saved.signedIdentityKey.public));
    expect(hex(loaded.signedPreKey.signature)).toBe(hex(saved.signedPreKey.signature));
    expect(hex(loaded.routingInfo)).toBe(hex(saved.routingInfo));
    expect(loaded.me).toEqual(saved.me);
    expect(loaded.registered).toBe(true);
    expect(loaded.nextPreKeyId).toBe(42);
    expect(loaded.advSecretKey).toBe(saved.advSecretKey);
  });

  it('keys of every kind survive close and reopen', async () => {
    let db = open();
    const preKey = { public: randomBytes(32), private: randomBytes(32) };
    const session = new Uint8Array(randomBytes(64));
    const tctoken = { token: randomBytes(16), timestamp: '1700000000' };
    const keyData = randomBytes(32);
    // Baileys stores the decoded proto message, not a plain object.
    const syncKey = proto.Message.AppStateSyncKeyData.fromObject({
      keyData, fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 2] }, timestamp: 1700000000,
    });
    await createSqliteAuthState(db).state.keys.set({
      'pre-key': { '1': preKey },
      session: { '15551234567.0': session },
      'lid-mapping': { '15551234567': '123456789' },
      'device-list': { '15551234567': ['0', '3'] },
      tctoken: { '15551234567@s.whatsapp.net': tctoken },
      'sender-key-memory': { '120363@g.us': { '15551234567:3@s.whatsapp.net': true } },
      'app-state-sync-key': { AAAAAQ: syncKey },
    });

    db = reopen(db);
    const { keys } = createSqliteAuthState(db).state;
    const pre = (await keys.get('pre-key', ['1']))['1'];
    expect([hex(pre?.public), hex(pre?.private)]).toEqual([hex(preKey.public), hex(preKey.private)]);
    expect(hex((await keys.get('session', ['15551234567.0']))['15551234567.0'])).toBe(hex(session));
    expect(await keys.get('lid-mapping', ['15551234567'])).toEqual({ '15551234567': '123456789' });
    expect(await keys.get('device-list', ['15551234567'])).toEqual({ '15551234567': ['0', '3'] });
    const token = (await keys.get('tctoken', ['15551234567@s.whatsapp.net']))['15551234567@s.whatsapp.net'];
    expect(hex(token?.token)).toBe(hex(tctoken.token));
    expect(token?.timestamp).toBe('1700000000');
    expect(await keys.get('sender-key-memory', ['120363@g.us']))
      .toEqual({ '120363@g.us': { '15551234567:3@s.whatsapp.net': true } });

    const sync = (await keys.get('app-state-sync-key', ['AAAAAQ'])).AAAAAQ;
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(sync?.keyData).toBeInstanceOf(Uint8Array);
    expect(hex(sync?.keyData ?? undefined)).toBe(hex(keyData));
    expect(sync?.fingerprint?.rawId).toBe(7);
    expect(Number(sync?.timestamp)).toBe(1700000000);
  });

  it('get leaves out ids that are not stored', async () => {
    const { keys } = createSqliteAuthState(open(':memory:')).state;
    await keys.set({ 'lid-mapping': { a: 'lid-a', c: 'lid-c' } });
    expect(await keys.get('lid-mapping', ['a', 'b', 'c', 'd'])).toEqual({ a: 'lid-a', c: 'lid-c' });
    expect(await keys.get('lid-mapping', [])).toEqual({});
    // Same id under another type is a different key.
    expect(await keys.get('device-list', ['a'])).toEqual({});
  });

  it('setting a key to null or undefined deletes it and leaves the others', async () => {
    const { keys } = createSqliteAuthState(open(':memory:')).state;
    await keys.set({ 'lid-mapping': { a: 'lid-a', b: 'lid-b', c: 'lid-c' } });
    await keys.set({ 'lid-mapping': { a: null, b: undefined as unknown as null } });
    expect(await keys.get('lid-mapping', ['a', 'b', 'c'])).toEqual({ c: 'lid-c' });
  });

  it('a batch that fails halfway writes none of its keys', async () => {
    const db = open(':memory:');
    const { keys } = createSqliteAuthState(db).state;
    await keys.set({ 'lid-mapping': { a: 'old-a' } });
    const batch = {
      'lid-mapping': { a: 'new-a', b: 'new-b' },
      session: { s: new Uint8Array([1, 2, 3]) },
      // JSON.stringify throws on a BigInt, after the valid keys above have been written.
      'sender-key-memory': { g: { broken: 1n } },
    } as unknown as SignalDataSet;
    expect(() => keys.set(batch)).toThrow(TypeError);
    expect(await keys.get('lid-mapping', ['a', 'b'])).toEqual({ a: 'old-a' });
    expect(await keys.get('session', ['s'])).toEqual({});
    expect(authRows(db)).toHaveLength(1);
  });

  it('hasCreds is true only once stored creds show a finished link', () => {
    let db = open();
    const auth = createSqliteAuthState(db);
    expect(auth.hasCreds()).toBe(false);

    auth.saveCreds();
    expect(auth.hasCreds()).toBe(false);

    // requestPairingCode sets `me` before the phone has accepted the code.
    auth.state.creds.me = { id: '15551234567@s.whatsapp.net', name: '~' };
    auth.state.creds.pairingCode = 'ABCD1234';
    auth.saveCreds();
    expect(auth.hasCreds()).toBe(false);

    // What configureSuccessfulPairing merges in when the link succeeds.
    Object.assign(auth.state.creds, {
      me: { id: '15551234567:3@s.whatsapp.net', name: 'Kimi' },
      account: { details: randomBytes(8), accountSignatureKey: randomBytes(32) },
    });
    expect(auth.hasCreds()).toBe(false); // not saved yet
    auth.saveCreds();
    expect(auth.hasCreds()).toBe(true);

    db = reopen(db);
    expect(createSqliteAuthState(db).hasCreds()).toBe(true);
  });

  it('clear forgets creds and keys and starts from a fresh identity', async () => {
    const db = open(':memory:');
    const auth = createSqliteAuthState(db);
    Object.assign(auth.state.creds, { me: { id: '1:3@s.whatsapp.net' }, registered: true });
    const oldNoise = hex(auth.state.creds.noiseKey.private);
    auth.saveCreds();
    await auth.state.keys.set({ 'lid-mapping': { a: 'lid-a' } });

    auth.clear();
    expect(authRows(db)).toEqual([]);
    expect(auth.hasCreds()).toBe(false);
    expect(await auth.state.keys.get('lid-mapping', ['a'])).toEqual({});
    expect(auth.state.creds.me).toBeUndefined();
    expect(hex(auth.state.creds.noiseKey.private)).not.toBe(oldNoise);
  });

  it('a process killed in the middle of writing leaves a store where every row parses', async () => {
    const script = path.join(dir, 'writer.mjs');
    const here = path.dirname(fileURLToPath(import.meta.url));
    await fs.writeFile(script, writerScript(
      pathToFileURL(path.resolve(here, '../../store/db.ts')).href,
      pathToFileURL(path.resolve(here, 'auth-store.ts')).href,
    ));
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); });
      void exited.then(() => reject(new Error(`writer exited before it was ready:\n${stderr}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const db = open();
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = authRows(db);
    expect(rows.filter((r) => r.type === 'session').length).toBeGreaterThan(0);
    for (const row of rows) expect(() => JSON.parse(row.value, BufferJSON.reviver), `${row.type}/${row.id}`).not.toThrow();
    const auth = createSqliteAuthState(db);
    expect(auth.state.creds.routingInfo).toHaveLength(2048);
    expect(auth.state.creds.nextPreKeyId).toBeGreaterThan(0);
    const sessions = await auth.state.keys.get('session', rows.filter((r) => r.type === 'session').map((r) => r.id));
    for (const value of Object.values(sessions)) expect(value).toHaveLength(4096);
  });
});

/** A writer that hammers creds and keys with large values, yielding so "ready" reaches the parent. */
function writerScript(dbUrl: string, authUrl: string): string {
  return `
import { randomBytes } from 'node:crypto';
const { openDb } = await import(${JSON.stringify(dbUrl)});
const { createSqliteAuthState } = await import(${JSON.stringify(authUrl)});
const auth = createSqliteAuthState(openDb(process.argv[2]));
let n = 0;
function burst() {
  for (let i = 0; i < 20; i++) {
    n++;
    auth.state.creds.nextPreKeyId = n;
    auth.state.creds.routingInfo = randomBytes(2048);
    auth.saveCreds();
    auth.state.keys.set({
      session: { ['s' + (n % 25)]: randomBytes(4096), ['t' + (n % 25)]: randomBytes(4096) },
      'pre-key': { [n]: { public: randomBytes(32), private: randomBytes(32) }, [n - 10]: null },
      'device-list': { ['u' + (n % 5)]: ['0', String(n)] },
    });
  }
  if (n === 20) process.stdout.write('ready\\n');
  setImmediate(burst);
}
burst();
`;
}
