import { describe, expect, it } from 'vitest';
import { stockAge, type Receipt, type StockAgeBuckets } from '../src/services/stock-age';

const AS_OF = '2026-06-30';
const EMPTY: StockAgeBuckets = { days0to30: 0, days31to60: 0, days61to90: 0, days91to180: 0, over180: 0 };

describe('stock age: bucket boundaries', () => {
  it.each([
    // received,     age, bucket
    ['2026-06-30', 0, 'days0to30'],
    ['2026-05-31', 30, 'days0to30'],
    ['2026-05-30', 31, 'days31to60'],
    ['2026-05-01', 60, 'days31to60'],
    ['2026-04-30', 61, 'days61to90'],
    ['2026-04-01', 90, 'days61to90'],
    ['2026-03-31', 91, 'days91to180'],
    ['2026-01-01', 180, 'days91to180'],
    ['2025-12-31', 181, 'over180'],
  ])('received %s is %i days old: %s', (day, age, bucket) => {
    expect(stockAge([{ day: day as string, quantity: 10 }], 10, AS_OF)).toEqual({ buckets: { ...EMPTY, [bucket as string]: 10 }, averageAgeDays: age });
  });
});

describe('stock age: first in, first out', () => {
  // Deliberately out of order; the last one arrives after asOf and was not in stock then.
  const RECEIPTS: Receipt[] = [
    { day: '2026-04-01', quantity: 30 }, // 90 days
    { day: '2025-12-01', quantity: 50 }, // 211 days
    { day: '2026-06-20', quantity: 10 }, // 10 days
    { day: '2026-07-05', quantity: 1_000 }, // after asOf
    { day: '2026-01-01', quantity: 40 }, // 180 days
    { day: '2026-05-01', quantity: 20 }, // 60 days
  ];

  it.each([
    // on hand, 0–30, 31–60, 61–90, 91–180, 180+, average, why
    [10, 10, 0, 0, 0, 0, 10, 'all from the newest receipt'],
    [25, 10, 15, 0, 0, 0, 40, 'the newest, then part of the one before: (10·10 + 15·60) / 25'],
    [60, 10, 20, 30, 0, 0, 66.7, '4,000 unit-days / 60 = 66.67 → 66.7'],
    [150, 10, 20, 30, 40, 50, 145, 'every receipt: 21,750 / 150'],
    [170, 10, 20, 30, 40, 70, 152.8, 'stock-take gains of 20 are as old as the oldest receipt (211 days)'],
    [0, 0, 0, 0, 0, 0, 0, 'nothing on hand'],
    [-5, 0, 0, 0, 0, 0, 0, 'an oversold level has no age'],
  ])('%i on hand → [%i, %i, %i, %i, %i], average %s days (%s)', (onHand, d30, d60, d90, d180, over, average) => {
    expect(stockAge(RECEIPTS, onHand as number, AS_OF)).toEqual({
      buckets: { days0to30: d30, days31to60: d60, days61to90: d90, days91to180: d180, over180: over },
      averageAgeDays: average,
    });
  });

  it('counts stock without any receipt as received on asOf', () => {
    expect(stockAge([], 5, AS_OF)).toEqual({ buckets: { ...EMPTY, days0to30: 5 }, averageAgeDays: 0 });
    expect(stockAge([{ day: '2026-07-01', quantity: 5 }], 5, AS_OF)).toEqual({ buckets: { ...EMPTY, days0to30: 5 }, averageAgeDays: 0 });
  });

  it.each([
    // ages of the units,  average, why
    [[0, 0, 1], 0.3, '0.333… → 0.3'],
    [[0, 1, 1], 0.7, '0.666… → 0.7'],
    [[1, ...Array<number>(19).fill(0)], 0.1, '0.05 rounds half up to 0.1'],
  ])('averages ages %j to %s (%s)', (ages, average) => {
    const receipts = (ages as number[]).map((age) => ({ day: daysBefore(AS_OF, age), quantity: 1 }));
    expect(stockAge(receipts, receipts.length, AS_OF).averageAgeDays).toBe(average);
  });

  it('refuses days that do not exist and quantities that are not whole units', () => {
    expect(() => stockAge([], 1, '2026-13-01')).toThrow(/not a day/);
    expect(() => stockAge([{ day: '2026-02-29', quantity: 1 }], 1, AS_OF)).toThrow(/not a day/);
    expect(() => stockAge([{ day: '2026-02-01', quantity: -1 }], 1, AS_OF)).toThrow(/received quantity/);
    expect(() => stockAge([], 1.5, AS_OF)).toThrow(/on hand/);
  });
});

function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}
