import Decimal from 'decimal.js';

/**
 * Price resolution (pure; integer minor units, discount maths with decimal.js).
 *
 * 1. The list price is the product's base price.
 * 2. A tier price valid on the day replaces it for dealers of that tier; when several are valid,
 *    the one that started last wins (a promotion overrides the standing tier price), then the newest rule.
 * 3. A quantity break (e.g. 10+ units −3%) valid on the day then discounts that price: the break
 *    with the highest minimum quantity the line reaches; one for the dealer's tier beats one for
 *    every tier at the same minimum; then the larger discount.
 * The discounted unit price is rounded half up to the minor unit, and the line total is unit × quantity,
 * so an invoice line always equals what the portal showed per unit.
 */
export type PriceRuleKind = 'tier_price' | 'quantity_break';

export interface PriceRule {
  id: number;
  kind: PriceRuleKind;
  /** The dealer tier code this rule is for; null for every tier (quantity breaks only). */
  tier: string | null;
  /** tier_price: the unit price in minor units. */
  unitPriceMinor?: number | null;
  /** quantity_break: from this many units on. */
  minQuantity?: number | null;
  /** quantity_break: the discount in basis points (300 = 3%). */
  discountBasisPoints?: number | null;
  /** First and last day the rule applies (inclusive, YYYY-MM-DD); open-ended when null. */
  validFrom?: string | null;
  validTo?: string | null;
}

export interface ResolvedPrice {
  listPriceMinor: number;
  /** After the tier price, before the quantity break. */
  tierPriceMinor: number;
  discountBasisPoints: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
  /** The rules that decided the price, for the order line's audit. */
  ruleIds: number[];
}

export function isValidOn(rule: Pick<PriceRule, 'validFrom' | 'validTo'>, day: string): boolean {
  return (!rule.validFrom || rule.validFrom <= day) && (!rule.validTo || day <= rule.validTo);
}

export function resolvePrice(basePriceMinor: number, rules: readonly PriceRule[], at: { tier: string; quantity: number; day: string }): ResolvedPrice {
  if (!Number.isSafeInteger(basePriceMinor) || basePriceMinor < 0) throw new Error(`not a price in minor units: ${basePriceMinor}`);
  if (!Number.isSafeInteger(at.quantity) || at.quantity <= 0) throw new Error(`not a quantity: ${at.quantity}`);
  const valid = rules.filter((r) => isValidOn(r, at.day));

  const tierPrice = valid
    .filter((r) => r.kind === 'tier_price' && r.tier === at.tier && r.unitPriceMinor != null)
    .sort((a, b) => (b.validFrom ?? '').localeCompare(a.validFrom ?? '') || b.id - a.id)[0];
  const tierPriceMinor = tierPrice ? tierPrice.unitPriceMinor! : basePriceMinor;

  const quantityBreak = valid
    .filter((r) => r.kind === 'quantity_break' && (r.tier === null || r.tier === at.tier) && (r.minQuantity ?? 1) <= at.quantity && (r.discountBasisPoints ?? 0) > 0)
    .sort(
      (a, b) =>
        (b.minQuantity ?? 1) - (a.minQuantity ?? 1) ||
        Number(b.tier !== null) - Number(a.tier !== null) ||
        (b.discountBasisPoints ?? 0) - (a.discountBasisPoints ?? 0) ||
        b.id - a.id,
    )[0];
  const discountBasisPoints = Math.min(quantityBreak?.discountBasisPoints ?? 0, 10_000);

  const unitPriceMinor = new Decimal(tierPriceMinor)
    .times(10_000 - discountBasisPoints)
    .dividedBy(10_000)
    .toDecimalPlaces(0, Decimal.ROUND_HALF_UP)
    .toNumber();
  const lineTotal = new Decimal(unitPriceMinor).times(at.quantity);
  if (!lineTotal.lte(Number.MAX_SAFE_INTEGER)) throw new Error('line total out of range');
  return {
    listPriceMinor: basePriceMinor,
    tierPriceMinor,
    discountBasisPoints,
    unitPriceMinor,
    lineTotalMinor: lineTotal.toNumber(),
    ruleIds: [tierPrice?.id, quantityBreak?.id].filter((id): id is number => id !== undefined),
  };
}
