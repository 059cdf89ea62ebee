import { describe, expect, it } from 'vitest';
import { advanceDue, rebateFor, rebateTermsSchema, settlementDue, type RebateTerms } from '../src/services/rebate-tiers';

// Amounts in minor units (fen): ¥1,000,000.00 is 100_000_000.
const yuan = (n: number) => Math.round(n * 100);
const volumeTiers = [
  { from: '0', ratePercent: '1' },
  { from: String(yuan(1_000_000)), ratePercent: '2' },
  { from: String(yuan(3_000_000)), ratePercent: '3' },
];
const terms = (over: Partial<RebateTerms>): RebateTerms => ({ method: 'retroactive', basis: 'amount', tiers: volumeTiers, capMinor: null, minimumPayoutMinor: 0, withoutPriorVolume: 'no-rebate', ...over });

describe('retroactive (全额累进) and stepped (超额累进) on the worked example: ≥0 → 1%, ≥1,000,000 → 2%, ≥3,000,000 → 3%', () => {
  it.each([
    // volume,          retroactive,     stepped,                                   tier reached
    [0, 0, 0, null],
    [0.01, 0, 0, 0], // ¥0.0001 rounds to nothing
    [500_000, 5_000, 5_000, 0],
    [999_999.99, 9_999.9999, 9_999.9999, 0],
    [1_000_000, 20_000, 10_000, 1], // the threshold itself is reached (≥)
    [1_000_000.01, 20_000.0002, 10_000.0002, 1],
    [2_500_000, 50_000, 40_000, 1], // the worked example: 10,000.00 + 30,000.00
    [2_999_999.99, 59_999.9998, 49_999.9998, 1],
    [3_000_000, 90_000, 50_000, 2],
    [4_000_000, 120_000, 80_000, 2],
  ])('volume ¥%d: retroactive ¥%d, stepped ¥%d (tier %s)', (volume, retroactive, stepped, tier) => {
    const volumeMinor = yuan(volume);
    const r = rebateFor(terms({ method: 'retroactive' }), { amountMinor: volumeMinor, units: 0 });
    const s = rebateFor(terms({ method: 'stepped' }), { amountMinor: volumeMinor, units: 0 });
    expect(r.earnedMinor).toBe(Math.round(retroactive * 100 + 1e-9));
    expect(s.earnedMinor).toBe(Math.round(stepped * 100 + 1e-9));
    expect(r.tierIndex).toBe(tier);
    expect(s.tierIndex).toBe(tier);
  });

  it('rounds half up once on the period, never per invoice line', () => {
    // 1% of ¥0.50 is 0.5 fen: rounded up on the period's total, where per-line rounding of two ¥0.25 lines gives 0.
    expect(rebateFor(terms({}), { amountMinor: 50, units: 0 }).earnedMinor).toBe(1);
    expect(rebateFor(terms({}), { amountMinor: 49, units: 0 }).earnedMinor).toBe(0);
  });

  it.each([
    // volume,       next tier, still to buy
    [0, 0, 0],
    [400_000, 1, 600_000],
    [999_999.99, 1, 0.01],
    [1_000_000, 2, 2_000_000],
    [2_588_000, 2, 412_000], // "¥412,000 more this quarter reaches 3%"
    [3_000_000, null, null],
  ])('at ¥%d the next tier is %s, ¥%s away', (volume, nextTier, missing) => {
    const outcome = rebateFor(terms({}), { amountMinor: yuan(volume), units: 0 });
    expect(outcome.next).toEqual(nextTier === null ? null : { tierIndex: nextTier, missing: yuan(missing!) });
  });
});

describe('cap and minimum payout', () => {
  it.each([
    // volume,    cap,      minimum,  earned,  payable, capped, below minimum
    [2_500_000, 45_000, 0, 45_000, 45_000, true, false],
    [2_500_000, 50_000, 0, 50_000, 50_000, false, false], // exactly at the cap is not capped
    [2_500_000, null, 0, 50_000, 50_000, false, false],
    [10_000, null, 200, 100, 0, false, true], // ¥100 earned, ¥200 minimum: nothing paid
    [20_000, null, 200, 200, 200, false, false], // the minimum itself is paid
    [0, null, 200, 0, 0, false, false],
  ])('volume ¥%d, cap %s, minimum ¥%d → earned ¥%d, payable ¥%d', (volume, cap, minimum, earned, payable, capped, below) => {
    const outcome = rebateFor(terms({ capMinor: cap === null ? null : yuan(cap), minimumPayoutMinor: yuan(minimum) }), { amountMinor: yuan(volume), units: 0 });
    expect(outcome.earnedMinor).toBe(yuan(earned));
    expect(outcome.payableMinor).toBe(yuan(payable));
    expect(outcome.capped).toBe(capped);
    expect(outcome.belowMinimum).toBe(below);
  });
});

