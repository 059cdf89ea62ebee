import Decimal from 'decimal.js';
import { z } from 'zod';

/**
 * The tier maths of a rebate program (阶梯返利), pure: what a dealer earns on a period's
 * qualifying volume, which tier it reached and what it still has to buy for the next one.
 * Thresholds are reached at ≥. Amounts are integer minor units of the program currency; rates
 * are decimal percentages applied with decimal.js and rounded half up once, on the result.
 */

export const REBATE_METHODS = ['retroactive', 'stepped', 'growth', 'per-unit'] as const;
export type RebateMethod = (typeof REBATE_METHODS)[number];

/** What a threshold counts: the invoiced net amount (minor units) or the units invoiced. */
export type RebateBasis = 'amount' | 'units';

/** How a growth program treats a dealer that bought nothing in the same period a year before. */
export type WithoutPriorVolume = 'first-tier' | 'no-rebate';

export interface RebateTier {
  /** From this volume on: minor units (amount basis), units, or a growth percentage (growth). */
  from: string;
  /** Percent of the qualifying amount (retroactive, stepped, growth). */
  ratePercent?: string;
  /** Minor units per unit invoiced (per-unit). */
  perUnitMinor?: number;
}

export interface RebateTerms {
  method: RebateMethod;
  basis: RebateBasis;
  tiers: RebateTier[];
  /** The most one dealer may earn in a period (null: no cap). */
  capMinor: number | null;
  /** Less than this is not paid out (0: everything is). */
  minimumPayoutMinor: number;
  withoutPriorVolume: WithoutPriorVolume;
}

export interface PeriodVolume {
  /** The qualifying invoiced net amount of the period, returns of its invoices deducted. */
  amountMinor: number;
  units: number;
  /** The same period a year before (growth programs); null when the dealer bought nothing then. */
  prior?: { amountMinor: number; units: number } | null;
}

export interface RebateOutcome {
  /** Index of the highest tier reached, or null when none is. */
  tierIndex: number | null;
  /** Growth over the same period a year before, in percent (growth programs with prior volume). */
  growthPercent: string | null;
  /** Earned before the cap, rounded half up to minor units. */
  uncappedMinor: number;
  /** Earned after the cap. */
  earnedMinor: number;
  capped: boolean;
  /** Earned, but less than the minimum payout: nothing is payable. */
  belowMinimum: boolean;
  payableMinor: number;
  /** The next tier and what is still to buy to reach it (minor units or units), or null at the top. */
  next: { tierIndex: number; missing: number } | null;
}

const decimalText = z.string().regex(/^\d+(\.\d+)?$/, 'a non-negative decimal number, e.g. "2.5"');

/** Terms as staff enter them; refusals name the tier and the rule it breaks. */
export const rebateTermsSchema = z
  .object({
    method: z.enum(REBATE_METHODS),
    basis: z.enum(['amount', 'units']),
    tiers: z
      .array(
        z.object({
          from: decimalText,
          ratePercent: decimalText.optional(),
          perUnitMinor: z.number().int().min(0).optional(),
        }),
      )
      .min(1, 'a program needs at least one tier')
      .max(50),
    capMinor: z.number().int().min(0).nullable().default(null),
    minimumPayoutMinor: z.number().int().min(0).default(0),
    withoutPriorVolume: z.enum(['first-tier', 'no-rebate']).default('no-rebate'),
  })
  .superRefine((terms, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (terms.method === 'per-unit' && terms.basis !== 'units') issue(['basis'], 'a per-unit program counts units');
    if (terms.method === 'stepped' && terms.basis !== 'amount') issue(['basis'], 'a stepped program bands the invoiced amount');
    terms.tiers.forEach((tier, i) => {
      if (terms.method !== 'growth' && terms.basis === 'units' && !/^\d+$/.test(tier.from)) issue(['tiers', i, 'from'], 'a unit threshold is a whole number of units');
      if (terms.method !== 'growth' && terms.basis === 'amount' && !/^\d+$/.test(tier.from)) issue(['tiers', i, 'from'], 'an amount threshold is a whole number of minor units');
      if (terms.method === 'per-unit') {
        if (tier.perUnitMinor === undefined) issue(['tiers', i, 'perUnitMinor'], 'a per-unit tier needs its amount per unit');
        if (tier.ratePercent !== undefined) issue(['tiers', i, 'ratePercent'], 'a per-unit tier pays an amount per unit, not a rate');
      } else {
        if (tier.ratePercent === undefined) issue(['tiers', i, 'ratePercent'], 'the tier needs its rate');
        else if (new Decimal(tier.ratePercent).gt(100)) issue(['tiers', i, 'ratePercent'], 'a rate is between 0 and 100 percent');
        if (tier.perUnitMinor !== undefined) issue(['tiers', i, 'perUnitMinor'], 'only per-unit programs pay per unit');
      }
      if (i > 0 && !new Decimal(tier.from).gt(terms.tiers[i - 1]!.from)) {
        issue(['tiers', i, 'from'], `tier thresholds must rise: ${tier.from} does not exceed the tier before (${terms.tiers[i - 1]!.from}); tiers overlap or are out of order`);
      }
    });
  });

