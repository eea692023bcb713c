/**
 * The router's promises, as a table over the real stores (SQLite in memory): messages in, what is
 * stored (once), and who is woken: the group's live run, the queue, pairing, or nobody.
 */
import { describe, expect, it } from 'vitest';
import { createRecorder } from '../../test/fixtures/event-recorder.ts';
import type { Group, InboundMessage } from '../domain.ts';
import { silentLogger } from '../logger.ts';
import { openDb } from '../store/db.ts';
import { createStores } from '../store/stores.ts';
import { createRouter, type RouterDeps } from './router.ts';

const family: Group = { folder: 'family', jid: 'fam@g.us', name: 'Family', requiresTrigger: true, isMain: false, container: {}, createdAt: 0,
  allowedSenders: ['15550001', '15550002'] };
const main: Group = { folder: 'main', jid: '15559999@s.whatsapp.net', name: 'Main', requiresTrigger: false, isMain: true, container: {}, createdAt: 0 };

let n = 0;
const m = (over: Partial<InboundMessage>): InboundMessage => ({ chatJid: 'fam@g.us', id: `M${++n}`, senderId: '15550001@s.whatsapp.net',
  senderName: 'Ana', text: 'hello', sentAt: 1, isGroupChat: true, ...over });

type Row = {
  name: string;
  /** The family group has a live run that takes new messages. */
  live?: boolean;
  messages: () => InboundMessage[];
  stored: { folder: string | null; text: string; triggers: boolean }[];
  queued?: string[];
  piped?: string[];
  refusedWakes?: number;
  unknownDirect?: number;
  commands?: string[];
};

const rows: Row[] = [
  { name: 'a mention is stored and queues a run', messages: () => [m({ text: '@Kai hi' })],
    stored: [{ folder: 'family', text: '@Kai hi', triggers: true }], queued: ['family'] },
  { name: 'the same message delivered twice is stored and acted on once', messages: () => { const x = m({ text: '@Kai hi' }); return [x, { ...x }]; },
    stored: [{ folder: 'family', text: '@Kai hi', triggers: true }], queued: ['family'] },
  { name: 'with a live run, a mention goes to it instead of the queue', live: true, messages: () => [m({ text: '@Kai and now?' })],
    stored: [{ folder: 'family', text: '@Kai and now?', triggers: true }], queued: [], piped: ['family'] },
  { name: 'chatter is stored as conversation and wakes nobody', messages: () => [m({ text: 'see you at 8' })],
    stored: [{ folder: 'family', text: 'see you at 8', triggers: false }], queued: [] },
  { name: 'a chat nobody registered is stored without a group and wakes nobody', messages: () => [m({ chatJid: 'other@g.us', text: '@Kai hi' })],
    stored: [{ folder: null, text: '@Kai hi', triggers: false }], queued: [], unknownDirect: 0 },
  { name: 'a direct chat from someone unknown goes to pairing', messages: () => [m({ chatJid: '15557777@s.whatsapp.net', isGroupChat: false })],
    stored: [{ folder: null, text: 'hello', triggers: false }], queued: [], unknownDirect: 1 },
  { name: 'someone not on the group\'s list cannot wake it; main hears of it', messages: () => [m({ senderId: '15558888@s.whatsapp.net', text: '@Kai hi' })],
    stored: [{ folder: 'family', text: '@Kai hi', triggers: false }], queued: [], refusedWakes: 1 },
  { name: 'the owner\'s "allow <code>" in main is for NanoKimi, not the agent',
    messages: () => [m({ chatJid: main.jid, isGroupChat: false, senderId: main.jid, text: 'allow k7q2xz', fromOwner: true })],
    stored: [{ folder: 'main', text: 'allow k7q2xz', triggers: false }], queued: [], commands: ['allow k7q2xz'] },
  { name: 'anything else in main wakes it', messages: () => [m({ chatJid: main.jid, isGroupChat: false, senderId: main.jid, text: 'what is on today?' })],
    stored: [{ folder: 'main', text: 'what is on today?', triggers: true }], queued: ['main'] },
];

