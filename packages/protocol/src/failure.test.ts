import { describe, expect, it } from 'vitest';
import { failureLine, lastFailureLine, reportedFailureKinds } from './failure.ts';

describe('the failure line between runner and host', () => {
  it.each(reportedFailureKinds)('reads back a %s failure exactly as the runner printed it', (kind) => {
    expect(lastFailureLine(`noise\n${failureLine({ kind, message: 'what happened.' })}`)).toEqual({ nanokimi: 'failure', kind, message: 'what happened.' });
  });

  it('takes the last valid line, skipping one cut off or of an unknown kind', () => {
    const output = failureLine({ kind: 'provider', message: 'first' }) + failureLine({ kind: 'config', message: 'second' })
      + '{"nanokimi":"failure","kind":"exploded","message":"x"}\n{"nanokimi":"failure","kind":"cra';
    expect(lastFailureLine(output)).toMatchObject({ kind: 'config', message: 'second' });
  });

  it('finds nothing in output without a failure line', () => {
    expect(lastFailureLine('Error: boom\n{"nanokimi":"other"}\n')).toBeNull();
  });
});
