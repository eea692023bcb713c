import { describe, expect, it } from 'vitest';
import { decidePermission } from './permission-policy.ts';

describe('the permission policy inside the sandbox', () => {
  it('prefers allowing for the rest of the session', () => {
    expect(decidePermission([{ optionId: 'a', kind: 'allow_once' }, { optionId: 'b', kind: 'allow_always' }, { optionId: 'c', kind: 'reject_once' }]))
      .toEqual({ outcome: 'selected', optionId: 'b' });
  });

  it('allows once when that is all it may do', () => {
    expect(decidePermission([{ optionId: 'r', kind: 'reject_once' }, { optionId: 'o', kind: 'allow_once' }]))
      .toEqual({ outcome: 'selected', optionId: 'o' });
  });

  it('cancels a request that offers no way to allow, so the turn does not wait for nobody', () => {
    expect(decidePermission([{ optionId: 'r', kind: 'reject_once' }])).toEqual({ outcome: 'cancelled' });
    expect(decidePermission([])).toEqual({ outcome: 'cancelled' });
  });
});
