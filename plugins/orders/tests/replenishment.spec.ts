import { describe, expect, it } from 'vitest';
import { annualDemand, economicOrderQuantity, suggestReplenishment, type LowStockLevel, type OtherStockLevel } from '../src/services/replenishment';

describe('economic order quantity: √(2·D·S / H), rounded up', () => {
  it.each([
    // D,        S (minor), unit (minor), bp,    EOQ,  why
    [1_000, 5_000, 2_500, 2_000, 142, '√20,000 = 141.42… rounds up'],
    [1_000, 1_000, 1_000, 2_000, 100, 'a perfect square (√10,000) stays 100, not 101'],
    [1_001, 1_000, 1_000, 2_000, 101, 'just above the perfect square: 100.05 → 101'],
    [12_000, 2_000, 333, 2_500, 760, 'H = 83.25 is not whole: 759.33 → 760'],
    [150, 111, 333, 2_500, 20, 'a perfect square with a fractional H is exact: 20'],
    [365_000, 12_000, 8_999, 2_500, 1_974, 'a busy product: 1,973.26 → 1,974'],
    [1, 1, 1_000_000, 2_000, 1, 'a tiny EOQ (0.003) is still one unit'],
    [500, 0, 1_000, 2_000, 1, 'orders that cost nothing: at least one unit'],
    [0, 5_000, 2_500, 2_000, 0, 'no demand: nothing to order'],
  ])('D=%i S=%i unit=%i at %i bp → %i (%s)', (demand, orderCost, unitCost, rate, eoq) => {
    expect(economicOrderQuantity({ annualDemand: demand as number, orderCostMinor: orderCost as number, unitCostMinor: unitCost as number, holdingRateBasisPoints: rate as number })).toBe(eoq);
  });

  it('refuses a holding cost of zero (the formula would divide by zero) and inputs that are not whole', () => {
    expect(() => economicOrderQuantity({ annualDemand: 100, orderCostMinor: 5_000, unitCostMinor: 0, holdingRateBasisPoints: 2_000 })).toThrow(/holding cost/);
    expect(() => economicOrderQuantity({ annualDemand: 100, orderCostMinor: 5_000, unitCostMinor: 2_500, holdingRateBasisPoints: 0 })).toThrow(/holding cost/);
    expect(() => economicOrderQuantity({ annualDemand: -1, orderCostMinor: 5_000, unitCostMinor: 2_500, holdingRateBasisPoints: 2_000 })).toThrow(/annual demand/);
    expect(() => economicOrderQuantity({ annualDemand: 100, orderCostMinor: 50.5, unitCostMinor: 2_500, holdingRateBasisPoints: 2_000 })).toThrow(/order cost/);
  });
});

describe('annual demand: the 365 days up to and including asOf', () => {
  it.each([
    // asOf,         shipped on,    counted, why
    ['2026-06-30', '2026-06-30', true, 'asOf itself counts'],
    ['2026-06-30', '2025-07-01', true, 'the first of the 365 days'],
    ['2026-06-30', '2025-06-30', false, 'a year and a day before: outside'],
    ['2026-06-30', '2026-07-01', false, 'after asOf: outside'],
    ['2024-12-31', '2024-01-02', true, 'in a leap year the window starts on 2 January'],
    ['2024-12-31', '2024-01-01', false, 'so 1 January 2024 is outside'],
    ['2025-03-01', '2024-03-02', true, 'across the leap day the window is still 365 days'],
    ['2025-03-01', '2024-03-01', false, 'and the day before it is outside'],
  ])('as of %s, a shipment on %s counted: %s (%s)', (asOf, day, counted) => {
    const shipments = [
      { day: day as string, quantity: 7 },
      { day: asOf as string, quantity: 100 },
    ];
    expect(annualDemand(shipments, asOf as string)).toBe(counted ? 107 : 100);
  });

  it('adds every shipment in the window and is 0 without any', () => {
    expect(annualDemand([], '2026-06-30')).toBe(0);
    expect(annualDemand([{ day: '2026-01-15', quantity: 40 }, { day: '2026-01-15', quantity: 2 }, { day: '2025-12-01', quantity: 8 }], '2026-06-30')).toBe(50);
  });

  it('refuses days that do not exist and quantities that are not whole units', () => {
    expect(() => annualDemand([], '2026-02-30')).toThrow(/not a day/);
    expect(() => annualDemand([{ day: '2026/01/15', quantity: 1 }], '2026-06-30')).toThrow(/not a day/);
    expect(() => annualDemand([{ day: '2026-01-15', quantity: 1.5 }], '2026-06-30')).toThrow(/quantity/);
  });
});