describe('growth over the same period a year before', () => {
  const growth = terms({
    method: 'growth',
    tiers: [
      { from: '0', ratePercent: '1' },
      { from: '10', ratePercent: '2' },
      { from: '25', ratePercent: '4' },
    ],
  });
  it.each([
    // prior,     current,    growth %, tier, earned
    [1_000_000, 900_000, '-10.00', null, 0], // shrank: no tier
    [1_000_000, 1_000_000, '0.00', 0, 10_000], // flat reaches the 0% tier
    [1_000_000, 1_099_999, '10.00', 0, 10_999.99], // 9.9999% shows as 10.00 but is below the tier
    [1_000_000, 1_100_000, '10.00', 1, 22_000],
    [1_000_000, 1_250_000, '25.00', 2, 50_000],
  ])('prior ¥%d, now ¥%d: growth %s%%, tier %s, earned ¥%d', (prior, current, percent, tier, earned) => {
    const outcome = rebateFor(growth, { amountMinor: yuan(current), units: 0, prior: { amountMinor: yuan(prior), units: 0 } });
    expect(outcome.growthPercent).toBe(percent);
    expect(outcome.tierIndex).toBe(tier);
    expect(outcome.earnedMinor).toBe(yuan(earned));
  });

  it('tells how much more to buy for the next growth tier', () => {
    const outcome = rebateFor(growth, { amountMinor: yuan(1_050_000), units: 0, prior: { amountMinor: yuan(1_000_000), units: 0 } });
    expect(outcome.next).toEqual({ tierIndex: 1, missing: yuan(50_000) });
  });

  it.each([
    ['no-rebate', null, 0],
    ['first-tier', 0, 5_000],
  ] as const)('a dealer with no prior volume under rule %s gets tier %s', (rule, tier, earned) => {
    const outcome = rebateFor({ ...growth, withoutPriorVolume: rule }, { amountMinor: yuan(500_000), units: 0, prior: null });
    expect(outcome.tierIndex).toBe(tier);
    expect(outcome.earnedMinor).toBe(yuan(earned));
    expect(outcome.growthPercent).toBeNull();
    expect(outcome.next).toBeNull();
  });
});

describe('fixed amount per unit, by the tier the units reach', () => {
  const perUnit = terms({ method: 'per-unit', basis: 'units', tiers: [{ from: '100', perUnitMinor: 50 }, { from: '500', perUnitMinor: 80 }] });
  it.each([
    [99, null, 0],
    [100, 0, 5_000],
    [499, 0, 24_950],
    [500, 1, 40_000],
  ])('%d units: tier %s, earned %d fen', (units, tier, earned) => {
    const outcome = rebateFor(perUnit, { amountMinor: 0, units });
    expect(outcome.tierIndex).toBe(tier);
    expect(outcome.earnedMinor).toBe(earned);
  });
});

describe('advances and netting', () => {
  it.each([
    // entitlement, advances paid, due (negative: clawed back)
    [50_000, 30_000, 20_000],
    [50_000, 50_000, 0],
    [40_000, 45_000, -5_000],
  ])('entitlement %d with %d advanced leaves %d', (entitlement, advanced, due) => {
    expect(settlementDue(entitlement, advanced)).toBe(due);
  });

  it.each([
    // earned to date, paid, percent, advance
    [10_000, 0, '80', 8_000],
    [25_000, 8_000, '80', 12_000],
    [15_000, 12_000, '80', 0], // earned fell (returns): no negative advance, settlement claws back
    [3, 0, '50', 2], // 1.5 fen rounds half up
  ])('earned %d, advanced %d, %s%% → advance %d', (earnedToDate, paid, percent, advance) => {
    expect(advanceDue(earnedToDate, paid, percent)).toBe(advance);
  });
});

describe('terms staff enter are checked', () => {
  const refusal = (input: unknown) => {
    const parsed = rebateTermsSchema.safeParse(input);
    return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const base = { method: 'retroactive', basis: 'amount', tiers: [{ from: '0', ratePercent: '1' }, { from: '100000', ratePercent: '2' }] };

  it('accepts well-formed terms and fills the defaults', () => {
    expect(refusal(base)).toBeNull();
    expect(rebateTermsSchema.parse(base)).toMatchObject({ capMinor: null, minimumPayoutMinor: 0, withoutPriorVolume: 'no-rebate' });
  });

  it.each([
    ['unsorted thresholds', { ...base, tiers: [{ from: '100000', ratePercent: '2' }, { from: '0', ratePercent: '1' }] }, 'tiers.1.from: tier thresholds must rise'],
    ['overlapping (equal) thresholds', { ...base, tiers: [{ from: '0', ratePercent: '1' }, { from: '0', ratePercent: '2' }] }, 'tiers.1.from: tier thresholds must rise'],
    ['a rate above 100%', { ...base, tiers: [{ from: '0', ratePercent: '100.5' }] }, 'tiers.0.ratePercent: a rate is between 0 and 100 percent'],
    ['a negative rate', { ...base, tiers: [{ from: '0', ratePercent: '-1' }] }, 'tiers.0.ratePercent'],
    ['no tiers', { ...base, tiers: [] }, 'tiers: a program needs at least one tier'],
    ['a tier without its rate', { ...base, tiers: [{ from: '0' }] }, 'tiers.0.ratePercent: the tier needs its rate'],
    ['a fractional amount threshold', { ...base, tiers: [{ from: '0.5', ratePercent: '1' }] }, 'tiers.0.from: an amount threshold is a whole number of minor units'],
    ['per-unit on amounts', { method: 'per-unit', basis: 'amount', tiers: [{ from: '1', perUnitMinor: 10 }] }, 'basis: a per-unit program counts units'],
    ['stepped on units', { method: 'stepped', basis: 'units', tiers: [{ from: '1', ratePercent: '1' }] }, 'basis: a stepped program bands the invoiced amount'],
    ['a rate on a per-unit tier', { method: 'per-unit', basis: 'units', tiers: [{ from: '1', ratePercent: '1' }] }, 'tiers.0.perUnitMinor: a per-unit tier needs its amount per unit'],
    ['a negative cap', { ...base, capMinor: -1 }, 'capMinor'],
  ])('refuses %s', (_what, input, expected) => {
    expect(refusal(input)?.some((issue) => issue.startsWith(expected))).toBe(true);
  });
});
