import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRecorder } from '../../test/fixtures/event-recorder.ts';
import { ChannelRefused, ChannelUnavailable, type Channel, type ChannelEvents } from '../channels/channel.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { openDb, type Db } from '../store/db.ts';
import { createGroupCommit } from '../store/group-commit.ts';
import { createOutboxStore } from '../store/outbox.ts';
import { startOutboxSender, type OutboxSender, type OutboxSenderDeps } from './sender.ts';

const FAMILY = '123@g.us';
const WORK = '456@g.us';

/**
 * A channel that owns `@g.us` chats and records each send. `failures` makes the next sends fail;
 * with `manual`, each send waits until the test confirms it.
 */
class FakeChannel implements Channel {
  readonly name = 'fake';
  attempts: { chatJid: string; text: string; key: string }[] = [];
  delivered: { chatJid: string; text: string }[] = [];
  failures = 0;
  /** Texts the other side refuses, while the channel itself is up. */
  refused = new Set<string>();
  manual = false;
  private held: (() => void)[] = [];

  owns(chatJid: string): boolean { return chatJid.endsWith('@g.us'); }

  send(chatJid: string, text: string, key: string): Promise<void> {
    this.attempts.push({ chatJid, text, key });
    if (this.refused.has(text)) return Promise.reject(new ChannelRefused(`refused: ${text}`));
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new ChannelUnavailable('not connected'));
    }
    const deliver = () => { this.delivered.push({ chatJid, text }); };
    if (!this.manual) { deliver(); return Promise.resolve(); }
    return new Promise<void>((resolve) => { this.held.push(() => { deliver(); resolve(); }); });
  }

  /** Confirms the oldest send still waiting. */
  confirm(): void { this.held.shift()!(); }
  get waiting(): number { return this.held.length; }

  async start(_events: ChannelEvents): Promise<void> {}
  async stop(): Promise<void> {}
}

