import { describe, expect, it } from 'vitest';
import { defineLedger, fingerprint, guardConditions, sameRequest, violatedGuards, type BalanceGuard } from '../src/ledger';
import { addDays, dayOf, isCalendarDay, isInstant, isoDate, isoDateTime } from '../src/dates';
import { dealerWhere } from '../src/lists';

type Column = 'on_hand' | 'reserved' | 'in_transit';
/** The stock ledger's invariants: on hand ≥ reserved ≥ 0, in transit ≥ 0, on hand ≥ 0. */
const stockGuards: BalanceGuard<Column>[] = [{ terms: { on_hand: 1, reserved: -1 } }, { terms: { reserved: 1 } }, { terms: { in_transit: 1 } }, { terms: { on_hand: 1 } }];

describe('fingerprint', () => {
  const fields = ['dealerId', 'kind', 'amountCents'];
  it.each([
    ['fields in the listed order', { kind: 'reserve', amountCents: 100, dealerId: 7 }, 'dealerId=7&kind=reserve&amountCents=100'],
    ['bigint columns read back as strings', { dealerId: 7, kind: 'reserve', amountCents: '100' }, 'dealerId=7&kind=reserve&amountCents=100'],
    ['fields left out are skipped', { dealerId: 7, kind: 'release' }, 'dealerId=7&kind=release'],
    ['null is kept', { dealerId: 7, kind: 'release', amountCents: null }, 'dealerId=7&kind=release&amountCents=null'],
    ['fields not listed do not count', { dealerId: 7, kind: 'reserve', amountCents: 100, reference: 'SO-1' }, 'dealerId=7&kind=reserve&amountCents=100'],
    ['negative amounts', { dealerId: 7, kind: 'adjustment', amountCents: '-250' }, 'dealerId=7&kind=adjustment&amountCents=-250'],
  ])('%s', (_, entry, expected) => {
    expect(fingerprint(entry, fields)).toBe(expected);
  });
});

describe('sameRequest (a replay under one key)', () => {
  const fields = ['productId', 'warehouseId', 'kind', 'quantity'];
  const first = { productId: 1, warehouseId: 2, kind: 'receipt', quantity: '10', reference: 'PO-1' };
  it.each([
    ['the same content', { productId: 1, warehouseId: 2, kind: 'receipt', quantity: 10 }, true],
    ['another reference (not in the fingerprint)', { productId: 1, warehouseId: 2, kind: 'receipt', quantity: 10, reference: 'PO-2' }, true],
    ['a quantity the request does not know yet (a stock-take)', { productId: 1, warehouseId: 2, kind: 'receipt' }, true],
    ['another quantity', { productId: 1, warehouseId: 2, kind: 'receipt', quantity: 11 }, false],
    ['another kind', { productId: 1, warehouseId: 2, kind: 'return', quantity: 10 }, false],
    ['another warehouse', { productId: 1, warehouseId: 3, kind: 'receipt', quantity: 10 }, false],
  ])('%s → %s', (_, request, same) => {
    expect(sameRequest(first, request, fields)).toBe(same);
  });
});

describe('guardConditions (the WHERE of a guarded UPDATE)', () => {
  it.each<[string, Partial<Record<Column, number>>, Array<{ sql: string; binding: number }>]>([
    ['a receipt raises on hand: no condition', { on_hand: 5 }, []],
    ['a reservation needs what is available', { reserved: 3 }, [{ sql: 'on_hand - reserved >= ?', binding: 3 }]],
    ['a release needs what is reserved', { reserved: -3 }, [{ sql: 'reserved >= ?', binding: 3 }]],
    [
      'a shipment lowers both (available stays)',
      { on_hand: -4, reserved: -4 },
      [
        { sql: 'reserved >= ?', binding: 4 },
        { sql: 'on_hand >= ?', binding: 4 },
      ],
    ],
    [
      'a transfer out needs available and on hand',
      { on_hand: -2 },
      [
        { sql: 'on_hand - reserved >= ?', binding: 2 },
        { sql: 'on_hand >= ?', binding: 2 },
      ],
    ],
    ['a transfer in needs what is in transit', { on_hand: 6, in_transit: -6 }, [{ sql: 'in_transit >= ?', binding: 6 }]],
    ['nothing moves: no condition', {}, []],
  ])('%s', (_, deltas, expected) => {
    expect(guardConditions(stockGuards, deltas)).toEqual(expected);
  });

  it('writes weights and minimums', () => {
    expect(guardConditions([{ terms: { a: 2, b: -3 }, min: 10 }], { a: -1 })).toEqual([{ sql: '2 * a - 3 * b >= ?', binding: 12 }]);
    expect(guardConditions([{ terms: { a: -1 }, min: -100 }], { a: 5 })).toEqual([{ sql: '-a >= ?', binding: -95 }]);
  });
});