describe('replenishment suggestion: transfer from a surplus, else purchase', () => {
  // Counted: 30 on hand − 10 reserved + 5 in transit = 25, safety stock 40 → shortfall 15.
  const LOW: LowStockLevel = { warehouseCode: 'SH-REG', onHand: 30, reserved: 10, inTransit: 5, safetyStock: 40 };
  const other = (warehouseCode: string, level: OtherStockLevel['level'], onHand: number, reserved = 0, safetyStock = 0): OtherStockLevel => ({ warehouseCode, level, onHand, reserved, safetyStock });

  it.each([
    // why,                                                   low level overrides,                   other levels,                                                         eoq, expected
    ['at safety stock: nothing to do', { onHand: 50, inTransit: 0 }, [], 120, null],
    ['in transit brings it up to safety stock', { inTransit: 20 }, [], 120, null],
    ['above safety stock', { onHand: 100 }, [], 120, null],
    ['the largest surplus sends an EOQ', {}, [other('BJ-REG', 'regional', 150, 0, 50), other('HQ', 'hq', 800, 100, 200)], 120, { kind: 'transfer', fromWarehouseCode: 'HQ', quantity: 120 }],
    ['a surplus smaller than the EOQ sends all of it', {}, [other('HQ', 'hq', 260, 0, 200)], 120, { kind: 'transfer', fromWarehouseCode: 'HQ', quantity: 60 }],
    ['a surplus exactly the shortfall covers it', {}, [other('HQ', 'hq', 215, 0, 200)], 120, { kind: 'transfer', fromWarehouseCode: 'HQ', quantity: 15 }],
    ['an EOQ below the shortfall still covers the shortfall', {}, [other('HQ', 'hq', 800)], 10, { kind: 'transfer', fromWarehouseCode: 'HQ', quantity: 15 }],
    ['equal surpluses: the first code', {}, [other('WH-B', 'regional', 300), other('WH-A', 'regional', 300)], 120, { kind: 'transfer', fromWarehouseCode: 'WH-A', quantity: 120 }],
    ['a surplus one short of the shortfall: purchase', {}, [other('HQ', 'hq', 214, 0, 200)], 120, { kind: 'purchase', quantity: 120 }],
    ['reserved stock is no surplus', {}, [other('HQ', 'hq', 500, 490)], 120, { kind: 'purchase', quantity: 120 }],
    ["dealer and store stock is the dealers', not the brand's", {}, [other('D-001', 'dealer', 5_000), other('S-001', 'store', 5_000)], 120, { kind: 'purchase', quantity: 120 }],
    ['the low warehouse is not its own source', {}, [other('SH-REG', 'regional', 5_000)], 120, { kind: 'purchase', quantity: 120 }],
    ['no EOQ (no demand history): purchase the shortfall', {}, [], 0, { kind: 'purchase', quantity: 15 }],
    ['more reserved than on hand widens the shortfall', { onHand: 10, reserved: 30, inTransit: 0 }, [], 20, { kind: 'purchase', quantity: 60 }],
  ])('%s', (_why, overrides, otherLevels, eoq, expected) => {
    const suggestion = suggestReplenishment({ level: { ...LOW, ...(overrides as Partial<LowStockLevel>) }, otherLevels: otherLevels as OtherStockLevel[], eoq: eoq as number });
    if (expected === null) expect(suggestion).toBeNull();
    else expect(suggestion).toMatchObject(expected as object);
  });

  it('gives the figures in the reason', () => {
    const transfer = suggestReplenishment({ level: LOW, otherLevels: [other('HQ', 'hq', 260, 0, 200)], eoq: 120 });
    expect(transfer?.reason).toMatch(/SH-REG/);
    expect(transfer?.reason).toMatch(/20 available/);
    expect(transfer?.reason).toMatch(/5 in transit/);
    expect(transfer?.reason).toMatch(/15 below its safety stock of 40/);
    expect(transfer?.reason).toMatch(/transfer 60 from HQ, which has 60 above/);
    const purchase = suggestReplenishment({ level: LOW, otherLevels: [], eoq: 120 });
    expect(purchase?.reason).toMatch(/purchase 120 \(economic order quantity 120\)/);
  });

  it('refuses an EOQ that is not a whole number of units', () => {
    expect(() => suggestReplenishment({ level: LOW, otherLevels: [], eoq: 1.5 })).toThrow(/economic order quantity/);
  });
});
