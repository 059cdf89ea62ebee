import { describe, expect, it } from 'vitest';
import { summarizeRecords } from '../src/services/record-summary';

describe('summarizeRecords', () => {
  it.each([
    [[], { recordCount: 0, totalMinor: 0 }],
    [[{ amountMinor: 1999 }], { recordCount: 1, totalMinor: 1999 }],
    [[{ amountMinor: 1 }, { amountMinor: 2 }, { amountMinor: 0 }], { recordCount: 3, totalMinor: 3 }],
  ])('%j → %j', (records, expected) => {
    expect(summarizeRecords(records)).toEqual(expected);
  });

  it.each([[[{ amountMinor: 1.5 }]], [[{ amountMinor: -1 }]], [[{ amountMinor: Number.MAX_SAFE_INTEGER }, { amountMinor: 1 }]]])(
    'refuses %j',
    (records) => {
      expect(() => summarizeRecords(records)).toThrow();
    },
  );
});
