/**
 * @module When the next WhatsApp message may go out. Pure, clock passed in. Bursts look like spam to
 * WhatsApp and can get a number banned, so sends are spaced: per chat, overall, and at most so many
 * in a sliding window. Each send reserves its slot at once, so sends to several chats at the same
 * time still keep to the limits.
 */
export type PaceLimits = {
  /** Between two messages to the same chat. */
  perChatGapMs: number;
  /** Between any two messages. */
  overallGapMs: number;
  /** At most `maxPerWindow` messages in any `windowMs`. */
  windowMs: number;
  maxPerWindow: number;
};

export const DEFAULT_PACE: PaceLimits = { perChatGapMs: 1000, overallGapMs: 250, windowMs: 60_000, maxPerWindow: 30 };

export function createSendPace(limits: PaceLimits = DEFAULT_PACE) {
  const lastByChat = new Map<string, number>();
  let slots: number[] = []; // reserved send times, ascending

  return {
    /** Reserves the earliest slot for a message to `chatJid`; returns how long to wait for it. */
    reserve(chatJid: string, now: number): number {
      slots = slots.filter((t) => t > now - limits.windowMs);
      let at = Math.max(now, (lastByChat.get(chatJid) ?? -Infinity) + limits.perChatGapMs);
      for (let moved = true; moved;) {
        moved = false;
        const near = slots.find((t) => Math.abs(t - at) < limits.overallGapMs);
        if (near !== undefined) { at = near + limits.overallGapMs; moved = true; continue; }
        const inWindow = slots.filter((t) => t > at - limits.windowMs && t <= at);
        if (inWindow.length >= limits.maxPerWindow) { at = inWindow[inWindow.length - limits.maxPerWindow]! + limits.windowMs; moved = true; }
      }
      lastByChat.set(chatJid, at);
      slots.push(at);
      slots.sort((a, b) => a - b);
      return at - now;
    },
  };
}

export type SendPace = ReturnType<typeof createSendPace>;
