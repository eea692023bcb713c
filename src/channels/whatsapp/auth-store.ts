/** @module Baileys auth state (creds and signal keys) in SQLite, so a kill mid-write never leaves a torn session. */
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import type { Db } from '../../store/db.ts';

export type SqliteAuthState = {
  /** Hand this to Baileys as `auth`. `state.creds` is replaced by `clear()`, so read it after clearing. */
  state: AuthenticationState;
  /** Call on every `creds.update`, after Baileys has merged the update into `state.creds`. */
  saveCreds(): void;
  /** Whether the stored creds belong to a device that finished linking. */
  hasCreds(): boolean;
  /** Forgets the session (creds and keys) so the user can link again after "logged out". */
  clear(): void;
};

type KeyType = keyof SignalDataTypeMap;
type KeyRow = { id: string; value: string };

const serialise = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);
const parse = (json: string): unknown => JSON.parse(json, BufferJSON.reviver);

/**
 * Linked means pairing finished: `me` alone is not enough, because `requestPairingCode` sets
 * `me` (with name '~') before the phone has accepted the code. A finished pairing stores the
 * signed `account` identity (QR and code flows), and the code flow also sets `registered`.
 */
function isLinked(creds: AuthenticationCreds): boolean {
  return Boolean(creds.me?.id) && (creds.account != null || creds.registered);
}

function revive<T extends KeyType>(type: T, json: string): SignalDataTypeMap[T] {
  const value = parse(json);
  // Baileys hands us proto messages, whose toJSON turns bytes into base64 strings; fromObject
  // decodes them back to bytes, which a plain BufferJSON parse would leave as strings.
  const revived: unknown = type === 'app-state-sync-key'
    ? proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>)
    : value;
  return revived as SignalDataTypeMap[T];
}

export function createSqliteAuthState(db: Db): SqliteAuthState {
  const selectCreds = db.prepare(`SELECT value FROM wa_auth WHERE type = 'creds' AND id = 'creds'`).pluck();
  // One upsert statement: SQLite makes it atomic, so a crash leaves the old or the new creds.
  const upsertCreds = db.prepare(`INSERT INTO wa_auth (type, id, value) VALUES ('creds', 'creds', ?)
    ON CONFLICT (type, id) DO UPDATE SET value = excluded.value`);
  // json_each lets one prepared statement take any number of ids.
  const selectKeys = db.prepare(`SELECT id, value FROM wa_auth
    WHERE type = +? AND id IN (SELECT value FROM json_each(?))`);
  const upsertKey = db.prepare(`INSERT INTO wa_auth (type, id, value) VALUES (?, ?, ?)
    ON CONFLICT (type, id) DO UPDATE SET value = excluded.value`);
  const deleteKey = db.prepare('DELETE FROM wa_auth WHERE type = +? AND id = +?');
  const deleteAll = db.prepare('DELETE FROM wa_auth');

  const loadCreds = (): AuthenticationCreds | undefined => {
    const json = selectCreds.get() as string | undefined;
    return json === undefined ? undefined : (parse(json) as AuthenticationCreds);
  };

  // Baileys updates several keys together (a session and the pre-key it consumed); writing them
  // all or none keeps the signal state consistent if the process dies in between.
  const setKeys = db.transaction((data: SignalDataSet) => {
    for (const [type, byId] of Object.entries(data)) {
      for (const [id, value] of Object.entries(byId ?? {})) {
        if (value == null) deleteKey.run(type, id);
        else upsertKey.run(type, id, serialise(value));
      }
    }
  });

  const get = <T extends KeyType>(type: T, ids: string[]): { [id: string]: SignalDataTypeMap[T] } => {
    const found: { [id: string]: SignalDataTypeMap[T] } = {};
    for (const row of selectKeys.all(type, JSON.stringify(ids)) as KeyRow[]) {
      found[row.id] = revive(type, row.value);
    }
    return found;
  };

  const state: AuthenticationState = {
    // Fresh creds are only saved when Baileys reports them through creds.update, so an
    // abandoned link attempt leaves nothing behind.
    creds: loadCreds() ?? initAuthCreds(),
    keys: { get, set: (data) => { setKeys(data); } },
  };

  return {
    state,
    saveCreds: () => { upsertCreds.run(serialise(state.creds)); },
    hasCreds: () => {
      const creds = loadCreds();
      return creds !== undefined && isLinked(creds);
    },
    clear: () => {
      deleteAll.run();
      // The old identity is dead for WhatsApp; a new link must start from fresh keys.
      state.creds = initAuthCreds();
    },
  };
}
