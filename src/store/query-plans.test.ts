/**
 * What the stores ask SQLite, read through its query plans: the questions asked on every message
 * or reply are answered from an index, so their cost does not grow with a chat's history, and no
 * statement is compiled again on every call.
 */
import { describe, expect, it } from 'vitest';
import { createSqliteAuthState } from '../channels/whatsapp/auth-store.ts';
import { createWaStore } from '../channels/whatsapp/wa-store.ts';
import { openDb, type Db } from './db.ts';
import { createStores } from './stores.ts';

/** Every statement the stores prepare, with the plan SQLite chose for it. */
function preparedPlans(): { sql: string; plan: string }[] {
  const db: Db = openDb(':memory:');
  const prepare = db.prepare.bind(db);
  const seen: string[] = [];
  db.prepare = ((sql: string) => { seen.push(sql); return prepare(sql); }) as Db['prepare'];
  createStores(db);
  createSqliteAuthState(db);
  createWaStore(db);
  return seen.map((sql) => {
    const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
    const explain = prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = (named.length ? explain.all(Object.fromEntries(named.map((k) => [k, 1])))
      : explain.all(...Array<number>((sql.match(/\?/g) ?? []).length).fill(1))) as { detail: string }[];
    return { sql: sql.replace(/\s+/g, ' '), plan: rows.map((r) => r.detail).join(' | ') };
  });
}

describe('query plans', () => {
  const plans = preparedPlans();
  const planOf = (needle: string) => {
    const found = plans.filter((p) => p.sql.includes(needle));
    expect(found, needle).toHaveLength(1);
    return found[0]!.plan;
  };

  it('counts the messages after the one answered from an index on (chat, seq)', () => {
    expect(planOf('SELECT COUNT(*) AS n FROM messages WHERE chat_jid = +? AND seq > ?')).toMatch(/USING COVERING INDEX messages_by_chat \(chat_jid=\? AND seq>\?\)/);
  });

  it("finds a group's open run among the open runs only", () => {
    expect(planOf("FROM runs WHERE group_folder = +? AND status = 'running' ORDER BY id DESC LIMIT 1")).toMatch(/USING INDEX runs_open \(group_folder=\?\)/);
  });

  it('reads no table that grows with use from end to end', () => {
    const growing = ['messages', 'runs', 'outbox', 'task_runs', 'wa_sent'];
    const walks = plans.filter((p) => growing.some((t) => new RegExp(`\\bSCAN ${t}\\b(?! USING)`).test(p.plan)));
    expect(walks).toEqual([]);
  });

  // SQLite marks a bare parameter compared with = (or IS, or a LIMIT) as one whose value may change
  // the plan; better-sqlite3 clears the bindings after every call, which throws such a statement's
  // compiled form away, so it was parsed and planned again each time (bench/store-reads.ts: 9-13 µs
  // a read instead of 2.4-4). `+?` has no affinity, as `?` has none: it compares the same, and the
  // plans stay as the tests above want them. better-sqlite3 exposes no count of re-preparations, so
  // the rule is read off the SQL.
  it('compares no column with a bare parameter, so no statement is compiled again on each call', () => {
    const replanned = plans.map((p) => p.sql).filter((sql) => /\b(?:WHERE|AND|OR|ON)\s+[\w.]+\s*(?:=|==|IS)\s*[?@:$]|\bLIMIT\s*[?@:$]/i.test(sql));
    expect(replanned).toEqual([]);
  });
});
