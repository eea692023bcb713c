import { describe, expect, it } from 'vitest';
import type { TaskFile } from '@nanokimi/protocol/ipc';
import type { Group } from '../domain.ts';
import { authorize, explain, type AuthFacts, type Decision, type IpcRequest, type Rejection } from './authorize.ts';

const group = (folder: string, jid: string, isMain = false): Group => ({
  folder, jid, name: folder, requiresTrigger: !isMain, isMain, container: {}, createdAt: 0,
});

const main = group('main', '34600000000@s.whatsapp.net', true);
const family = group('family', '123@g.us');
const work = group('work', '456@g.us');

const owners: Record<string, string> = { 'task-fam': 'family', 'task-work': 'work', 'task-main': 'main' };
const facts = (source: Group): AuthFacts => ({
  groups: [main, family, work],
  taskOwner: (id) => owners[id],
  defaultChat: source.jid,
});

const message = (chatJid?: string): IpcRequest =>
  ({ kind: 'message', file: { type: 'message', text: 'hello', ...(chatJid ? { chatJid } : {}) } });
const task = (file: TaskFile): IpcRequest => ({ kind: 'task', file });
const schedule = (targetFolder?: string): IpcRequest => task({
  type: 'schedule_task', prompt: 'remind me', schedule: { kind: 'cron', value: '0 9 * * *' }, contextMode: 'group',
  ...(targetFolder ? { targetFolder } : {}),
});
const manage = (type: 'pause_task' | 'resume_task' | 'cancel_task', taskId: string) => task({ type, taskId });
const register = (folder: string, jid: string) =>
  task({ type: 'register_group', folder, jid, name: 'New group', requiresTrigger: true });

type Expected = { ok: true; action: object } | { ok: false; kind: Rejection['kind'] };
const allowed = (action: object): Expected => ({ ok: true, action });
const refused = (kind: Rejection['kind']): Expected => ({ ok: false, kind });

const cases: [string, Group, IpcRequest, Expected][] = [
  // Messages
  ['a group messages its own chat by default', family, message(), allowed({ kind: 'send', chatJid: '123@g.us', text: 'hello' })],
  ['a group messages its own chat by jid', family, message('123@g.us'), allowed({ kind: 'send', chatJid: '123@g.us' })],
  ['a group messages its own local chat', family, message('local:family'), allowed({ kind: 'send', chatJid: 'local:family' })],
  ['a group may not message another group\'s chat', family, message('456@g.us'), refused('forbidden')],
  ['a group may not message another group\'s local chat', family, message('local:work'), refused('forbidden')],
  ['a group may not message the main chat', family, message(main.jid), refused('forbidden')],
  ['main messages any registered group\'s chat', main, message('456@g.us'), allowed({ kind: 'send', chatJid: '456@g.us' })],
  ['main messages another group\'s local chat', main, message('local:family'), allowed({ kind: 'send', chatJid: 'local:family' })],
  ['main may not message an unknown chat', main, message('999@g.us'), refused('unknown-chat')],
  ['a group may not message an unknown chat', family, message('999@g.us'), refused('unknown-chat')],
  ['nobody may message the local chat of an unregistered folder', main, message('local:ghost'), refused('unknown-chat')],
  // Scheduling
  ['a group schedules for itself, in the chat it answers', family, schedule(),
    allowed({ kind: 'schedule', groupFolder: 'family', chatJid: '123@g.us' })],
  ['a group schedules for itself by naming its own folder', family, schedule('family'),
    allowed({ kind: 'schedule', groupFolder: 'family' })],
  ['a group may not schedule for another group', family, schedule('work'), refused('forbidden')],
  ['a group may not schedule for an unknown folder either', family, schedule('ghost'), refused('forbidden')],
  ['main schedules for another group, in that group\'s chat', main, schedule('work'),
    allowed({ kind: 'schedule', groupFolder: 'work', chatJid: '456@g.us' })],
  ['main may not schedule for an unknown folder', main, schedule('ghost'), refused('unknown-group')],
  // Managing tasks
  ['a group pauses its own task', family, manage('pause_task', 'task-fam'),
    allowed({ kind: 'set-task-status', taskId: 'task-fam', status: 'paused' })],
  ['a group resumes its own task', family, manage('resume_task', 'task-fam'),
    allowed({ kind: 'set-task-status', taskId: 'task-fam', status: 'active' })],
  ['a group cancels its own task', family, manage('cancel_task', 'task-fam'),
    allowed({ kind: 'set-task-status', taskId: 'task-fam', status: 'cancelled' })],
  ['a group may not pause another group\'s task', family, manage('pause_task', 'task-work'), refused('forbidden')],
  ['a group may not resume another group\'s task', family, manage('resume_task', 'task-work'), refused('forbidden')],
  ['a group may not cancel another group\'s task', family, manage('cancel_task', 'task-main'), refused('forbidden')],
  ['main pauses another group\'s task', main, manage('pause_task', 'task-work'),
    allowed({ kind: 'set-task-status', taskId: 'task-work', status: 'paused' })],
  ['main resumes another group\'s task', main, manage('resume_task', 'task-work'),
    allowed({ kind: 'set-task-status', taskId: 'task-work', status: 'active' })],
  ['main cancels another group\'s task', main, manage('cancel_task', 'task-fam'),
    allowed({ kind: 'set-task-status', taskId: 'task-fam', status: 'cancelled' })],
  ['managing an unknown task is refused for a group', family, manage('pause_task', 'task-nope'), refused('unknown-task')],
  ['managing an unknown task is refused for main', main, manage('cancel_task', 'task-nope'), refused('unknown-task')],
  // Registering groups
  ['main registers a new group', main, register('friends', '789@g.us'),
    allowed({ kind: 'register', file: { folder: 'friends', jid: '789@g.us' } })],
  ['a group may not register groups', family, register('friends', '789@g.us'), refused('forbidden')],
  ['main may not register a folder already in use', main, register('work', '789@g.us'), refused('conflict')],
  ['main may not register a chat already registered', main, register('friends', '456@g.us'), refused('conflict')],
];

