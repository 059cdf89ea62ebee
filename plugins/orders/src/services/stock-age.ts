import { isCalendarDay } from '@channelflow/sdk';
import Decimal from 'decimal.js';

/**
 * Stock age (库龄) under first in, first out (pure).
 *
 * Units leave in the order they arrived, so what is on hand is made of the most recent receipts:
 * walk the receipts newest first until the on-hand quantity is accounted for. Each unit's age is the
 * number of days from its receipt to `asOf` (received today = 0 days).
 * - Receipts dated after `asOf` are ignored: they were not in stock on that day.
 * - When on hand exceeds every receipt (stock-take gains, stock from before the records began), the
 *   excess is as old as the oldest receipt, so unrecorded stock never makes the stock look fresher;
 *   with no receipt at all it is counted as received on `asOf` (age 0), the only date there is.
 * - On hand of zero or below (an oversold level) has no age: empty buckets, average 0.
 * The average age is weighted by units and rounded half up to one decimal (e.g. 42.5).
 */
export interface Receipt {
  /** The day the units were received (YYYY-MM-DD). */
  day: string;
  quantity: number;
}

export interface StockAgeBuckets {
  days0to30: number;
  days31to60: number;
  days61to90: number;
  days91to180: number;
  over180: number;
}

export interface StockAge {
  /** Units on hand by age in days. */
  buckets: StockAgeBuckets;
  /** Units-weighted mean age in days, rounded half up to one decimal; 0 when nothing is on hand. */
  averageAgeDays: number;
}

export function stockAge(receipts: readonly Receipt[], onHand: number, asOf: string): StockAge {
  if (!Number.isSafeInteger(onHand)) throw new Error(`not a quantity on hand: ${onHand}`);
  const today = dayNumber(asOf);
  const received = receipts
    .map((r) => {
      if (!Number.isSafeInteger(r.quantity) || r.quantity < 0) throw new Error(`not a received quantity: ${r.quantity}`);
      return { age: today - dayNumber(r.day), quantity: r.quantity };
    })
    .filter((r) => r.age >= 0 && r.quantity > 0)
    .sort((a, b) => a.age - b.age);

  const buckets: StockAgeBuckets = { days0to30: 0, days31to60: 0, days61to90: 0, days91to180: 0, over180: 0 };
  let unitDays = new Decimal(0);
  let remaining = Math.max(0, onHand);
  const count = (age: number, units: number) => {
    buckets[bucketOf(age)] += units;
    unitDays = unitDays.plus(new Decimal(age).times(units));
    remaining -= units;
  };
  for (const receipt of received) {
    if (remaining === 0) break;
    count(receipt.age, Math.min(remaining, receipt.quantity));
  }
  if (remaining > 0) count(received.length > 0 ? received[received.length - 1]!.age : 0, remaining);

  const units = Math.max(0, onHand);
  const averageAgeDays = units === 0 ? 0 : unitDays.dividedBy(units).toDecimalPlaces(1, Decimal.ROUND_HALF_UP).toNumber();
  return { buckets, averageAgeDays };
}

function bucketOf(ageDays: number): keyof StockAgeBuckets {
  if (ageDays <= 30) return 'days0to30';
  if (ageDays <= 60) return 'days31to60';
  if (ageDays <= 90) return 'days61to90';
  if (ageDays <= 180) return 'days91to180';
  return 'over180';
}

/** Days since 1970-01-01 for a real calendar day written YYYY-MM-DD. */
function dayNumber(day: string): number {
  if (!isCalendarDay(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}