/** What the dealer earns on a period's volume under `terms`. */
export function rebateFor(terms: RebateTerms, volume: PeriodVolume): RebateOutcome {
  const measured = new Decimal(terms.basis === 'amount' ? volume.amountMinor : volume.units);
  const amount = Decimal.max(0, volume.amountMinor);
  let growthPercent: Decimal | null = null;
  let position: Decimal | null = measured; // where the dealer stands on the tier scale
  if (terms.method === 'growth') {
    const prior = volume.prior ? new Decimal(terms.basis === 'amount' ? volume.prior.amountMinor : volume.prior.units) : null;
    if (prior && prior.gt(0)) growthPercent = measured.minus(prior).div(prior).times(100);
    position = growthPercent ?? (terms.withoutPriorVolume === 'first-tier' ? new Decimal(terms.tiers[0]!.from) : null);
  }
  const tierIndex = position === null || measured.lte(0) ? null : highestReached(terms.tiers, position);
  const exact = tierIndex === null ? new Decimal(0) : earned(terms, tierIndex, measured, amount, volume.units);
  const uncappedMinor = exact.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
  const earnedMinor = terms.capMinor === null ? uncappedMinor : Math.min(uncappedMinor, terms.capMinor);
  const belowMinimum = earnedMinor > 0 && earnedMinor < terms.minimumPayoutMinor;
  return {
    tierIndex,
    growthPercent: growthPercent === null ? null : growthPercent.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
    uncappedMinor,
    earnedMinor,
    capped: earnedMinor < uncappedMinor,
    belowMinimum,
    payableMinor: belowMinimum ? 0 : earnedMinor,
    next: nextTier(terms, tierIndex, measured, volume),
  };
}

/**
 * What is due at settlement: the period's entitlement less the advances already paid for it; a
 * negative amount claws an overpaid advance back.
 */
export function settlementDue(payableMinor: number, advancesPaidMinor: number): number {
  return payableMinor - advancesPaidMinor;
}

/**
 * An advance within a longer period (e.g. quarterly on an annual program): `percent` of what was
 * earned to date, less the advances already paid, never negative (a clawback waits for settlement).
 */
export function advanceDue(earnedToDateMinor: number, advancesPaidMinor: number, percent: string): number {
  const share = new Decimal(earnedToDateMinor).times(percent).div(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toNumber();
  return Math.max(0, share - advancesPaidMinor);
}

function highestReached(tiers: RebateTier[], position: Decimal): number | null {
  let reached: number | null = null;
  tiers.forEach((tier, i) => {
    if (position.gte(tier.from)) reached = i;
  });
  return reached;
}

function earned(terms: RebateTerms, tierIndex: number, measured: Decimal, amount: Decimal, units: number): Decimal {
  const tier = terms.tiers[tierIndex]!;
  switch (terms.method) {
    case 'retroactive':
    case 'growth':
      // The whole period's amount earns the rate of the highest tier reached (全额累进).
      return amount.times(tier.ratePercent!).div(100);
    case 'per-unit':
      return new Decimal(Math.max(0, units)).times(tier.perUnitMinor!);
    case 'stepped': {
      // Each band of volume earns its own band's rate (超额累进).
      let total = new Decimal(0);
      terms.tiers.slice(0, tierIndex + 1).forEach((band, i) => {
        const upper = i + 1 < terms.tiers.length ? Decimal.min(measured, terms.tiers[i + 1]!.from) : measured;
        total = total.plus(upper.minus(band.from).times(band.ratePercent!).div(100));
      });
      return total;
    }
  }
}

function nextTier(terms: RebateTerms, tierIndex: number | null, measured: Decimal, volume: PeriodVolume): RebateOutcome['next'] {
  const index = tierIndex === null ? 0 : tierIndex + 1;
  const tier = terms.tiers[index];
  if (!tier) return null;
  if (terms.method !== 'growth') return { tierIndex: index, missing: Decimal.max(0, new Decimal(tier.from).minus(measured)).ceil().toNumber() };
  const prior = volume.prior ? (terms.basis === 'amount' ? volume.prior.amountMinor : volume.prior.units) : 0;
  // Without prior volume there is no growth to reach; the tier rule alone decides.
  if (!(prior > 0)) return null;
  const needed = new Decimal(prior).times(new Decimal(100).plus(tier.from)).div(100);
  return { tierIndex: index, missing: Decimal.max(0, needed.minus(measured)).ceil().toNumber() };
}
