import { describe, expect, it } from 'vitest';
import { isChannelflowError } from '@channelflow/sdk';
import { creditDecisionOf, fulfilmentStatus, isCancellable, ORDER_STATUSES, orderStateMachine, type FulfilmentFigures, type OrderStatus } from '../src/services/order-status';

const allowed: Array<[OrderStatus, OrderStatus, string]> = [
  ['draft', 'submitted', 'a draft is placed'],
  ['draft', 'cancelled', 'a draft is thrown away'],
  ['submitted', 'pending_approval', 'the credit does not cover it'],
  ['submitted', 'allocated', 'it is put on shipments'],
  ['submitted', 'invoiced', 'one refresh may skip states (history seeded as delivered)'],
  ['submitted', 'cancelled', 'the dealer cancels'],
  ['pending_approval', 'submitted', 'finance approves over the limit'],
  ['pending_approval', 'cancelled', 'finance rejects, or the dealer cancels'],
  ['allocated', 'shipped', 'every unit left'],
  ['allocated', 'cancelled', 'nothing left a warehouse yet'],
  ['shipped', 'delivered', 'every unit arrived'],
  ['delivered', 'invoiced', 'every unit is invoiced'],
  ['delivered', 'closed', 'invoiced and paid at once'],
  ['invoiced', 'closed', 'every invoice is paid'],
];

const refused: Array<[OrderStatus, OrderStatus, string]> = [
  ['draft', 'allocated', 'a draft holds no stock'],
  ['draft', 'pending_approval', 'a draft is not placed'],
  ['pending_approval', 'allocated', 'nothing ships before finance decides'],
  ['pending_approval', 'pending_approval', 'no decision to wait for twice'],
  ['submitted', 'draft', 'a placed order is no draft again'],
  ['allocated', 'submitted', 'fulfilment goes forward only'],
  ['shipped', 'cancelled', 'goods on their way cannot be cancelled'],
  ['delivered', 'shipped', 'fulfilment goes forward only'],
  ['invoiced', 'cancelled', 'an invoiced order is not cancelled'],
  ['closed', 'invoiced', 'closed is final'],
  ['cancelled', 'submitted', 'cancelled is final'],
  ['cancelled', 'cancelled', 'cancelled is final'],
];

describe('order status: the transition table', () => {
  it.each(allowed)('%s → %s is allowed (%s)', (from, to) => {
    expect(orderStateMachine.canMove(from, to)).toBe(true);
    expect(() => orderStateMachine.assertMove({ id: 1, number: 'SO-1', orderStatus: from }, to)).not.toThrow();
  });

  it.each(refused)('%s → %s is refused (%s)', (from, to) => {
    expect(orderStateMachine.canMove(from, to)).toBe(false);
    let error: unknown;
    try {
      orderStateMachine.assertMove({ id: 1, number: 'SO-1', orderStatus: from }, to);
    } catch (caught) {
      error = caught;
    }
    expect(isChannelflowError(error) && error.code).toBe('CONFLICT');
    expect((error as Error).message).toContain('Order SO-1');
  });

  it('only closed and cancelled are final', () => {
    expect(ORDER_STATUSES.filter((s) => orderStateMachine.isFinal(s))).toEqual(['closed', 'cancelled']);
  });

  it.each([
    ['draft', 0, true],
    ['submitted', 0, true],
    ['pending_approval', 0, true],
    ['allocated', 0, true],
    ['allocated', 1, false],
    ['shipped', 0, false],
    ['delivered', 0, false],
    ['closed', 0, false],
    ['cancelled', 0, false],
  ] as Array<[OrderStatus, number, boolean]>)('an order %s with %i shipments dispatched may be cancelled: %s', (status, dispatched, expected) => {
    expect(isCancellable(status, dispatched)).toBe(expected);
  });
});

describe('order status: what its shipments and invoices make it', () => {
  const s = (status: FulfilmentFigures['shipments'][number]['status'], units: number, invoiced = false) => ({ status, units, invoiced });
  it.each([
    ['no shipment yet', { ordered: 5, shipments: [], openInvoices: 0 }, 'submitted'],
    ['a pending shipment', { ordered: 5, shipments: [s('pending', 5)], openInvoices: 0 }, 'allocated'],
    ['part shipped, part pending', { ordered: 5, shipments: [s('shipped', 3), s('pending', 2)], openInvoices: 0 }, 'allocated'],
    ['part back-ordered, the rest shipped', { ordered: 5, shipments: [s('shipped', 3)], openInvoices: 0 }, 'allocated'],
    ['every unit shipped', { ordered: 5, shipments: [s('shipped', 3), s('in_transit', 2)], openInvoices: 0 }, 'shipped'],
    ['part delivered', { ordered: 5, shipments: [s('delivered', 3), s('in_transit', 2)], openInvoices: 0 }, 'shipped'],
    ['every unit delivered', { ordered: 5, shipments: [s('delivered', 3), s('delivered', 2)], openInvoices: 0 }, 'delivered'],
    ['part invoiced', { ordered: 5, shipments: [s('delivered', 3, true), s('delivered', 2)], openInvoices: 1 }, 'delivered'],
    ['every unit invoiced, an invoice open', { ordered: 5, shipments: [s('delivered', 3, true), s('delivered', 2, true)], openInvoices: 1 }, 'invoiced'],
    ['every invoice paid', { ordered: 5, shipments: [s('delivered', 5, true)], openInvoices: 0 }, 'closed'],
  ] as Array<[string, FulfilmentFigures, OrderStatus]>)('%s: %s', (_case, figures, expected) => {
    expect(fulfilmentStatus(figures)).toBe(expected);
  });
});

describe('order status: the trail', () => {
  it('reads the credit decision as the last step out of pending approval', () => {
    const history = orderStateMachine.historyOf({
      orderStatus: 'allocated',
      history: [
        { at: '2026-12-01T10:00:00Z', by: 'buyer', from: null, to: 'submitted', note: null },
        { at: '2026-12-01T10:00:01Z', by: 'platform', from: 'submitted', to: 'pending_approval', note: 'over the limit' },
        { at: '2026-12-01T11:00:00Z', by: 'finance', from: 'pending_approval', to: 'submitted', note: 'credit over the limit approved' },
        { at: '2026-12-01T11:00:05Z', by: 'process', from: 'submitted', to: 'submitted', note: 'decision letter sent' },
        { at: '2026-12-01T11:01:00Z', by: 'platform', from: 'submitted', to: 'allocated', note: null },
      ],
    });
    expect(history.map((h) => h.action)).toEqual(['submitted', 'pending_approval', 'submitted', 'submitted', 'allocated']);
    expect(creditDecisionOf(history)).toMatchObject({ by: 'finance', to: 'submitted' });
    expect(creditDecisionOf(history.slice(0, 2))).toBeNull();
  });

  it('starts a new order with one step from nowhere', () => {
    expect(orderStateMachine.initial('submitted', { by: 'buyer@d.example' })).toMatchObject({ orderStatus: 'submitted', history: [{ by: 'buyer@d.example', from: null, to: 'submitted', action: 'submitted', note: null }] });
  });
});
