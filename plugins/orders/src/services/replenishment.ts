import { isCalendarDay } from '@channelflow/sdk';
import Decimal from 'decimal.js';

/**
 * Replenishment (pure; quantities in whole units, costs in integer minor units, maths with decimal.js).
 *
 * When a stock level falls below its safety stock, the first place to look is the brand's own network:
 * an HQ or regional warehouse with stock to spare sends a transfer, which costs no purchase. Only when
 * none can cover the shortfall is a purchase suggested, sized by the economic order quantity (EOQ) so
 * that ordering often (order costs) and holding a lot (holding costs) are balanced.
 */
export interface EoqInput {
  /** D: units sold in a year (see `annualDemand`). */
  annualDemand: number;
  /** S: what placing one order costs, in minor units (handling, freight booking, paperwork). */
  orderCostMinor: number;
  /** What one unit costs to buy, in minor units. */
  unitCostMinor: number;
  /** Yearly holding cost as a share of the unit cost, in basis points (2000 = 20% a year). */
  holdingRateBasisPoints: number;
}

/**
 * EOQ = √(2·D·S / H), with D the annual demand in units, S the cost of one order and
 * H = unit cost × yearly holding rate, the cost of holding one unit for a year (S and H in minor units).
 * Rounded up to whole units (a fraction of a unit cannot be ordered, and rounding down would order
 * slightly too often); at least 1 when there is any demand; 0 when there is none.
 */
export function economicOrderQuantity(input: EoqInput): number {
  const { annualDemand: demand, orderCostMinor, unitCostMinor, holdingRateBasisPoints } = input;
  assertWhole(demand, 'annual demand');
  assertWhole(orderCostMinor, 'order cost');
  assertWhole(unitCostMinor, 'unit cost');
  assertWhole(holdingRateBasisPoints, 'holding rate');
  if (demand === 0) return 0;
  // Holding that costs nothing would make the formula divide by zero (order everything at once).
  if (unitCostMinor === 0 || holdingRateBasisPoints === 0) throw new Error('the holding cost must be above zero for an economic order quantity');

  // √(2·D·S·10000 / (unit cost · bp)): kept as integers so the only rounding is the square root's.
  const numerator = new Exact(2).times(demand).times(orderCostMinor).times(10_000);
  const denominator = new Exact(unitCostMinor).times(holdingRateBasisPoints);
  const units = numerator.dividedBy(denominator).sqrt().ceil();
  if (!units.lte(Number.MAX_SAFE_INTEGER)) throw new Error('economic order quantity out of range');
  return Math.max(1, units.toNumber());
}

export interface Shipment {
  /** The day the units left (YYYY-MM-DD). */
  day: string;
  quantity: number;
}

/** The units shipped in the 365 days up to and including `asOf`: the last twelve months' demand. */
export function annualDemand(shipments: readonly Shipment[], asOf: string): number {
  const last = dayNumber(asOf);
  const first = last - 364;
  let units = 0;
  for (const shipment of shipments) {
    assertWhole(shipment.quantity, 'shipped quantity');
    const day = dayNumber(shipment.day);
    if (day >= first && day <= last) units += shipment.quantity;
  }
  return units;
}

export type WarehouseLevel = 'hq' | 'regional' | 'dealer' | 'store';

/** The stock level that fell low. */
export interface LowStockLevel {
  warehouseCode: string;
  onHand: number;
  reserved: number;
  inTransit: number;
  safetyStock: number;
}

/** The same product's level in another warehouse. */
export interface OtherStockLevel {
  warehouseCode: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  level: WarehouseLevel;
}

export interface ReplenishmentInput {
  level: LowStockLevel;
  otherLevels: readonly OtherStockLevel[];
  /** The product's economic order quantity (see `economicOrderQuantity`). */
  eoq: number;
}

export type ReplenishmentSuggestion =
  | { kind: 'transfer'; fromWarehouseCode: string; quantity: number; reason: string }
  | { kind: 'purchase'; quantity: number; reason: string };

/**
 * What to do about a level below its safety stock, or null when it is not below it.
 * Counted: on hand − reserved + in transit (what is on its way will arrive; what is reserved is spoken for).
 * shortfall = safety stock − that. A transfer comes from the HQ or regional warehouse with the largest
 * surplus above its own safety stock, if that surplus covers the shortfall; it moves up to an EOQ's worth
 * (fewer, larger moves) but never leaves the source below its safety stock. Otherwise: a purchase of
 * the larger of the EOQ and the shortfall.
 */
export function suggestReplenishment(input: ReplenishmentInput): ReplenishmentSuggestion | null {
  const { level, otherLevels, eoq } = input;
  assertWhole(eoq, 'economic order quantity');
  const counted = level.onHand - level.reserved + level.inTransit;
  if (counted >= level.safetyStock) return null;
  const shortfall = level.safetyStock - counted;
  const position = `${level.warehouseCode} has ${level.onHand - level.reserved} available (${level.onHand} on hand − ${level.reserved} reserved) and ${level.inTransit} in transit, ${shortfall} below its safety stock of ${level.safetyStock}`;

  const source = otherLevels
    // Dealer and store warehouses hold dealers' own stock: the brand cannot move it.
    .filter((o) => (o.level === 'hq' || o.level === 'regional') && o.warehouseCode !== level.warehouseCode)
    .map((o) => ({ warehouseCode: o.warehouseCode, surplus: o.onHand - o.reserved - o.safetyStock }))
    .filter((o) => o.surplus >= shortfall)
    .sort((a, b) => b.surplus - a.surplus || a.warehouseCode.localeCompare(b.warehouseCode))[0];
  if (source) {
    const quantity = Math.max(shortfall, Math.min(eoq, source.surplus));
    return {
      kind: 'transfer',
      fromWarehouseCode: source.warehouseCode,
      quantity,
      reason: `${position}; transfer ${quantity} from ${source.warehouseCode}, which has ${source.surplus} above its own safety stock.`,
    };
  }
  const quantity = Math.max(eoq, shortfall);
  return {
    kind: 'purchase',
    quantity,
    reason: `${position}; no HQ or regional warehouse has ${shortfall} to spare, so purchase ${quantity} (economic order quantity ${eoq}).`,
  };
}

// 80 digits: a ratio that is not a perfect square lies at least 1/(unit cost · bp) from one, far beyond this
// rounding, so rounding up never lands on the wrong whole number (a perfect square's root is exact).
const Exact = Decimal.clone({ precision: 80 });

function assertWhole(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a whole, non-negative ${what}: ${value}`);
}

/** Days since 1970-01-01 for a real calendar day written YYYY-MM-DD. */
function dayNumber(day: string): number {
  if (!isCalendarDay(day)) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}
