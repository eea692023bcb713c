import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../domain.ts';
import { chooseQuote } from './reply-quote.ts';

const question: StoredMessage = { seq: 7, chatJid: 'g@g.us', groupFolder: 'family', msgId: 'M7', senderId: 'ana@lid',
  senderName: 'Ana', text: '@Kai when is the match?', sentAt: 0, triggers: true };

describe('quoting the message a reply answers', () => {
  it.each([
    ['auto', 0, false], ['auto', 2, true], ['always', 0, true], ['always', 3, true], ['never', 0, false], ['never', 5, false],
  ] as const)('%s with %i messages since: %s', (mode, later, quotes) => {
    const q = chooseQuote(mode, question, later);
    expect(q === undefined).toBe(!quotes);
    if (q) expect(q).toEqual({ id: 'M7', senderId: 'ana@lid', text: '@Kai when is the match?' });
  });

  it('quotes nothing when there is no question (a scheduled task)', () => {
    expect(chooseQuote('always', undefined, 4)).toBeUndefined();
  });

  it('describes a file without text, and shortens a long text', () => {
    expect(chooseQuote('always', { ...question, text: '', attachment: { kind: 'image', mimeType: 'image/jpeg', file: 'x.jpg' } }, 0)?.text).toBe('[image]');
    expect(chooseQuote('always', { ...question, text: 'x'.repeat(500) }, 0)?.text).toHaveLength(201);
  });
});
