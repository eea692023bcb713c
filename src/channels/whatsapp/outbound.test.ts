import { describe, expect, it } from 'vitest';
import { messageIdFor, splitReply, withPrefix } from './outbound.ts';

describe('splitReply', () => {
  it('keeps a short reply whole', () => expect(splitReply('hola')).toEqual(['hola']));

  it('cuts at paragraph breaks and never exceeds the limit', () => {
    const para = (c: string) => c.repeat(30);
    const text = [para('a'), para('b'), para('c'), para('d')].join('\n\n');
    const chunks = splitReply(text, 70);
    expect(chunks).toEqual([`${para('a')}\n\n${para('b')}`, `${para('c')}\n\n${para('d')}`]);
    expect(chunks.every((c) => c.length <= 70)).toBe(true);
  });

  it('falls back to spaces, then cuts an unbroken run hard, losing nothing', () => {
    const text = `${'word '.repeat(30)}${'x'.repeat(250)}`;
    const chunks = splitReply(text, 100);
    expect(chunks.every((c) => c.length <= 100)).toBe(true);
    expect(chunks.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
  });
});

describe('withPrefix and messageIdFor', () => {
  it('prefixes only when the bot shares the owner\'s number', () => {
    expect(withPrefix('hi', 'Kai', true)).toBe('Kai: hi');
    expect(withPrefix('hi', 'Kai', false)).toBe('hi');
  });
  it('gives the same id to the same reply chunk, and different ids to different chunks', () => {
    expect(messageIdFor('nk-1', 0)).toBe(messageIdFor('nk-1', 0));
    expect(messageIdFor('nk-1', 0)).not.toBe(messageIdFor('nk-1', 1));
    expect(messageIdFor('nk-1', 0)).toMatch(/^3EB0[0-9A-F]{36}$/);
  });
});
