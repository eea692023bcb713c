/**
 * The processor's promises, as a table over the real stores (SQLite in memory): each row is a few
 * IPC files from a group's directory, run in order, and what the host's state must be afterwards.
 */
import { describe, expect, it } from 'vitest';
import { createRecorder, type Recorder } from '../../test/fixtures/event-recorder.ts';
import type { Group } from '../domain.ts';
import { openDb } from '../store/db.ts';
import { createStores, type Stores } from '../store/stores.ts';
import { createIpcProcessor } from './processor.ts';

const main: Group = { folder: 'main', jid: 'local:main', name: 'Main', requiresTrigger: false, isMain: true, container: {}, createdAt: 0 };
const alpha: Group = { folder: 'alpha', jid: 'alpha@g.us', name: 'Alpha', requiresTrigger: true, isMain: false, container: {}, createdAt: 0 };

type File = { from: 'main' | 'alpha'; source: 'messages' | 'tasks'; name: string; body: unknown };
type Row = {
  name: string;
  /** The open run of alpha: what it was given (its delivered seq). */
  delivered?: number;
  files: File[];
  /** What each file's verdict is: true, or the start of the refusal's reason. */
  verdicts: (true | string)[];
  outbox?: { chatJid: string; text: string }[];
  cursor?: number;
  tasks?: number;
  groups?: string[];
};

const msg = (name: string, body: Record<string, unknown>, from: 'main' | 'alpha' = 'alpha'): File =>
  ({ from, source: 'messages', name, body: { type: 'message', ...body } });
const task = (name: string, body: Record<string, unknown>, from: 'main' | 'alpha' = 'alpha'): File => ({ from, source: 'tasks', name, body });
const daily = { type: 'schedule_task', prompt: 'water the plants', schedule: { kind: 'cron', value: '0 9 * * *' }, contextMode: 'group' };

const rows: Row[] = [
  { name: 'a reply goes to the chat the agent is answering', delivered: 3, files: [msg('1.json', { text: 'hi' })], verdicts: [true],
    outbox: [{ chatJid: 'alpha@g.us', text: 'hi' }], cursor: 0 },
  { name: 'the same file processed twice stores one reply (a crash between acting and deleting)', delivered: 3,
    files: [msg('1.json', { text: 'hi', answersThrough: 3 }), msg('1.json', { text: 'hi', answersThrough: 3 })], verdicts: [true, true],
    outbox: [{ chatJid: 'alpha@g.us', text: 'hi' }], cursor: 3 },
  { name: 'progress messages do not move the cursor; the final answer does', delivered: 5,
    files: [msg('1.json', { text: 'working on it' }), msg('2.json', { text: 'done', answersThrough: 5 })], verdicts: [true, true],
    outbox: [{ chatJid: 'alpha@g.us', text: 'working on it' }, { chatJid: 'alpha@g.us', text: 'done' }], cursor: 5 },
  { name: 'an answer beyond what the run was given moves the cursor only as far as it was given', delivered: 4,
    files: [msg('1.json', { text: 'done', answersThrough: 99 })], verdicts: [true], cursor: 4 },
  { name: 'a silent turn end moves the cursor, bounded the same way', delivered: 4,
    files: [{ from: 'alpha', source: 'messages', name: '1.json', body: { type: 'turn_end', answersThrough: 7 } }], verdicts: [true], outbox: [], cursor: 4 },
  { name: 'a group may not message another group\'s chat; main may', delivered: 1,
    files: [msg('1.json', { text: 'x', chatJid: 'local:main' }), msg('2.json', { text: 'from main', chatJid: 'alpha@g.us' }, 'main')],
    verdicts: ['Refused: group "alpha" may only message its own chat', true], outbox: [{ chatJid: 'alpha@g.us', text: 'from main' }] },
  { name: 'a chat no registered group has is refused for everyone', files: [msg('1.json', { text: 'x', chatJid: 'stranger@s.whatsapp.net' }, 'main')],
    verdicts: ['Refused: stranger@s.whatsapp.net is not the chat of any registered group'], outbox: [] },
  { name: 'a file that is not the protocol is refused with what is wrong', files: [msg('1.json', { text: '' })],
    verdicts: ['does not match the messages schema: text'], outbox: [] },
  { name: 'the same schedule file twice makes one task (its id derives from the file)',
    files: [task('1.json', daily), task('1.json', daily)], verdicts: [true, true], tasks: 1 },
  { name: 'two schedule files make two tasks', files: [task('1.json', daily), task('2.json', daily)], verdicts: [true, true], tasks: 2 },
  { name: 'only main registers groups, and never a folder or chat twice',
    files: [task('1.json', { type: 'register_group', jid: 'beta@g.us', name: 'Beta', folder: 'beta', requiresTrigger: true }),
      task('2.json', { type: 'register_group', jid: 'beta@g.us', name: 'Beta', folder: 'beta', requiresTrigger: true }, 'main'),
      task('3.json', { type: 'register_group', jid: 'beta2@g.us', name: 'Beta', folder: 'beta', requiresTrigger: true }, 'main'),
      task('4.json', { type: 'register_group', jid: 'beta@g.us', name: 'Beta', folder: 'beta-two', requiresTrigger: true }, 'main')],
    verdicts: ['Refused: only the main group may register groups', true, 'Refused: the folder "beta" is already used by a group',
      'Refused: the chat beta@g.us is already registered'], groups: ['alpha', 'beta', 'main'] },
];

