import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, conflict, dealerWhere, isChannelflowError, notFound, parseInput, service } from '@channelflow/sdk';
import { INVOICE, ORDER, ORDER_LINE, SHIPMENT } from '../uids';
import { followsFulfilment, fulfilmentStatus, isCancellable, orderStateMachine, type OrderStatus } from './order-status';
import { orderPlacement } from './order-placement';
import { orderDrafts } from './order-drafts';
import { orderDecisions } from './order-decisions';
import { toOrder } from './order-rows';

export { APPROVAL_PROCESS, FULFILMENT_PROCESS } from './order-placement';
export { toLineRow, toOrder } from './order-rows';
export type { OrderStatus } from './order-status';
export const ORDER_CANCELLED_MESSAGE = 'orders.order-cancelled';

const cancelInput = z.object({ reason: z.string().trim().min(3, 'say why in a few words').max(500), actor: z.string().min(1).max(200) });

type Trx = any;

/**
 * Dealer orders, one service composed of its parts: placement (order-placement.ts), drafts
 * (order-drafts.ts), finance's credit decisions (order-decisions.ts) and the status rules
 * (order-status.ts). Here: cancelling, the status its shipments and invoices give it, and reading.
 * A placed order's further life is its processes.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const orders = () => strapi.db.query(ORDER as any);
  const lines = () => strapi.db.query(ORDER_LINE as any);
  const stock = () => service(strapi, 'orders', 'stock');
  const machine = orderStateMachine.bind(strapi);

  /** Gives back the credit and the stock an order still holds (all of it), in the caller's transaction; credit first, as every writer does. */
  async function releaseHolds(trx: Trx, order: any, actor: string) {
    if (order.creditReservationKey) {
      await service(strapi, 'dealers', 'credit')
        .release({ reservationKey: order.creditReservationKey, idempotencyKey: `${order.creditReservationKey}:release`, actor })
        .catch((error: unknown) => {
          // Already given back in full (e.g. a retried job): nothing is held any more.
          if (isChannelflowError(error) && error.code === 'CONFLICT') return null;
          throw error;
        });
    }
    await stock().releaseHeld(trx, order, actor);
  }

  /** One order with its lines; null when there is none. */
  async function detail(orderId: number) {
    const order = await orders().findOne({ where: { id: orderId } });
    if (!order) return null;
    const orderLines = await lines().findMany({ where: { orderId }, orderBy: { lineNo: 'asc' } });
    return toOrder(order, orderLines);
  }

  const placement = orderPlacement(strapi, { detail });
  const drafts = orderDrafts(strapi, { detail, placement });
  const decisions = orderDecisions(strapi, { releaseHolds });

  const self = {
    place: placement.place,
    startFulfilment: placement.startFulfilment,
    saveDraft: drafts.saveDraft,
    placeDraft: drafts.placeDraft,
    approveOverLimit: decisions.approveOverLimit,
    rejectOverLimit: decisions.rejectOverLimit,
    sendDecisionLetter: decisions.sendDecisionLetter,

    /** Cancels an order that has not shipped: its stock and credit are released, its process told. */
    async cancel(orderId: number, raw: z.input<typeof cancelInput>) {
      const input = parseInput(cancelInput, raw, 'cancellation');
      const order = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const current = await orders().findOne({ where: { id: orderId } });
        if (!current) throw notFound('Order', orderId);
        const dispatched = await strapi.db.query(SHIPMENT as any).count({ where: { orderId, deliveryStatus: { $in: ['shipped', 'in_transit', 'delivered'] } } });
        if (!isCancellable(current.orderStatus, dispatched)) {
          throw conflict(`Order ${current.number} is ${dispatched ? 'on its way' : current.orderStatus.replace('_', ' ')} and can no longer be cancelled`, { status: current.orderStatus });
        }
        await releaseHolds(trx, current, input.actor);
        await service(strapi, 'orders', 'shipments').cancelPending(orderId);
        // The process hears of it after the commit, once, however often delivery is retried.
        await afterCommit(strapi).publishMessage({ name: ORDER_CANCELLED_MESSAGE, correlationKey: current.number, messageId: `${current.number}:cancelled`, timeToLiveMs: 86_400_000, variables: { cancelledBy: input.actor } });
        return machine.move(current, 'cancelled', { by: input.actor, note: input.reason });
      });
      return detail(order.id);
    },

    /**
     * Derives the order's status from its shipments and invoices after one of them changed:
     * allocated → shipped → delivered → invoiced as every unit gets there, closed once every invoice is paid.
     */
    async refreshStatus(orderId: number, by: string) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order || !followsFulfilment(order.orderStatus)) return order;
      const orderLines: any[] = await lines().findMany({ where: { orderId } });
      const shipments: any[] = await strapi.db.query(SHIPMENT as any).findMany({ where: { orderId, deliveryStatus: { $ne: 'cancelled' } } });
      const status: OrderStatus = fulfilmentStatus({
        ordered: orderLines.reduce((sum, l) => sum + l.quantity, 0),
        shipments: shipments.map((s) => ({ status: s.deliveryStatus, units: (s.lines as Array<{ quantity: number }>).reduce((n, l) => n + l.quantity, 0), invoiced: Boolean(s.invoiceId) })),
        openInvoices: await strapi.db.query(INVOICE as any).count({ where: { orderId, paymentStatus: 'open' } }),
      });
      if (status === order.orderStatus) return order;
      return machine.move(order, status, { by });
    },

    detail,

    async findByNumber(number: string) {
      const order = await orders().findOne({ where: { number }, select: ['id'] });
      return order ? detail(order.id) : null;
    },

    /** An order of `dealerId`; another dealer's order is NOT_FOUND, as if it did not exist. */
    async detailForDealer(orderId: number, dealerId: number) {
      const order = await orders().findOne({ where: { id: orderId, dealerId }, select: ['id'] });
      if (!order) throw notFound('Order', orderId);
      return detail(order.id);
    },

    async list(filter: { dealerId?: number; dealerIds?: number[] | null; status?: OrderStatus }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = dealerWhere(filter);
      if (filter.status) where.orderStatus = filter.status;
      const [rows, total] = await Promise.all([
        orders().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        orders().count({ where }),
      ]);
      const allLines = rows.length ? await lines().findMany({ where: { orderId: { $in: rows.map((r: any) => r.id) } }, orderBy: [{ orderId: 'asc' }, { lineNo: 'asc' }] }) : [];
      return { nodes: rows.map((r: any) => toOrder(r, allLines.filter((l: any) => l.orderId === r.id))), total, ...page };
    },

    /** What the order still holds per product × warehouse (its stock, through the stock service). */
    heldStock: (orderId: number) => stock().heldBy(orderId),
  };
  return self;
};
