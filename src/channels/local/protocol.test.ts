import { describe, expect, it } from 'vitest';
import { lineReader, parseServerFrame } from './protocol.ts';

describe('parseServerFrame', () => {
  it.each([
    { type: 'welcome', group: 'main', assistant: 'Kai' },
    { type: 'stored', id: 'm1' },
    { type: 'reply', key: 'r1', text: 'hello' },
    { type: 'error', message: 'no such group' },
  ])('takes a $type frame as it is', (frame) => {
    expect(parseServerFrame(frame)).toEqual(frame);
  });

  it.each([
    ['not an object', 'welcome'],
    ['null', null],
    ['an array', [{ type: 'stored', id: 'm1' }]],
    ['no type', { id: 'm1' }],
    ['an unknown type', { type: 'goodbye' }],
    ['a type that is a property of every object', { type: 'toString' }],
    ['a field missing', { type: 'welcome', group: 'main' }],
    ['a field that is not a string', { type: 'stored', id: 7 }],
    ['a field of another frame', { type: 'stored', id: 'm1', text: 'x' }],
  ])('refuses %s', (_what, value) => {
    expect(parseServerFrame(value)).toBeUndefined();
  });
});

describe('lineReader', () => {
  it('hands on each JSON line, across chunks, and reports a bad one without stopping', () => {
    const values: unknown[] = [];
    const bad: string[] = [];
    const read = lineReader((v) => values.push(v), (l) => bad.push(l));
    read('{"a":1}\n{"b"');
    read(':2}\nnot json\n\n{"c":3}\n');
    expect(values).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(bad).toEqual(['not json']);
  });
});
