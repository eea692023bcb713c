import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../domain.ts';
import { silentLogger } from '../../logger.ts';
import type { Channel } from '../channel.ts';
import { connectChat, type ChatClient } from './client.ts';
import { createLocalChannel } from './server.ts';

let dir: string;
let channel: Channel | undefined;
let client: ChatClient | undefined;
afterEach(async () => { client?.close(); await channel?.stop(); fs.rmSync(dir, { recursive: true, force: true }); });

const until = async (what: string, ok: () => boolean) => {
  const end = Date.now() + 10_000;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 5)); }
};

describe('the local channel with a burst from one terminal', () => {
  it('takes up every message of the burst at once, in order, and says "stored" for each in that order', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-local-'));
    const socketPath = path.join(dir, 'nanokimi.sock');
    // The router's side: each store finishes when the test says (the next group commit).
    const taken: InboundMessage[] = [];
    const finish: (() => void)[] = [];
    let refuse = '';
    channel = createLocalChannel({ socketPath, assistantName: 'Kai', groupExists: (f) => f === 'family', log: silentLogger() });
    await channel.start({ onReady: () => undefined, onMessage: (m) => new Promise<void>((resolve, reject) => {
      taken.push(m);
      finish.push(() => (m.text === refuse ? reject(new Error('disk full')) : resolve()));
    }) });
    const stored: string[] = [];
    const errors: string[] = [];
    await new Promise<void>((resolve) => {
      client = connectChat({ socketPath, group: 'family', onReply: () => undefined, onConnected: () => resolve(),
        onStored: (id) => stored.push(id), onError: (m) => errors.push(m) });
    });
    const ids = ['one', 'two', 'three'].map((t) => client!.send(t));
    await until('all three taken up', () => taken.length === 3);
    expect(taken.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(stored).toEqual([]); // nothing is stored yet
    // Stored in another order than sent: the answers still go out in the order sent.
    refuse = 'two';
    finish[2]!(); finish[0]!(); finish[1]!();
    await until('the answers', () => stored.length === 2 && errors.length === 1);
    expect(stored).toEqual([ids[0], ids[2]]);
    expect(errors[0]).toMatch(/^not stored: Error: disk full/);
  });
});

describe('a terminal whose daemon is down', () => {
  it('tries again at most every half second, and is back on the next try once the daemon is', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-local-'));
    const socketPath = path.join(dir, 'nanokimi.sock');
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const retry = vi.spyOn(globalThis, 'setTimeout');
      const tick = () => new Promise((r) => setImmediate(r));
      const triesAfter = async (n: number) => { for (let i = 0; i < 1000 && retry.mock.calls.length < n; i++) await tick(); };
      let connected = false;
      client = connectChat({ socketPath, group: 'family', reconnect: true, onReply: () => undefined, onConnected: () => { connected = true; } });
      for (let n = 1; n <= 6; n++) {
        await triesAfter(n);
        vi.advanceTimersToNextTimer();
      }
      expect(retry.mock.calls.map((c) => c[1])).toEqual([100, 200, 400, 500, 500, 500]);
      channel = createLocalChannel({ socketPath, assistantName: 'Kai', groupExists: (f) => f === 'family', log: silentLogger() });
      await channel.start({ onReady: () => undefined, onMessage: async () => undefined });
      await triesAfter(7);
      vi.advanceTimersToNextTimer();
      for (let i = 0; i < 1000 && !connected; i++) await tick();
      expect(connected).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
