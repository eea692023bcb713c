/**
 * One group's runs with a controllable agent: follow-ups go to the live run, an idle agent is asked
 * to close, a silent one is stopped at the time limit, and sessions are kept only when they should be.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOSE_SENTINEL, inputFileSchema } from '@nanokimi/protocol/ipc';
import { createRecorder, type Recorder } from '../../test/fixtures/event-recorder.ts';
import type { Agent, AgentRunRequest } from '../agent/agent.ts';
import type { Emit } from '../events.ts';
import { ensureIpcDirs } from '../ipc/ipc-dirs.ts';
import { silentLogger } from '../logger.ts';
import { openDb } from '../store/db.ts';
import { createStores, type Stores } from '../store/stores.ts';
import { createGroupWorker } from './group-worker.ts';

let dir: string;
let stores: Stores;
let events: Recorder;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-worker-'));
  events = createRecorder();
  stores = createStores(openDb(':memory:'));
  stores.groups.insert({ folder: 'family', jid: 'family@g.us', name: 'Family', requiresTrigger: true,
    isMain: false, container: {}, createdAt: 0 });
  ensureIpcDirs(dir, 'family');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const say = (id: string, text: string) =>
  stores.messages.insert({ chatJid: 'family@g.us', id, senderId: 'a', senderName: 'Ana', text, sentAt: 1 }, 'family', true);

function worker(agent: Agent, over: { idleMs?: number; timeoutMs?: number; typing?: string[]; now?: () => number;
  emit?: Emit; commitSoon?: Stores['commitSoon'] } = {}) {
  return createGroupWorker({ ...stores, agent, ipcDir: dir, timeZone: 'UTC', maxPromptChars: 10_000,
    idleMs: over.idleMs ?? 60_000, timeoutMs: over.timeoutMs ?? 60_000, drainIpc: async () => undefined,
    setTyping: (jid, on) => over.typing?.push(`${jid} ${on ? 'on' : 'off'}`), beforeRun: () => undefined, notify: () => undefined,
    log: silentLogger(), emit: over.emit ?? events.emit, ...(over.now ? { now: over.now } : {}),
    ...(over.commitSoon ? { commitSoon: over.commitSoon } : {}) });
}

/** An agent the test steers: it records inputs and ends when told, on the close sentinel, or on abort. */
function steeredAgent(onTake: (text: string) => void = () => undefined) {
  const inputs: string[] = [];
  const requests: AgentRunRequest[] = [];
  // Each input as the agent takes it in: the test waits on these rather than polling `inputs`.
  const took = createRecorder<{ type: 'input'; text: string }>();
  const take = (text: string) => { onTake(text); inputs.push(text); took.emit({ type: 'input', text }); };
  let finish: (() => void) | undefined;
  const agent: Agent = {
    async run(req) {
      requests.push(req);
      take(req.input.text);
      const input = path.join(req.ipcDir, 'input');
      await new Promise<void>((resolve) => {
        const done = () => { clearInterval(poll); resolve(); };
        finish = done;
        req.signal.addEventListener('abort', done);
        const poll = setInterval(() => {
          for (const name of fs.readdirSync(input).sort()) {
            if (name === CLOSE_SENTINEL) { done(); return; }
            if (name.startsWith('.')) continue; // still being written
            const file = path.join(input, name);
            take(inputFileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).text);
            fs.rmSync(file);
          }
        }, 10);
      });
      return req.signal.aborted ? { ok: false, failure: { kind: 'timeout', message: 'stopped', retryable: true } } : { ok: true };
    },
  };
  return { agent, inputs, requests, took, finish: () => finish?.() };
}