function setUp(delivered?: number, atEmit: (stores: Stores) => void = () => undefined):
  { stores: Stores; run: ReturnType<typeof createIpcProcessor>; events: Recorder } {
  const stores = createStores(openDb(':memory:'));
  const events = createRecorder();
  stores.groups.insert(main);
  stores.groups.insert(alpha);
  if (delivered !== undefined) stores.runs.start('alpha', 'chat', 'alpha@g.us', delivered, 1);
  const run = createIpcProcessor({
    db: stores.db, commitSoon: stores.commitSoon, groups: stores.groups, outbox: stores.outbox, runs: stores.runs, tasks: stores.tasks, timeZone: 'UTC',
    now: () => Date.UTC(2026, 11, 2, 12),
    register: (g) => { const group = { ...g, requiresTrigger: g.requiresTrigger ?? true, isMain: false, container: {}, createdAt: 0 }; stores.groups.insert(group); return group; },
    onReply: () => undefined, onTasksChanged: () => undefined, emit: (e) => { atEmit(stores); events.emit(e); },
  });
  return { stores, run, events };
}

describe('the IPC processor', () => {
  it.each(rows)('$name', async (row) => {
    const { stores, run } = setUp(row.delivered);
    const verdicts: Awaited<ReturnType<typeof run>>[] = [];
    for (const f of row.files) verdicts.push(await run(f.from, f.source, f.name, JSON.stringify(f.body)));
    expect(verdicts.length).toBe(row.verdicts.length);
    row.verdicts.forEach((want, i) => {
      const got = verdicts[i]!;
      if (want === true) expect(got).toEqual({ ok: true });
      else expect(got.ok ? '(accepted)' : got.reason).toMatch(new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    });
    if (row.outbox) {
      const all = stores.db.prepare('SELECT chat_jid AS chatJid, text FROM outbox ORDER BY id').all();
      expect(all).toEqual(row.outbox);
    }
    if (row.cursor !== undefined) expect(stores.groups.cursor('alpha')).toBe(row.cursor);
    if (row.tasks !== undefined) expect(stores.tasks.listForGroup('alpha')).toHaveLength(row.tasks);
    if (row.groups) expect(stores.groups.list().map((g) => g.folder).sort()).toEqual(row.groups);
  });

  it('tells of each reply stored (once per file), each task scheduled and each task changed', async () => {
    // Each event finds its fact committed: the reply with its answered messages, the task with its state.
    const committed: unknown[] = [];
    const { stores, run, events } = setUp(3, (st) => committed.push({ outbox: st.outbox.next('alpha@g.us')?.text ?? null,
      cursor: st.groups.cursor('alpha'), tasks: st.tasks.listForGroup('alpha').map((t) => t.status) }));
    const send = JSON.stringify({ type: 'message', text: 'hi', answersThrough: 3 });
    await run('alpha', 'messages', '1.json', send);
    await run('alpha', 'messages', '1.json', send);
    await run('alpha', 'tasks', '2.json', JSON.stringify(daily));
    const taskId = stores.tasks.listForGroup('alpha')[0]!.id;
    await run('alpha', 'tasks', '3.json', JSON.stringify({ type: 'pause_task', taskId }));
    expect(events.events).toEqual([
      { type: 'reply-queued', group: 'alpha', chatJid: 'alpha@g.us', outboxId: 1, sourceKey: 'alpha/messages/1.json', runId: 1 },
      { type: 'task-scheduled', group: 'alpha', taskId, nextRunAt: Date.UTC(2026, 11, 3, 9) },
      { type: 'task-changed', group: 'alpha', taskId, status: 'paused' },
    ]);
    expect(committed).toEqual([{ outbox: 'hi', cursor: 3, tasks: [] }, { outbox: 'hi', cursor: 3, tasks: ['active'] },
      { outbox: 'hi', cursor: 3, tasks: ['paused'] }]);
  });

  it('refuses files from a folder no group has', async () => {
    const { run } = setUp();
    expect(await run('ghost', 'messages', '1.json', JSON.stringify({ type: 'message', text: 'x' })))
      .toEqual({ ok: false, reason: 'no registered group has the folder "ghost"' });
  });
});
