/**
 * Which warehouses an order's stock comes from (pure). Candidates arrive nearest first (see
 * `servingOrder`). The rule: the nearest warehouse that holds every line in full (one shipment);
 * otherwise, when splitting is allowed, each line takes from the nearest warehouses until it is
 * covered; whatever is still missing is the shortfall, which the order either back-orders or is
 * refused for (OUT_OF_STOCK), as the caller decides.
 */
export interface AllocationRule {
  /** Try one warehouse that covers the whole order before splitting. */
  singleWarehouseFirst: boolean;
  /** Take a line from several warehouses when no single one holds it. */
  allowSplit: boolean;
}

export const DEFAULT_ALLOCATION_RULE: AllocationRule = { singleWarehouseFirst: true, allowSplit: true };

export interface Demand {
  productId: number;
  quantity: number;
}

export interface Candidate {
  warehouseId: number;
  /** productId → units available (on hand − reserved) here. */
  available: ReadonlyMap<number, number>;
}

export interface Allocation {
  picks: Array<{ productId: number; warehouseId: number; quantity: number }>;
  shortfall: Array<{ productId: number; requested: number; allocated: number }>;
}

export function allocate(demand: readonly Demand[], candidates: readonly Candidate[], rule: AllocationRule = DEFAULT_ALLOCATION_RULE): Allocation {
  const wanted = demand.filter((d) => d.quantity > 0);
  if (rule.singleWarehouseFirst || !rule.allowSplit) {
    const whole = candidates.find((c) => wanted.every((d) => (c.available.get(d.productId) ?? 0) >= d.quantity));
    if (whole) return { picks: wanted.map((d) => ({ productId: d.productId, warehouseId: whole.warehouseId, quantity: d.quantity })), shortfall: [] };
  }
  const picks: Allocation['picks'] = [];
  const shortfall: Allocation['shortfall'] = [];
  for (const line of wanted) {
    let missing = line.quantity;
    if (rule.allowSplit) {
      for (const candidate of candidates) {
        if (missing === 0) break;
        const take = Math.min(missing, Math.max(0, candidate.available.get(line.productId) ?? 0));
        if (take > 0) {
          picks.push({ productId: line.productId, warehouseId: candidate.warehouseId, quantity: take });
          missing -= take;
        }
      }
    } else {
      // Without splitting a line still comes whole from the nearest warehouse that has all of it.
      const whole = candidates.find((c) => (c.available.get(line.productId) ?? 0) >= line.quantity);
      if (whole) {
        picks.push({ productId: line.productId, warehouseId: whole.warehouseId, quantity: line.quantity });
        missing = 0;
      }
    }
    if (missing > 0) shortfall.push({ productId: line.productId, requested: line.quantity, allocated: line.quantity - missing });
  }
  return { picks, shortfall };
}

const LEVEL_RANK: Record<string, number> = { store: 0, dealer: 1, regional: 2, hq: 3 };

/**
 * The warehouses that ship to a dealer, nearest first: those of the dealer's region, then those
 * serving every region (no region, e.g. HQ); lower levels before higher; then by code.
 * Dealer and store warehouses hold dealers' own stock and never ship brand orders.
 */
export function servingOrder<W extends { id: number; code: string; level: string; regionId: number | null }>(warehouses: readonly W[], regionId: number | null): W[] {
  return warehouses
    .filter((w) => (w.level === 'hq' || w.level === 'regional') && (w.regionId === null || w.regionId === regionId))
    .sort((a, b) => Number(a.regionId === null) - Number(b.regionId === null) || LEVEL_RANK[a.level]! - LEVEL_RANK[b.level]! || a.code.localeCompare(b.code));
}
