import { describe, expect, it } from 'vitest';
import { uniqueFileName } from './atomic-write.ts';

describe('uniqueFileName', () => {
  it('sorts in the order the names were asked for, also within one millisecond, and never repeats', () => {
    const names = Array.from({ length: 500 }, () => uniqueFileName(1_700_000_000_000));
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
    expect(uniqueFileName(1_700_000_000_001) > names.at(-1)!).toBe(true);
  });

  it('is a plain .json name the watchers take (no dot in front, nothing but digits, dashes and hex)', () => {
    expect(uniqueFileName()).toMatch(/^\d{14}-\d{9}-[0-9a-f]{12}\.json$/);
  });
});
