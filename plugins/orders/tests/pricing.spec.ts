import { describe, expect, it } from 'vitest';
import { resolvePrice, type PriceRule } from '../src/services/pricing';

const BASE = 100_000; // CNY 1,000.00
let id = 0;
const tierPrice = (tier: string, unitPriceMinor: number, validFrom: string | null = null, validTo: string | null = null): PriceRule => ({ id: (id += 1), kind: 'tier_price', tier, unitPriceMinor, validFrom, validTo });
const qtyBreak = (minQuantity: number, discountBasisPoints: number, tier: string | null = null, validFrom: string | null = null, validTo: string | null = null): PriceRule => ({
  id: (id += 1),
  kind: 'quantity_break',
  tier,
  minQuantity,
  discountBasisPoints,
  validFrom,
  validTo,
});

const RULES: PriceRule[] = [
  tierPrice('gold', 90_000),
  tierPrice('silver', 95_000),
  // A December promotion for gold beats the standing gold price while it runs.
  tierPrice('gold', 85_000, '2026-12-01', '2026-12-31'),
  qtyBreak(10, 300),
  qtyBreak(50, 500),
  qtyBreak(50, 700, 'gold'),
  // An expired break must not apply.
  qtyBreak(5, 2_000, null, '2026-01-01', '2026-06-30'),
  // A break that starts next year must not apply yet.
  qtyBreak(100, 1_000, null, '2027-01-01'),
];

describe('price resolution: tier × quantity break × validity', () => {
  it.each([
    // tier,   qty, day,          unit,   line total,  discount bp, why
    ['bronze', 1, '2026-11-15', 100_000, 100_000, 0, 'no tier price: the list price'],
    ['silver', 1, '2026-11-15', 95_000, 95_000, 0, 'the silver tier price'],
    ['gold', 1, '2026-11-15', 90_000, 90_000, 0, 'the standing gold price before the promotion'],
    ['gold', 1, '2026-12-01', 85_000, 85_000, 0, 'the promotion from its first day'],
    ['gold', 1, '2026-12-31', 85_000, 85_000, 0, 'the promotion on its last day'],
    ['gold', 1, '2027-01-01', 90_000, 90_000, 0, 'the standing price again after it'],
    ['bronze', 9, '2026-11-15', 100_000, 900_000, 0, 'one unit short of the first break'],
    ['bronze', 10, '2026-11-15', 97_000, 970_000, 300, '10+ units −3%'],
    ['silver', 10, '2026-11-15', 92_150, 921_500, 300, 'the break discounts the tier price'],
    ['bronze', 50, '2026-11-15', 95_000, 4_750_000, 500, 'the highest break reached wins: 50+ −5%'],
    ['gold', 50, '2026-11-15', 83_700, 4_185_000, 700, "gold's own 50+ break beats the general one"],
    ['gold', 50, '2026-12-15', 79_050, 3_952_500, 700, 'promotion price and gold break together'],
    ['bronze', 5, '2026-03-01', 80_000, 400_000, 2_000, 'the spring break while it was valid'],
    ['bronze', 5, '2026-11-15', 100_000, 500_000, 0, 'and not after it expired'],
    ['bronze', 100, '2026-12-31', 95_000, 9_500_000, 500, 'a break not yet valid does not apply'],
    ['bronze', 100, '2027-01-01', 90_000, 9_000_000, 1_000, 'from its first day it does'],
  ])('%s × %i on %s → %i per unit (%s)', (tier, quantity, day, unit, total, discount) => {
    const price = resolvePrice(BASE, RULES, { tier: tier as string, quantity: quantity as number, day: day as string });
    expect(price).toMatchObject({ listPriceMinor: BASE, unitPriceMinor: unit, lineTotalMinor: total, discountBasisPoints: discount });
  });

  it('rounds a discounted unit price half up to the cent, so line totals are unit × quantity', () => {
    const price = resolvePrice(33_333, [qtyBreak(3, 300)], { tier: 'bronze', quantity: 3, day: '2026-12-01' });
    // 33,333 × 0.97 = 32,333.01 → 32,333; 33,335 × 0.97 = 32,334.95 → 32,335
    expect(price.unitPriceMinor).toBe(32_333);
    expect(price.lineTotalMinor).toBe(96_999);
    expect(resolvePrice(33_335, [qtyBreak(3, 300)], { tier: 'bronze', quantity: 3, day: '2026-12-01' }).unitPriceMinor).toBe(32_335);
  });

  it('names the rules that decided the price', () => {
    const price = resolvePrice(BASE, RULES, { tier: 'gold', quantity: 50, day: '2026-12-15' });
    expect(price.ruleIds).toEqual([RULES[2]!.id, RULES[5]!.id]);
  });

  it('refuses quantities and prices that are not whole positive numbers', () => {
    expect(() => resolvePrice(BASE, [], { tier: 'gold', quantity: 0, day: '2026-12-01' })).toThrow(/quantity/);
    expect(() => resolvePrice(BASE, [], { tier: 'gold', quantity: 1.5, day: '2026-12-01' })).toThrow(/quantity/);
    expect(() => resolvePrice(-1, [], { tier: 'gold', quantity: 1, day: '2026-12-01' })).toThrow(/price/);
  });
});