function setUp(live: boolean) {
  const stores = createStores(openDb(':memory:'));
  const events = createRecorder();
  stores.groups.insert(family);
  stores.groups.insert(main);
  const calls = { queued: [] as string[], piped: [] as string[], refusedWakes: 0, unknownDirect: 0, commands: [] as string[] };
  const router = createRouter({
    groups: stores.groups, messages: stores.messages, log: silentLogger(), assistantName: 'Kai', emit: events.emit,
    queue: { notify: (f: string) => { calls.queued.push(f); } } as never,
    worker: { pipe: async (f: string) => { if (!live) return false; calls.piped.push(f); return true; } },
    pairing: { unknownDirect: () => { calls.unknownDirect++; }, command: (t: string) => { calls.commands.push(t); return true; } } as never,
    onRefusedWake: () => { calls.refusedWakes++; },
  });
  return { stores, router, calls, events };
}

describe('the router', () => {
  it.each(rows)('$name', async (row) => {
    const { stores, router, calls } = setUp(row.live ?? false);
    for (const msg of row.messages()) await router.handle(msg);
    await router.settled();
    expect(stores.db.prepare('SELECT group_folder AS folder, text, triggers FROM messages ORDER BY seq').all()
      .map((r) => ({ ...(r as object), triggers: (r as { triggers: number }).triggers === 1 }))).toEqual(row.stored);
    if (row.queued) expect(calls.queued).toEqual(row.queued);
    if (row.piped) expect(calls.piped).toEqual(row.piped);
    if (row.refusedWakes !== undefined) expect(calls.refusedWakes).toBe(row.refusedWakes);
    if (row.unknownDirect !== undefined) expect(calls.unknownDirect).toBe(row.unknownDirect);
    if (row.commands) expect(calls.commands).toEqual(row.commands);
  });

  it('tells of each message once it is stored, and of a redelivery that changed nothing', async () => {
    const { router, events } = setUp(false);
    const photo = m({ text: '@Kai look', attachment: { kind: 'image', mimeType: 'image/jpeg' } });
    const chatter = m({ text: 'nice' });
    for (const msg of [photo, { ...photo }, chatter, { ...chatter }]) await router.handle(msg);
    await router.settled();
    // The one triggering message was handed over once (no run is live: to the queue); the chatter to no one.
    expect(events.of('handed-over')).toEqual([{ type: 'handed-over', group: 'family', seq: 1, to: 'queue' },
      { type: 'handed-over', group: 'family', seq: 2, to: 'none' }]);
    expect(events.events.filter((e) => e.type !== 'handed-over')).toEqual([
      { type: 'message-stored', group: 'family', chatJid: 'fam@g.us', msgId: photo.id, seq: 1, triggers: true },
      // A file's message is known before its file is fetched again; a text one when the insert finds it.
      { type: 'message-duplicate', chatJid: 'fam@g.us', msgId: photo.id },
      { type: 'message-stored', group: 'family', chatJid: 'fam@g.us', msgId: chatter.id, seq: 2, triggers: false },
      { type: 'message-duplicate', chatJid: 'fam@g.us', msgId: chatter.id },
    ]);
  });

  it('after a restart, queues every group with an unanswered mention, and only those', async () => {
    const { stores, router, calls } = setUp(false);
    await router.handle(m({ text: '@Kai first' }));
    await router.handle(m({ chatJid: main.jid, isGroupChat: false, senderId: main.jid, text: 'answered already' }));
    stores.groups.advanceCursor('main', 2);
    await router.settled();
    calls.queued.length = 0;
    router.recover();
    expect(calls.queued).toEqual(['family']);
  });
  it('answers the channel once a message is stored, and hands a group its messages one at a time, in order', async () => {
    const stores = createStores(openDb(':memory:'));
    stores.groups.insert(family);
    const handOvers: { seqs: number[]; finish: () => void }[] = [];
    let delivered = 0;
    const router = createRouter({
      groups: stores.groups, messages: stores.messages, log: silentLogger(), assistantName: 'Kai',
      queue: { notify: () => undefined } as never,
      // A live run whose hand-over (a file write) takes as long as the test says.
      worker: { pipe: (f: string) => new Promise<boolean>((resolve) => {
        const fresh = stores.messages.after(f, delivered).map((x) => x.seq);
        delivered = fresh.at(-1) ?? delivered;
        handOvers.push({ seqs: fresh, finish: () => resolve(true) });
      }) },
    });
    await router.handle(m({ text: '@Kai one' }));
    await router.handle(m({ text: '@Kai two' }));
    await new Promise((r) => setImmediate(r)); // a hand-over starts on the turn after its message was stored
    // Both stored (and the channel answered) while the first hand-over is still under way; the second waits for it.
    expect(stores.messages.after('family', 0)).toHaveLength(2);
    expect(handOvers.map((h) => h.seqs)).toEqual([[1]]);
    handOvers[0]!.finish();
    for (let turn = 0; turn < 2; turn++) await new Promise((r) => setImmediate(r));
    expect(handOvers.map((h) => h.seqs)).toEqual([[1], [2]]);
    handOvers[1]!.finish();
    await router.settled();
  });

  it('acknowledges every message stored in a turn before it acts on any of them (the sender told, the hand-over)', async () => {
    const stores = createStores(openDb(':memory:'));
    stores.groups.insert(family);
    stores.groups.insert(main);
    const order: string[] = [];
    const router = createRouter({
      groups: stores.groups, messages: stores.messages, log: silentLogger(), assistantName: 'Kai',
      queue: { notify: () => undefined } as never,
      worker: { pipe: async (f: string) => { order.push(`hand over ${f}`); return true; } },
      onWake: () => { order.push('sender told'); },
    });
    // A burst: three chats' messages arrive in one turn, as from three terminals at once.
    await Promise.all([m({ text: '@Kai one' }), m({ chatJid: main.jid, isGroupChat: false, senderId: main.jid, text: 'two' }),
      m({ text: '@Kai three' })].map((msg) => router.handle(msg).then(() => { order.push(`stored ${msg.text}`); })));
    await router.settled();
    expect(order.slice(0, 3).sort()).toEqual(['stored @Kai one', 'stored @Kai three', 'stored two']);
    expect(order.slice(3).sort()).toEqual(['hand over family', 'hand over family', 'hand over main', 'sender told', 'sender told', 'sender told']);
  });

  // What a stored message sets off may fail; the message is stored and the channel told so all the same.
  it.each<{ name: string; error: string; deps: Pick<RouterDeps, 'queue' | 'onWake'> }>([
    { name: 'a follow-up that throws (the sender\'s reaction)', error: 'What a stored message sets off failed; it stays stored, and if it woke the assistant the next run answers it',
      deps: { queue: { notify: () => undefined } as never, onWake: () => { throw new Error('reaction failed'); } } },
    { name: 'a hand-over that failed', error: 'Could not hand a stored message to the agent; it is answered with the next run',
      deps: { queue: { notify: () => { throw new Error('queue gone'); } } as never } },
  ])('logs $name instead of failing the stored message back to the channel', async ({ error, deps }) => {
    const stores = createStores(openDb(':memory:'));
    stores.groups.insert(family);
    const errors: string[] = [];
    const log = Object.assign(Object.create(silentLogger()) as object, { error: (_o: unknown, msg: string) => { errors.push(msg); } }) as never;
    const events = createRecorder();
    const router = createRouter({ groups: stores.groups, messages: stores.messages, log, assistantName: 'Kai', emit: events.emit,
      worker: { pipe: async () => false }, ...deps });
    await expect(router.handle(m({ text: '@Kai hello' }))).resolves.toBeUndefined();
    await router.settled();
    expect(errors).toEqual([error]);
    expect(events.of('handed-over')).toEqual([{ type: 'handed-over', group: 'family', seq: 1, to: 'failed' }]);
    expect(stores.messages.after('family', 0)).toHaveLength(1);
  });
});
