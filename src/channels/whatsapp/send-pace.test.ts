import { describe, expect, it } from 'vitest';
import { createSendPace } from './send-pace.ts';

const limits = { perChatGapMs: 1000, overallGapMs: 250, windowMs: 10_000, maxPerWindow: 5 };

describe('pacing WhatsApp sends', () => {
  it('sends at once when nothing was sent lately', () => {
    expect(createSendPace(limits).reserve('a', 0)).toBe(0);
  });

  it('spaces messages to one chat by the per-chat gap', () => {
    const pace = createSendPace(limits);
    expect([0, 0, 0].map(() => pace.reserve('a', 0))).toEqual([0, 1000, 2000]);
  });

  it('spaces messages to different chats by the overall gap', () => {
    const pace = createSendPace(limits);
    expect(['a', 'b', 'c'].map((c) => pace.reserve(c, 0))).toEqual([0, 250, 500]);
  });

  it('never lets more than the window allows go out, even across many chats', () => {
    const pace = createSendPace(limits);
    const at = Array.from({ length: 12 }, (_, i) => pace.reserve(`chat-${i}`, 0));
    for (const t of at) expect(at.filter((u) => u > t - limits.windowMs && u <= t).length).toBeLessThanOrEqual(limits.maxPerWindow);
    expect(at.slice(0, 5)).toEqual([0, 250, 500, 750, 1000]);
    expect(at[5]).toBe(10_000); // the sixth waits until the first leaves the window
  });

  it('forgets what left the window', () => {
    const pace = createSendPace(limits);
    for (let i = 0; i < 5; i++) pace.reserve(`c${i}`, 0);
    expect(pace.reserve('x', 20_000)).toBe(0);
  });
});