describe('the group worker', () => {
  it('hands a follow-up to the live run instead of starting a second one', async () => {
    const a = steeredAgent();
    const w = worker(a.agent);
    say('1', 'first');
    const work = w.work('family');
    await events.next('run-started');
    say('2', 'second');
    expect(await w.pipe('family')).toBe(true);
    expect(events.of('input-piped')).toEqual([{ type: 'input-piped', group: 'family', runId: 1, fromSeq: 2, toSeq: 2 }]);
    await a.took.next('input', (i) => i.text.includes('second'));
    a.finish();
    expect(await work).toEqual({ ok: true });
    expect(a.requests).toHaveLength(1);
    expect(a.inputs[1]).toContain('second');
    expect(a.inputs[1]).not.toContain('first');
    expect(stores.groups.cursor('family')).toBe(2);
  });

  it('records a follow-up as delivered before the agent can see it', async () => {
    // What a restart after a kill -9 would find, read the moment the agent takes each input.
    const recorded: (number | null | undefined)[] = [];
    const a = steeredAgent(() => recorded.push(stores.runs.latestOpen('family')?.deliveredSeq));
    // A slow disk: the agent (looking every 10 ms) would see an input written before its record.
    const w = worker(a.agent, { commitSoon: (write) => new Promise((r) => setTimeout(r, 100)).then(() => stores.commitSoon(write)) });
    say('1', 'first');
    const work = w.work('family');
    await events.next('run-started');
    say('2', 'second');
    say('3', 'third');
    expect(await w.pipe('family')).toBe(true);
    await a.took.next('input', (i) => i.text.includes('third'));
    a.finish();
    await work;
    expect(recorded).toEqual([1, 3]);
  });

  it('does not count a follow-up answered when the run ends while it is being handed over', async () => {
    const a = steeredAgent();
    // A slow disk: the agent ends before the follow-up is on disk.
    const w = worker(a.agent, { commitSoon: (write) => new Promise((r) => setTimeout(r, 100)).then(() => stores.commitSoon(write)) });
    say('1', 'first');
    const work = w.work('family');
    await events.next('run-started');
    say('2', 'second');
    const piped = w.pipe('family');
    a.finish();
    expect(await piped).toBe(true);
    // The first run never took "second": a run of its own answers it.
    await events.next('run-started');
    expect(stores.groups.cursor('family')).toBe(1);
    expect(a.inputs).toHaveLength(2);
    expect(a.inputs[1]).toContain('second');
    expect(a.inputs[1]).not.toContain('first');
    a.finish();
    expect(await work).toEqual({ ok: true });
    expect(a.requests).toHaveLength(2);
    expect(stores.groups.cursor('family')).toBe(2);
  });

  it('does not start again a run that answers nothing it was given', async () => {
    // Ends at once, leaving its input unread in input/ (where the Docker agent puts it), as a broken agent might.
    const requests: AgentRunRequest[] = [];
    const w = worker({ run: async (req) => {
      requests.push(req);
      fs.writeFileSync(path.join(req.ipcDir, 'input', '00000000000001-first.json'), JSON.stringify(req.input));
      return { ok: true };
    } });
    say('1', 'first');
    expect(await w.work('family')).toEqual({ ok: true });
    expect(requests).toHaveLength(1);
    expect(stores.groups.cursor('family')).toBe(0);
  });

  it('hands nothing over when the hand-over cannot be recorded, and hands it over with the next message', async () => {
    const a = steeredAgent();
    let refusals = 1;
    const w = worker(a.agent,
      { commitSoon: (write) => (refusals-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : stores.commitSoon(write)) });
    say('1', 'first');
    const work = w.work('family');
    await events.next('run-started');
    say('2', 'second');
    expect(await w.pipe('family')).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'family', 'input'))).toEqual([]);
    say('3', 'third');
    expect(await w.pipe('family')).toBe(true);
    const taken = await a.took.next('input', (i) => i.text.includes('third'));
    expect(taken.text).toContain('second');
    a.finish();
    await work;
    expect(stores.groups.cursor('family')).toBe(3);
  });

  it('takes the record back when the input cannot be written, so no answer can claim those messages', async () => {
    // An agent that only waits (the test breaks its IPC directory from under it), then one that answers at once.
    let finish = () => undefined as void;
    let runs = 0;
    const agent: Agent = { run: (req) => (++runs > 1 ? Promise.resolve({ ok: true }) : new Promise((resolve) => {
      finish = () => resolve({ ok: true });
      req.signal.addEventListener('abort', () => resolve({ ok: false, failure: { kind: 'timeout', message: 'stopped', retryable: true } }));
    })) };
    const w = worker(agent);
    say('1', 'first');
    const work = w.work('family');
    await events.next('run-started');
    say('2', 'second');
    // Where input/ should be, a file: no directory can be made under it.
    fs.rmSync(path.join(dir, 'family'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'family'), 'not a directory');
    expect(await w.pipe('family')).toBe(false);
    expect(stores.runs.latestOpen('family')?.deliveredSeq).toBe(1);
    fs.rmSync(path.join(dir, 'family'));
    ensureIpcDirs(dir, 'family');
    finish();
    await work;
    // "second" was not the first run's: a run of its own answered it.
    expect(runs).toBe(2);
    expect(stores.groups.cursor('family')).toBe(2);
  });

  it('asks an idle agent to close once it has spoken and gone quiet', async () => {
    const a = steeredAgent();
    const w = worker(a.agent, { idleMs: 50 });
    say('1', 'hi');
    const work = w.work('family');
    await events.next('run-started');
    w.noteOutput('family'); // a reply arrived: from now on the agent only waits for follow-ups
    expect(await work).toEqual({ ok: true });
    expect(fs.readdirSync(path.join(dir, 'family', 'input'))).toEqual([]); // the sentinel is cleared after the run
  });

  it('shows typing while a turn runs: on at the start and for a follow-up, off when a turn\'s answer arrives', async () => {
    const a = steeredAgent();
    const typing: string[] = [];
    const w = worker(a.agent, { typing });
    say('1', 'hi');
    const work = w.work('family');
    await events.next('run-started');
    w.noteOutput('family', false); // a progress message: the turn goes on
    expect(typing).toEqual(['family@g.us on']);
    w.noteOutput('family', true); // the answer: the turn is over, the agent only waits now
    expect(typing).toEqual(['family@g.us on', 'family@g.us off']);
    say('2', 'and then?');
    expect(await w.pipe('family')).toBe(true);
    expect(typing.at(-1)).toBe('family@g.us on');
    await a.took.next('input', (i) => i.text.includes('and then?'));
    a.finish();
    await work;
    expect(typing.at(-1)).toBe('family@g.us off');
  });

  it('treats what the agent left in input/ as hostile: no link followed, no FIFO waited on, no directory removed', async () => {
    const outside = path.join(dir, 'outside.json');
    fs.writeFileSync(outside, JSON.stringify({ type: 'messages', text: 'x', fromSeq: 1, toSeq: 1 }));
    const agent: Agent = {
      async run(req) {
        const input = path.join(req.ipcDir, 'input');
        for (const n of fs.readdirSync(input)) fs.rmSync(path.join(input, n)); // it took its input
        fs.symlinkSync(outside, path.join(input, 'a-link.json'));
        execFileSync('mkfifo', [path.join(input, 'b-fifo.json')]);
        fs.mkdirSync(path.join(input, 'c-dir.json'));
        return { ok: true };
      },
    };
    say('1', 'hi');
    expect(await worker(agent).work('family')).toEqual({ ok: true });
    // Had the link been read, its fromSeq 1 would have held the cursor back and "hi" would be answered again.
    expect(stores.groups.cursor('family')).toBeGreaterThan(0);
    expect(fs.readFileSync(outside, 'utf8')).toContain('"messages"');
    expect(fs.existsSync(path.join(dir, 'family', 'input', 'a-link.json'))).toBe(false);
    expect(fs.statSync(path.join(dir, 'family', 'input', 'c-dir.json')).isDirectory()).toBe(true);
  });

  it('stops an agent asked to close that has not closed a minute later, and not a moment before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let reason: unknown;
      const agent: Agent = { run: (req) => new Promise((resolve) => req.signal.addEventListener('abort', () => {
        reason = req.signal.reason;
        resolve({ ok: false, failure: { kind: 'timeout', message: 'stopped', retryable: true } });
      })) };
      // The time limit is far off: only the close grace can stop this run.
      const w = worker(agent, { idleMs: 50, timeoutMs: 600_000 });
      say('1', 'hi');
      const work = w.work('family');
      await events.next('run-started');
      w.noteOutput('family');
      await vi.advanceTimersByTimeAsync(50);
      say('2', 'too late');
      expect(await w.pipe('family')).toBe(false); // asked to close: it takes nothing new
      await vi.advanceTimersByTimeAsync(59_999);
      expect(reason).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(await work).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
      expect(String(reason)).toContain('did not close');
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops an agent that passes its time limit without output, and the messages stay unanswered', async () => {
    const a = steeredAgent();
    const w = worker(a.agent, { timeoutMs: 100 });
    say('1', 'hi');
    expect(await w.work('family')).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    expect(stores.groups.cursor('family')).toBe(0);
    expect(events.events).toEqual([{ type: 'run-started', group: 'family', runId: 1, kind: 'chat', chatJid: 'family@g.us' },
      { type: 'run-finished', group: 'family', runId: 1, kind: 'chat', outcome: 'failed', failure: expect.objectContaining({ kind: 'timeout' }) }]);
  });

  it('says a run finished only once its messages count as answered and its session is kept', async () => {
    const a = steeredAgent();
    const atEnd: unknown[] = [];
    const w = worker(a.agent, { emit: (e) => {
      if (e.type === 'run-finished') atEnd.push({ cursor: stores.groups.cursor('family'), session: stores.groups.session('family') });
      events.emit(e);
    } });
    say('1', 'hi');
    const work = w.work('family');
    await events.next('run-started');
    a.finish();
    expect(await events.next('run-finished')).toEqual({ type: 'run-finished', group: 'family', runId: 1, kind: 'chat', outcome: 'done' });
    expect(atEnd).toEqual([{ cursor: 1, session: a.requests[0]!.sessionId }]);
    expect(await work).toEqual({ ok: true });
  });

  it('keeps the group\'s session id after a good run and reuses it', async () => {
    const a = steeredAgent();
    const w = worker(a.agent);
    say('1', 'hi');
    const first = w.work('family');
    await events.next('run-started');
    a.finish();
    await first;
    say('2', 'again');
    const second = w.work('family');
    await events.next('run-started');
    a.finish();
    await second;
    expect(a.requests[1]!.sessionId).toBe(a.requests[0]!.sessionId);
    expect(stores.groups.session('family')).toBe(a.requests[0]!.sessionId);
  });

  it('runs an isolated task in a fresh session that is not kept', async () => {
    const a = steeredAgent();
    const w = worker(a.agent);
    stores.groups.saveSession('family', 'group-session');
    w.queueTask({ id: 't1', groupFolder: 'family', chatJid: 'family@g.us', prompt: 'daily summary', schedule: { kind: 'cron', value: '0 9 * * *' },
      contextMode: 'isolated', status: 'active', nextRunAt: null, lastRunAt: null, createdAt: 0 });
    const work = w.work('family');
    await events.next('run-started');
    a.finish();
    await work;
    expect(a.requests[0]!.input).toEqual({ type: 'task', taskId: 't1', text: expect.stringContaining('daily summary') });
    expect(a.requests[0]!.sessionId).not.toBe('group-session');
    expect(stores.groups.session('family')).toBe('group-session');
  });

  it('logs a task run at the time it started on the clock, with how long it took', async () => {
    let t = 1_700_000_000_000;
    const a = steeredAgent();
    const logged: unknown[] = [];
    const w = worker(a.agent, { now: () => t, emit: (e) => { if (e.type === 'run-finished') logged.push(...stores.tasks.runs('t1')); events.emit(e); } });
    const task = { id: 't1', groupFolder: 'family', chatJid: 'family@g.us', prompt: 'daily summary',
      schedule: { kind: 'cron', value: '0 9 * * *' }, contextMode: 'isolated', nextRunAt: null, createdAt: 0 } as const;
    stores.tasks.add(task);
    w.queueTask({ ...task, status: 'active', lastRunAt: null });
    const work = w.work('family');
    await events.next('run-started');
    t += 4_200;
    a.finish();
    await work;
    // Logged before the run is said to have finished.
    expect(logged).toEqual([expect.objectContaining({ runAt: 1_700_000_000_000, durationMs: 4_200, status: 'ok' })]);
    expect(events.of('run-finished')).toEqual([{ type: 'run-finished', group: 'family', runId: 1, kind: 'task', outcome: 'done' }]);
  });
});
