import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Group } from '../domain.ts';
import { shouldTrigger } from '../router/trigger.ts';
import { migrate, openDb } from './db.ts';
import { createGroupStore } from './groups.ts';
import { migrations } from './migrations.ts';

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'family', jid: '123@g.us', name: 'Family', requiresTrigger: true, isMain: false,
  container: {}, createdAt: 1_000, ...over,
});

describe('group store', () => {
  let groups: ReturnType<typeof createGroupStore>;
  beforeEach(() => { groups = createGroupStore(openDb(':memory:')); });

  it('stores a group and finds it by folder and by jid', () => {
    const g = group({ container: { memoryMb: 512 }, requiresTrigger: false });
    groups.insert(g);
    expect(groups.get('family')).toEqual(g);
    expect(groups.byJid('123@g.us')).toEqual(g);
    expect(groups.get('missing')).toBeUndefined();
  });

  it('keeps who may wake the assistant, and forgets the list again for anyone', () => {
    groups.insert(group());
    expect(groups.get('family')!.allowedSenders).toBeUndefined();
    groups.setAllowedSenders('family', ['+34600111222', '187222456274981@lid']);
    expect(groups.get('family')!.allowedSenders).toEqual(['+34600111222', '187222456274981@lid']);
    groups.setAllowedSenders('family', null);
    expect(groups.get('family')!.allowedSenders).toBeUndefined();
  });

  it('keeps the sender list a group is inserted with', () => {
    const g = group({ allowedSenders: ['15557654321'] });
    groups.insert(g);
    expect(groups.get('family')).toEqual(g);
  });

  it('lists the main group first', () => {
    groups.insert(group({ folder: 'alpha', jid: 'a@g.us' }));
    groups.insert(group({ folder: 'main', jid: 'm@s.whatsapp.net', isMain: true }));
    expect(groups.list().map((g) => g.folder)).toEqual(['main', 'alpha']);
  });

  it('starts a cursor at 0', () => {
    expect(groups.cursor('family')).toBe(0);
  });

  it('moves the cursor forward only; an older seq never rewinds it', () => {
    groups.advanceCursor('family', 10);
    expect(groups.cursor('family')).toBe(10);
    groups.advanceCursor('family', 4);
    expect(groups.cursor('family')).toBe(10);
    groups.advanceCursor('family', 25);
    expect(groups.cursor('family')).toBe(25);
    expect(groups.cursor('work')).toBe(0);
  });

  it('keeps the latest session id per group', () => {
    expect(groups.session('family')).toBeUndefined();
    groups.saveSession('family', 's1');
    groups.saveSession('family', 's2');
    expect(groups.session('family')).toBe('s2');
  });
});

describe('a group registered before the trigger came from the name (migration 6)', () => {
  it('keeps everything else and wakes on "@" + the name as configured now', () => {
    // A database as NanoKimi left it before: migrations 1-5, the trigger word stored with the group.
    const db = new Database(':memory:');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of migrations.filter((x) => x.version <= 5)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    db.prepare(`INSERT INTO groups (folder, jid, name, trigger, requires_trigger, is_main, container_config, allowed_senders, created_at)
      VALUES ('family', '123@g.us', 'Family', '@Kai', 1, 0, '{"cpus":2}', '["15557654321"]', 7)`).run();

    migrate(db);
    const g = createGroupStore(db).get('family')!;
    expect(g).toEqual({ folder: 'family', jid: '123@g.us', name: 'Family', requiresTrigger: true, isMain: false,
      container: { cpus: 2 }, allowedSenders: ['15557654321'], createdAt: 7 });
    const fromOwner = { chatJid: '123@g.us', id: 'm1', senderId: '15557654321@s.whatsapp.net', senderName: 'Ana', sentAt: 0 };
    // ASSISTANT_NAME is now Nova: the old word no longer wakes it, the new one does.
    expect(shouldTrigger({ ...fromOwner, text: '@Nova hi' }, g, 'Nova')).toBe(true);
    expect(shouldTrigger({ ...fromOwner, text: '@Kai hi' }, g, 'Nova')).toBe(false);
  });
});
