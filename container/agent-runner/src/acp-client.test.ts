import { describe, expect, it } from 'vitest';
import { lastWords } from './cli-process.ts';

describe('what a dying CLI said', () => {
  it('is its error line when it printed one', () => {
    expect(lastWords('node:internal/modules/cjs/loader:1\n  throw err;\n\nError: Cannot find module \'/x\'\n    at foo\n\nNode.js v24.21.0\n'))
      .toBe('Error: Cannot find module \'/x\'');
    expect(lastWords('error: failed to run prompt: provider.connection_error\nSee log: /tmp/x.log')).toBe('error: failed to run prompt: provider.connection_error');
  });

  it('is its last line otherwise, and nothing when it said nothing', () => {
    expect(lastWords('starting\nbye\n')).toBe('bye');
    expect(lastWords('')).toBe('');
  });
});
