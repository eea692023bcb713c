import { beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../domain.ts';
import { openDb, type Db } from './db.ts';
import { createMessageStore } from './messages.ts';

const CHAT = '123@g.us';

let nextId = 0;
const msg = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  chatJid: CHAT, id: `m${++nextId}`, senderId: '34600000001@s.whatsapp.net', senderName: 'Ana', text: 'hello',
  sentAt: 1_700_000_000_000, isGroupChat: true, chatName: 'Family', ...over,
});

describe('message store', () => {
  let db: Db;
  let messages: ReturnType<typeof createMessageStore>;
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;

  beforeEach(() => {
    db = openDb(':memory:');
    messages = createMessageStore(db);
  });

  it('stores a message and reads it back with its seq and trigger flag', () => {
    const seq = messages.insert(msg({ id: 'a', text: '@Kai hi' }), 'family', true);
    expect(seq).toBeTypeOf('number');
    expect(messages.after('family', 0)).toEqual([{
      seq, chatJid: CHAT, groupFolder: 'family', msgId: 'a', senderId: '34600000001@s.whatsapp.net',
      senderName: 'Ana', text: '@Kai hi', sentAt: 1_700_000_000_000, triggers: true,
    }]);
  });

  it('returns null for a duplicate (chat, id) and stores nothing the second time', () => {
    expect(messages.insert(msg({ id: 'dup', text: 'first' }), 'family', false)).not.toBeNull();
    expect(messages.insert(msg({ id: 'dup', text: 'second' }), 'family', true)).toBeNull();
    expect(count()).toBe(1);
    expect(messages.after('family', 0).map((m) => [m.text, m.triggers])).toEqual([['first', false]]);
  });

  it('accepts the same message id in a different chat', () => {
    expect(messages.insert(msg({ id: 'same' }), 'family', false)).not.toBeNull();
    expect(messages.insert(msg({ id: 'same', chatJid: '456@g.us' }), 'work', false)).not.toBeNull();
    expect(count()).toBe(2);
  });

  it('gives increasing seqs in arrival order even when timestamps are equal or go backwards', () => {
    const seqs = [
      messages.insert(msg({ text: 'one', sentAt: 5_000 }), 'family', false),
      messages.insert(msg({ text: 'two', sentAt: 5_000 }), 'family', false),
      messages.insert(msg({ text: 'three', sentAt: 1_000 }), 'family', false),
      messages.insert(msg({ text: 'four', sentAt: 3_000 }), 'family', false),
    ];
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    expect(messages.after('family', 0).map((m) => m.text)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('returns every message of the group after a seq, with no limit', () => {
    const seqs: number[] = [];
    for (let i = 0; i < 600; i++) seqs.push(messages.insert(msg({ text: `n${i}` }), 'family', false)!);
    const after = messages.after('family', seqs[99]!);
    expect(after).toHaveLength(500);
    expect(after[0]!.text).toBe('n100');
    expect(after.at(-1)!.text).toBe('n599');
  });

  it('returns only the asked group after a seq', () => {
    messages.insert(msg({ text: 'family-1' }), 'family', false);
    messages.insert(msg({ chatJid: '456@g.us', text: 'work-1' }), 'work', false);
    messages.insert(msg({ chatJid: '789@g.us', text: 'unregistered' }), null, false);
    messages.insert(msg({ text: 'family-2' }), 'family', false);
    expect(messages.after('family', 0).map((m) => m.text)).toEqual(['family-1', 'family-2']);
    expect(messages.after('work', 0).map((m) => m.text)).toEqual(['work-1']);
  });

  it('finds the newest triggering message after a seq, or null when none waits', () => {
    const s1 = messages.insert(msg({ text: '@Kai first' }), 'family', true)!;
    const s2 = messages.insert(msg({ text: 'chatter' }), 'family', false)!;
    const s3 = messages.insert(msg({ text: '@Kai second' }), 'family', true)!;
    const s4 = messages.insert(msg({ text: 'more chatter' }), 'family', false)!;
    messages.insert(msg({ chatJid: '456@g.us', text: '@Kai elsewhere' }), 'work', true);

    expect(messages.lastTriggerAfter('family', 0)).toBe(s3);
    expect(messages.lastTriggerAfter('family', s1)).toBe(s3);
    expect(messages.lastTriggerAfter('family', s2)).toBe(s3);
    expect(messages.lastTriggerAfter('family', s3)).toBeNull();
    expect(messages.lastTriggerAfter('family', s4)).toBeNull();
  });

  it('records the chat, keeping its name when a later message has none', () => {
    messages.insert(msg({ sentAt: 2_000, chatName: 'Family' }), 'family', false);
    messages.insert(msg({ sentAt: 1_000, chatName: undefined }), 'family', false);
    expect(db.prepare('SELECT jid, name, is_group, last_message_at FROM chats').all()).toEqual([
      { jid: CHAT, name: 'Family', is_group: 1, last_message_at: 2_000 },
    ]);
  });
  describe('stored together (insertSoon)', () => {
    // That a turn's writes are one commit is group-commit.test.ts's to show.
    it('stores what arrives in one turn in arrival order, and tells each caller its seq', async () => {
      const seqs = await Promise.all([
        messages.insertSoon(msg({ id: 'x1', chatJid: 'a@g.us' }), 'a', true),
        messages.insertSoon(msg({ id: 'x2', chatJid: 'b@g.us' }), 'b', false),
        messages.insertSoon(msg({ id: 'x1', chatJid: 'a@g.us', text: 'again' }), 'a', true),
      ]);
      expect(seqs[0]).toBeLessThan(seqs[1]!);
      expect(seqs[2]).toBeNull();
      expect(messages.after('a', 0).map((m) => m.text)).toEqual(['hello']);
    });

    it('refuses only the message that cannot be stored, not the others that came with it', async () => {
      const results = await Promise.allSettled([
        messages.insertSoon(msg({ id: 'ok1' }), 'family', false),
        messages.insertSoon(msg({ id: 'bad', text: { not: 'text' } as unknown as string }), 'family', false),
        messages.insertSoon(msg({ id: 'ok2' }), 'family', false),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(messages.after('family', 0).map((m) => m.msgId)).toEqual(['ok1', 'ok2']);
    });
  });
});