describe('violatedGuards (a balance read under a lock)', () => {
  it.each<[string, Partial<Record<Column, number | string>>, Partial<Record<Column, number>>, number]>([
    ['reserve what is available', { on_hand: 10, reserved: 4, in_transit: 0 }, { reserved: 6 }, 0],
    ['reserve one more than available', { on_hand: 10, reserved: 4, in_transit: 0 }, { reserved: 7 }, 1],
    ['count below what is reserved', { on_hand: 10, reserved: 4, in_transit: 0 }, { on_hand: -7 }, 1],
    ['count to zero with nothing reserved', { on_hand: '10', reserved: '0', in_transit: '0' }, { on_hand: -10 }, 0],
    ['ship more than on hand', { on_hand: 3, reserved: 3, in_transit: 0 }, { on_hand: -4, reserved: -4 }, 2],
  ])('%s → %i broken', (_, balance, deltas, broken) => {
    expect(violatedGuards(stockGuards, balance, deltas)).toHaveLength(broken);
  });
});

describe('defineLedger', () => {
  const ledger = defineLedger<{ kind: string; quantity: number; idempotencyKey: string }, Column>({
    entryName: 'gift movement',
    entries: 'plugin::gifts.gift-movement',
    balances: { table: 'gift_stock', columns: ['on_hand', 'reserved', 'in_transit'] },
    effect: (m) => (m.kind === 'receipt' ? { on_hand: m.quantity } : { reserved: m.quantity }),
    guards: stockGuards,
    fingerprint: ['kind', 'quantity'],
  });

  it('drops zero deltas from an effect and derives the conditions', () => {
    expect(ledger.effectOf({ kind: 'receipt', quantity: 5, idempotencyKey: 'k' })).toEqual({ on_hand: 5 });
    expect(ledger.conditionsFor(ledger.effectOf({ kind: 'reserve', quantity: 2, idempotencyKey: 'k' }))).toEqual([{ sql: 'on_hand - reserved >= ?', binding: 2 }]);
    expect(ledger.sameRequest({ kind: 'reserve', quantity: '2' }, { kind: 'reserve', quantity: 2 })).toBe(true);
  });

  it.each([
    ['a table that is not an identifier', { balances: { table: 'gift stock; drop', columns: ['on_hand'] } }, /not a plain SQL identifier/],
    ['a guard on a column the ledger does not move', { guards: [{ terms: { elsewhere: 1 } }] }, /not a balance column/],
  ])('refuses %s', (_, override, message) => {
    const options = { entryName: 'x', entries: 'plugin::x.y', balances: { table: 't', columns: ['on_hand'] }, effect: () => ({}), fingerprint: [], ...override } as any;
    expect(() => defineLedger(options)).toThrow(message);
  });
});

describe('dates', () => {
  it.each([
    ['2026-11-23', true],
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-13-01', false],
    ['2026-1-01', false],
    ['yesterday', false],
  ])('isCalendarDay(%s) → %s', (day, real) => {
    expect(isCalendarDay(day)).toBe(real);
  });

  it('keeps days as UTC calendar dates', () => {
    expect(dayOf(Date.UTC(2026, 10, 23, 23, 59))).toBe('2026-11-23');
    expect(dayOf(new Date('2026-11-23T16:30:00-08:00'))).toBe('2026-11-24');
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(isoDate.safeParse('2026-11-23').success).toBe(true);
    expect(isoDate.safeParse('23.11.2026').error?.issues[0]?.message).toMatch(/^dates look like 2026-11-23/);
    expect(isoDate.safeParse('2026-13-01').success).toBe(false);
  });

  it.each([
    ['2026-11-23T09:00:00Z', true],
    ['2026-11-23T17:00:00.125+08:00', true],
    ['2026-11-23T09:00Z', true],
    ['2028-02-29T23:59:59-0500', true],
    ['2026-11-23T09:00:00', false],
    ['2026-13-01T09:00:00Z', false],
    ['2026-02-30T09:00:00Z', false],
    ['2026-11-23T24:00:00Z', false],
    ['2026-11-23T09:60:00Z', false],
    ['2026-11-23', false],
  ])('isInstant(%s) → %s', (value, real) => {
    expect(isInstant(value)).toBe(real);
    expect(isoDateTime.safeParse(value).success).toBe(real);
  });
});

describe('dealerWhere (scoped lists)', () => {
  it.each([
    ['one dealer', { dealerId: 4, dealerIds: [1, 2] }, { dealerId: 4 }],
    ['the dealers a rep reaches', { dealerIds: [1, 2] }, { dealerId: { $in: [1, 2] } }],
    ['a rep who reaches none', { dealerIds: [] }, { dealerId: { $in: [] } }],
    ['everyone (staff who reach all)', { dealerIds: null }, {}],
  ])('%s', (_, scope, where) => {
    expect(dealerWhere(scope)).toEqual(where);
  });
});
