import { describe, expect, it } from 'vitest';
import { creditCodeCheckCharacter, creditCodeProblem } from '../src/services/tax-id';

describe('unified social credit code', () => {
  it.each([
    // Published codes of well-known companies.
    ['91330100799655058B', null],
    ['91110000802100433B', null],
    ['91440300708461136T', null],
    ['91330100799655058C', 'check character is wrong (expected B)'],
    ['91330100799655058', '18 characters, this has 17'],
    ['9133010079965505IB', 'except I, O, S, V and Z'],
    ['91AB0100799655058B', 'region code digits'],
  ])('%s → %s', (code, problem) => {
    const found = creditCodeProblem(code);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('computes the check character the seed uses for demo dealers', () => {
    expect(creditCodeCheckCharacter('91330100799655058')).toBe('B');
  });
});
