import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from './db.ts';
import { createOutboxStore, type NewReply } from './outbox.ts';

const reply = (over: Partial<NewReply> = {}): NewReply => ({
  sourceKey: 'family/messages/1.json', groupFolder: 'family', chatJid: '123@g.us', text: 'Hi!', runId: null, ...over,
});

describe('outbox store', () => {
  let db: Db;
  let outbox: ReturnType<typeof createOutboxStore>;
  const rows = () => db.prepare('SELECT source_key, text, status FROM outbox ORDER BY id').all();

  beforeEach(() => {
    db = openDb(':memory:');
    outbox = createOutboxStore(db);
  });

  it('adds a reply once per source key; adding it again is a no-op', () => {
    expect(outbox.add(reply({ text: 'first' }))).toBe(1);
    expect(outbox.add(reply({ text: 'again' }))).toBeNull();
    expect(rows()).toEqual([{ source_key: 'family/messages/1.json', text: 'first', status: 'pending' }]);
  });

  it('next is the oldest pending reply for that chat only', () => {
    outbox.add(reply({ sourceKey: 'a', text: 'one' }));
    outbox.add(reply({ sourceKey: 'b', chatJid: '456@g.us', groupFolder: 'work', text: 'other chat' }));
    outbox.add(reply({ sourceKey: 'c', text: 'two' }));
    expect(outbox.next('123@g.us')).toMatchObject({ groupFolder: 'family', chatJid: '123@g.us', text: 'one', attempts: 0 });
    expect(outbox.next('456@g.us')?.text).toBe('other chat');
    expect(outbox.next('999@g.us')).toBeUndefined();
  });

  it('markSent takes a reply out of pending and into the sent list', () => {
    outbox.add(reply({ sourceKey: 'a', text: 'one' }));
    outbox.add(reply({ sourceKey: 'b', text: 'two' }));
    outbox.markSent(outbox.next('123@g.us')!.id);
    expect(outbox.next('123@g.us')?.text).toBe('two');
    expect(outbox.sent()).toEqual([{ chatJid: '123@g.us', text: 'one' }]);
    outbox.markSent(outbox.next('123@g.us')!.id);
    expect(outbox.next('123@g.us')).toBeUndefined();
    expect(outbox.pendingChats()).toEqual([]);
  });

  it('a failed attempt keeps the reply pending and counts the attempt', () => {
    outbox.add(reply());
    const id = outbox.next('123@g.us')!.id;
    outbox.markFailedAttempt(id, 'offline');
    outbox.markFailedAttempt(id, 'still offline');
    expect(outbox.next('123@g.us')).toMatchObject({ id, attempts: 2 });
    expect(db.prepare('SELECT last_error FROM outbox WHERE id = ?').get(id)).toEqual({ last_error: 'still offline' });
  });

  it('lists each chat with pending replies once', () => {
    outbox.add(reply({ sourceKey: 'a' }));
    outbox.add(reply({ sourceKey: 'b' }));
    outbox.add(reply({ sourceKey: 'c', chatJid: 'local:family' }));
    expect(outbox.pendingChats().sort()).toEqual(['123@g.us', 'local:family']);
  });
});