const summarize = (d: Decision) => (d.ok ? d : { ok: false, kind: d.why.kind });

describe('authorize', () => {
  it.each(cases)('%s', (_name, source, req, expected) => {
    const decision = authorize(source, req, facts(source));
    if (expected.ok) expect(decision).toMatchObject(expected);
    else expect(summarize(decision)).toEqual(expected);
  });

  it('sends a reply without a chat to the chat the agent is answering', () => {
    const decision = authorize(family, message(), { ...facts(family), defaultChat: 'local:family' });
    expect(decision).toEqual({ ok: true, action: { kind: 'send', chatJid: 'local:family', text: 'hello' } });
  });

  it('lets any group say that its own turn ended, which concerns nobody else', () => {
    expect(authorize(family, { kind: 'turn-end', file: { type: 'turn_end', answersThrough: 7 } }, facts(family)))
      .toEqual({ ok: true, action: { kind: 'turn-end', answersThrough: 7 } });
  });

  it('passes the schedule request through unchanged', () => {
    const req = schedule('work');
    const decision = authorize(main, req, facts(main));
    expect(decision.ok && decision.action.kind === 'schedule' && decision.action.file).toBe(req.file);
  });
});

describe('explain', () => {
  const rejections: Rejection[] = [
    { kind: 'forbidden', what: 'group "family" may only message its own chat' },
    { kind: 'unknown-chat', jid: '999@g.us' },
    { kind: 'unknown-group', folder: 'ghost' },
    { kind: 'unknown-task', taskId: 'task-nope' },
    { kind: 'conflict', what: 'the folder "work" is already used by a group' },
  ];

  it.each(rejections)('gives one sentence naming the detail for $kind', (why) => {
    const sentence = explain(why);
    expect(sentence).toMatch(/^Refused: .+\.$/);
    expect(sentence).not.toContain('\n');
    const detail = Object.entries(why).find(([k]) => k !== 'kind')![1] as string;
    expect(sentence).toContain(detail);
  });

  it('explains the rejection of every refused case in the table', () => {
    for (const [, source, req, expected] of cases) {
      if (expected.ok) continue;
      const decision = authorize(source, req, facts(source));
      expect(decision.ok).toBe(false);
      if (!decision.ok) expect(explain(decision.why)).toMatch(/^Refused: .+\.$/);
    }
  });
});
