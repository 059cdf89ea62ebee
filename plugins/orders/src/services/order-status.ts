import { defineStateMachine } from '@channelflow/sdk';
import { ORDER } from '../uids';

export const ORDER_STATUSES = ['draft', 'submitted', 'pending_approval', 'allocated', 'shipped', 'delivered', 'invoiced', 'closed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The fulfilment states an order's shipments and invoices take it through, in order; one refresh may skip some. */
const FULFILMENT: readonly OrderStatus[] = ['submitted', 'allocated', 'shipped', 'delivered', 'invoiced', 'closed'];
const onwardFrom = (status: OrderStatus) => FULFILMENT.slice(FULFILMENT.indexOf(status) + 1);

/**
 * Where an order may go from each status. Until it is allocated nothing has left a warehouse, so a
 * dealer may still cancel; finance's decision takes an order over the limit back to submitted or
 * cancels it; after that its shipments and invoices move it forward only.
 */
export const ORDER_TRANSITIONS: { readonly [K in OrderStatus]: readonly OrderStatus[] } = {
  draft: ['submitted', 'cancelled'],
  submitted: ['pending_approval', ...onwardFrom('submitted'), 'cancelled'],
  pending_approval: ['submitted', 'cancelled'],
  allocated: [...onwardFrom('allocated'), 'cancelled'],
  shipped: onwardFrom('shipped'),
  delivered: onwardFrom('delivered'),
  invoiced: onwardFrom('invoiced'),
  closed: [],
  cancelled: [],
};

/** One order's lifecycle: every status change is a guarded move that appends to its `history`. */
export const orderStateMachine = defineStateMachine<OrderStatus>({
  name: 'Order',
  uid: ORDER,
  states: ORDER_STATUSES,
  transitions: ORDER_TRANSITIONS,
  statusField: 'orderStatus',
  label: (order) => order.number ?? String(order.id),
});

/** Statuses whose shipments and invoices do not decide them (refreshStatus leaves them alone). */
const NOT_DERIVED: readonly OrderStatus[] = ['draft', 'pending_approval', 'closed', 'cancelled'];

/** Whether an order in `status` follows its shipments and invoices. */
export function followsFulfilment(status: OrderStatus): boolean {
  return !NOT_DERIVED.includes(status);
}

/** Whether a dealer may still cancel an order: nothing has left a warehouse (and the table allows it). */
export function isCancellable(status: OrderStatus, dispatchedShipments: number): boolean {
  return dispatchedShipments === 0 && orderStateMachine.canMove(status, 'cancelled');
}

export interface FulfilmentFigures {
  /** Units ordered over all lines. */
  ordered: number;
  /** Shipments not cancelled, with their units, and whether each is invoiced. */
  shipments: ReadonlyArray<{ status: 'pending' | 'shipped' | 'in_transit' | 'delivered'; units: number; invoiced: boolean }>;
  /** Invoices of the order still open. */
  openInvoices: number;
}

/**
 * The status an order's shipments and invoices give it: allocated once it has a shipment, shipped,
 * delivered and invoiced once every unit is, closed once every invoice is paid.
 */
export function fulfilmentStatus({ ordered, shipments, openInvoices }: FulfilmentFigures): OrderStatus {
  const units = (list: FulfilmentFigures['shipments']) => list.reduce((sum, s) => sum + s.units, 0);
  const shipped = units(shipments.filter((s) => s.status !== 'pending'));
  const delivered = units(shipments.filter((s) => s.status === 'delivered'));
  const invoiced = units(shipments.filter((s) => s.invoiced));
  let status: OrderStatus = shipments.length ? 'allocated' : 'submitted';
  if (shipped === ordered) status = 'shipped';
  if (delivered === ordered) status = 'delivered';
  if (invoiced === ordered) status = openInvoices ? 'invoiced' : 'closed';
  return status;
}

/**
 * The decision finance (or a dealer's cancellation) took on an order that waited for credit
 * approval: the last step out of pending_approval, or null while it still waits.
 */
export function creditDecisionOf<T extends { from: OrderStatus | null; to: OrderStatus }>(history: readonly T[]): T | null {
  return [...history].reverse().find((h) => h.from === 'pending_approval') ?? null;
}

/** What the trail records when a decision letter went out (the status stays). */
export const DECISION_LETTER_SENT = 'decision letter sent';