/** Lets pending work run: promise callbacks, and the group commit at the end of the turn (group-commit.ts). */
const settle = async () => {
  for (let turn = 0; turn < 3; turn++) {
    for (let i = 0; i < 10; i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
};
/** Fake timers for the backoff; the turn of the event loop (setImmediate, the group commit's) stays real. */
const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

describe('outbox sender', () => {
  let db: Db;
  let outbox: ReturnType<typeof createOutboxStore>;
  let channel: FakeChannel;
  let sender: OutboxSender | undefined;
  let n = 0;

  const add = (chatJid: string, text: string) =>
    outbox.add({ sourceKey: `src-${++n}`, groupFolder: 'family', chatJid, text, runId: null });
  const status = (text: string) =>
    db.prepare('SELECT status, attempts, last_error AS lastError FROM outbox WHERE text = ?').get(text);
  const start = (over: Partial<OutboxSenderDeps> = {}) => {
    sender = startOutboxSender({ outbox, commitSoon: createGroupCommit(db), channels: [channel], log: silentLogger(), retryBaseMs: 100, ...over });
    return sender;
  };

  beforeEach(() => {
    db = openDb(':memory:');
    outbox = createOutboxStore(db);
    channel = new FakeChannel();
  });
  afterEach(() => {
    sender?.stop();
    sender = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('sends each chat\'s replies in order and marks them sent', async () => {
    add(FAMILY, 'f1'); add(WORK, 'w1'); add(FAMILY, 'f2'); add(FAMILY, 'f3'); add(WORK, 'w2');
    start().wake();
    await sender!.flush(1_000);

    const texts = (jid: string) => channel.delivered.filter((d) => d.chatJid === jid).map((d) => d.text);
    expect(texts(FAMILY)).toEqual(['f1', 'f2', 'f3']);
    expect(texts(WORK)).toEqual(['w1', 'w2']);
    expect(outbox.pendingChats()).toEqual([]);
    expect(outbox.sent()).toHaveLength(5);
  });

  it('sets aside a reply the other side keeps refusing, tells once, and lets the later replies through', async () => {
    fakeClock();
    channel.refused.add('poison');
    add(FAMILY, 'poison'); add(FAMILY, 'after it');
    const told: string[] = [];
    start({ maxRefusals: 3, onDeadLetter: (row, error) => told.push(`${row.text}: ${error}`) }).wake(FAMILY);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(channel.attempts.filter((a) => a.text === 'poison')).toHaveLength(3);
    expect(status('poison')).toMatchObject({ status: 'dead', attempts: 3, lastError: 'ChannelRefused: refused: poison' });
    expect(channel.delivered.map((d) => d.text)).toEqual(['after it']);
    expect(told).toEqual(['poison: ChannelRefused: refused: poison']);
    expect(outbox.deadLetters().map((d) => d.text)).toEqual(['poison']);
  });

  it('tells of each reply delivered, not delivered yet (down or refused), or set aside, once the outbox says so', async () => {
    fakeClock();
    const events = createRecorder();
    channel.failures = 1;
    channel.refused.add('poison');
    const hello = add(FAMILY, 'hello')!;
    const poison = add(WORK, 'poison')!;
    const row = (id: number) => db.prepare('SELECT status, attempts, refusals FROM outbox WHERE id = ?').get(id);
    // The row as each event finds it: whoever waits on an event may read the outbox at once.
    const atEmit: unknown[] = [];
    start({ maxRefusals: 2, emit: (e) => { atEmit.push({ type: e.type, row: row((e as { outboxId: number }).outboxId) }); events.emit(e); } }).wake();
    await vi.advanceTimersByTimeAsync(5_000);
    await settle(); // the last "sent" commits at the end of its turn
    // Two chats, each on its own: their events interleave in no fixed order.
    expect(events.of('reply-deferred')).toHaveLength(2);
    expect(events.of('reply-deferred')).toEqual(expect.arrayContaining([
      { type: 'reply-deferred', outboxId: hello, chatJid: FAMILY, error: 'ChannelUnavailable: not connected', refused: false },
      { type: 'reply-deferred', outboxId: poison, chatJid: WORK, error: 'ChannelRefused: refused: poison', refused: true },
    ]));
    expect(events.of('reply-sent')).toEqual([{ type: 'reply-sent', outboxId: hello, chatJid: FAMILY }]);
    expect(events.of('reply-dead-lettered')).toEqual([
      { type: 'reply-dead-lettered', outboxId: poison, chatJid: WORK, error: 'ChannelRefused: refused: poison' }]);
    expect(atEmit).toHaveLength(4);
    expect(atEmit).toEqual(expect.arrayContaining([
      { type: 'reply-deferred', row: { status: 'pending', attempts: 1, refusals: 0 } },
      { type: 'reply-deferred', row: { status: 'pending', attempts: 1, refusals: 1 } },
      { type: 'reply-sent', row: { status: 'sent', attempts: 1, refusals: 0 } },
      { type: 'reply-dead-lettered', row: { status: 'dead', attempts: 2, refusals: 2 } },
    ]));
  });

  it('never sets aside a reply while the channel is merely unavailable, however long', async () => {
    fakeClock();
    channel.failures = 20;
    add(FAMILY, 'patient');
    start({ maxRefusals: 3, retryMaxMs: 200 }).wake(FAMILY);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(channel.delivered.map((d) => d.text)).toEqual(['patient']);
    expect(outbox.deadLetters()).toEqual([]);
  });

  it('passes a key that is stable for the reply', async () => {
    add(FAMILY, 'hello');
    const id = outbox.next(FAMILY)!.id;
    start().wake(FAMILY);
    await sender!.flush(1_000);
    expect(channel.attempts).toEqual([{ chatJid: FAMILY, text: 'hello', key: `nk-${id}` }]);
  });

  it('marks a reply sent only after the channel confirmed it, and sends the next only then', async () => {
    channel.manual = true;
    add(FAMILY, 'first'); add(FAMILY, 'second');
    start().wake(FAMILY);
    await settle();

    expect(channel.attempts.map((a) => a.text)).toEqual(['first']);
    expect(status('first')).toMatchObject({ status: 'pending' });

    channel.confirm();
    await settle();
    expect(status('first')).toMatchObject({ status: 'sent' });
    expect(status('second')).toMatchObject({ status: 'pending' });
    expect(channel.attempts.map((a) => a.text)).toEqual(['first', 'second']);

    channel.confirm();
    await settle();
    expect(status('second')).toMatchObject({ status: 'sent' });
  });

  it('sends a reply stored while a send was under way', async () => {
    channel.manual = true;
    add(FAMILY, 'first');
    start().wake(FAMILY);
    await settle();
    add(FAMILY, 'late');
    sender!.wake(FAMILY); // busy: it must look again when the current send ends
    channel.confirm();
    await settle();
    expect(channel.waiting).toBe(1);
    channel.confirm();
    await settle();
    expect(outbox.sent().map((s) => s.text)).toEqual(['first', 'late']);
  });

  it('keeps a reply whose send failed pending and retries it after a backoff', async () => {
    fakeClock();
    channel.failures = 1;
    add(FAMILY, 'hello'); add(FAMILY, 'after');
    start({ retryBaseMs: 100 }).wake(FAMILY);
    await settle();

    expect(channel.attempts).toHaveLength(1);
    expect(status('hello')).toEqual({ status: 'pending', attempts: 1, lastError: 'ChannelUnavailable: not connected' });
    expect(status('after')).toMatchObject({ status: 'pending', attempts: 0 }); // order holds: nothing skips ahead

    await vi.advanceTimersByTimeAsync(79); // 100 ms ±20%
    expect(channel.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(42);
    await settle(); // "after" goes once "hello" is marked sent
    expect(channel.attempts.map((a) => a.text)).toEqual(['hello', 'hello', 'after']);
    expect(outbox.sent().map((s) => s.text)).toEqual(['hello', 'after']);
  });

  it('survives an outbox it cannot write after a send, says so, and tries again later', async () => {
    const logged: { level: number; msg: string }[] = [];
    const log: Logger = pino({ level: 'info' }, { write: (line: string) => { logged.push(JSON.parse(line)); } });
    const commit = createGroupCommit(db);
    let refusals = 1;
    // The disk full when "sent" is written, once.
    const commitSoon: OutboxSenderDeps['commitSoon'] = (w) => (refusals-- > 0 ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : commit(w));
    add(FAMILY, 'hello');
    start({ commitSoon, log, retryBaseMs: 20 }).wake(FAMILY);
    for (let i = 0; i < 100 && outbox.sent().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(logged.find((l) => l.level === 50)?.msg).toMatch(/Could not record a reply's delivery in the outbox; trying again later/);
    // Sent again: at least once, never lost.
    expect(channel.delivered.map((d) => d.text)).toEqual(['hello', 'hello']);
    expect(outbox.sent().map((s) => s.text)).toEqual(['hello']);
  });

  it('backs off longer after repeated failures', async () => {
    fakeClock();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: the delays are exactly 100 ms, then 200 ms
    channel.failures = 2;
    add(FAMILY, 'hello');
    start({ retryBaseMs: 100 }).wake(FAMILY);
    await settle();
    await vi.advanceTimersByTimeAsync(99);
    expect(channel.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(channel.attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(channel.attempts).toHaveLength(3);
    await settle();
    expect(status('hello')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('leaves replies for a chat no channel owns pending, and logs an error', async () => {
    const logged: { level: number; msg: string; chatJid?: string }[] = [];
    const log: Logger = pino({ level: 'info' }, { write: (line: string) => { logged.push(JSON.parse(line)); } });
    add('telegram:42', 'nobody delivers this');
    start({ log }).wake();
    await sender!.flush(1_000);

    expect(channel.attempts).toEqual([]);
    expect(status('nobody delivers this')).toMatchObject({ status: 'pending', attempts: 0 });
    const errors = logged.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ chatJid: 'telegram:42' });
  });

  it('sends nothing after stop', async () => {
    start().stop();
    add(FAMILY, 'hello');
    sender!.wake(FAMILY);
    await settle();
    expect(channel.attempts).toEqual([]);
  });
});
