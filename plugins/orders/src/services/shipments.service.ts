import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, isoDateTime, isUniqueViolation, notFound, parseInput, service } from '@channelflow/sdk';
import { allocate } from './allocation';
import { ORDER, ORDER_LINE, SHIPMENT, SHIPMENT_EVENT, WAREHOUSE } from '../uids';

export const SHIPMENT_UPDATED_MESSAGE = 'orders.shipment-updated';

export type ShipmentStatus = 'pending' | 'shipped' | 'in_transit' | 'delivered' | 'cancelled';
export type TrackingKind = 'shipped' | 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';
type Trx = any;
type ShipmentLine = { productId: number; sku: string; quantity: number };

const dispatchInput = z.object({
  carrier: z.string().trim().min(1, 'name the carrier').max(100),
  trackingNumber: z.string().trim().min(3, 'tracking numbers have at least 3 characters').max(100),
  actor: z.string().min(1).max(200),
});
export const trackingEventInput = z.object({
  /** The carrier's own id of the event: the same event delivered twice is recorded once. */
  eventId: z.string().trim().min(1).max(200),
  kind: z.enum(['shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception']),
  occurredAt: isoDateTime,
  location: z.string().trim().max(200).optional(),
  note: z.string().trim().max(2000).optional(),
  source: z.enum(['carrier', 'staff']),
  recordedBy: z.string().max(200).optional(),
});

/** Where a tracking event takes a dispatched shipment. */
const NEXT_STATUS: Record<TrackingKind, ShipmentStatus | null> = { shipped: null, in_transit: 'in_transit', out_for_delivery: 'in_transit', exception: null, delivered: 'delivered' };

/**
 * Shipments: allocation turns an order's reserved stock into one shipment per warehouse (and
 * retries back-ordered units); dispatch takes the stock off the shelf; tracking events (carrier
 * webhook or staff) move it to delivered. Every change tells the order's fulfilment process.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const shipments = () => strapi.db.query(SHIPMENT as any);
  const events = () => strapi.db.query(SHIPMENT_EVENT as any);
  const orders = () => strapi.db.query(ORDER as any);
  const ordersService = () => service(strapi, 'orders', 'orders');
  const stock = () => service(strapi, 'orders', 'stock');

  /** Tells the order's fulfilment process, after the caller's commit and once (the platform outbox, keyed by messageId). */
  async function tell(orderNumber: string, messageId: string, variables: Record<string, unknown> = {}) {
    await afterCommit(strapi).publishMessage({ name: SHIPMENT_UPDATED_MESSAGE, correlationKey: orderNumber, messageId, timeToLiveMs: 7 * 86_400_000, variables });
  }

  /** Reserves stock that has arrived for back-ordered units, nearest warehouse first (caller's transaction). */
  async function fillBackorders(trx: Trx, order: any): Promise<number> {
    const lines: any[] = await strapi.db.query(ORDER_LINE as any).findMany({ where: { orderId: order.id, backorderedQuantity: { $gt: 0 } } });
    if (!lines.length) return 0;
    const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(order.dealerId);
    const warehouses: Array<{ id: number }> = await service(strapi, 'orders', 'catalog').servingWarehouses(dealer?.regionId ?? null);
    const levels = await stock().levelsIn(trx, lines.map((l) => l.productId), warehouses.map((w) => w.id), { lock: true });
    // Back-orders take whatever is there, from as many warehouses as it takes.
    const allocation = allocate(
      lines.map((l) => ({ productId: l.productId, quantity: l.backorderedQuantity })),
      warehouses.map((w) => ({ warehouseId: w.id, available: new Map(levels.filter((l) => l.warehouseId === w.id).map((l) => [l.productId, l.available] as const)) })),
      { singleWarehouseFirst: false, allowSplit: true },
    );
    const round = Date.now().toString(36);
    for (const pick of allocation.picks) {
      const ok = await stock().apply(trx, { productId: pick.productId, warehouseId: pick.warehouseId, kind: 'reservation', quantity: pick.quantity, idempotencyKey: `${order.number}:reserve:${pick.productId}:${pick.warehouseId}:bo-${round}`, orderId: order.id, reference: order.number, actor: 'platform' });
      if (!ok) throw new ChannelflowError('CONFLICT', 'Stock changed while back-orders were filled; the job retries');
    }
    let remaining = 0;
    for (const line of lines) {
      const filled = allocation.picks.filter((p) => p.productId === line.productId).reduce((sum, p) => sum + p.quantity, 0);
      if (filled) await strapi.db.query(ORDER_LINE as any).update({ where: { id: line.id }, data: { backorderedQuantity: line.backorderedQuantity - filled } });
      remaining += line.backorderedQuantity - filled;
    }
    return remaining;
  }

  const self = {
    /**
     * Turns what the order holds in each warehouse, and is not on a shipment yet, into one pending
     * shipment per warehouse; first fills back-orders from stock that has arrived. Safe to repeat.
     */
    async allocate(orderId: number) {
      return strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const order = await orders().findOne({ where: { id: orderId } });
        if (!order) throw notFound('Order', orderId);
        if (['cancelled', 'closed', 'pending_approval', 'draft'].includes(order.orderStatus)) return { created: 0, backorderedUnits: 0, status: order.orderStatus };
        const backorderedUnits = await fillBackorders(trx, order);
        const held: Array<{ productId: number; warehouseId: number; quantity: number }> = await ordersService().heldStock(order.id);
        const pending: any[] = await shipments().findMany({ where: { orderId, deliveryStatus: 'pending' } });
        const lines: any[] = await strapi.db.query(ORDER_LINE as any).findMany({ where: { orderId } });
        const skuOf = new Map(lines.map((l) => [l.productId, l.sku]));
        const byWarehouse = new Map<number, ShipmentLine[]>();
        for (const h of held) {
          const onPending = pending.filter((s) => s.warehouseId === h.warehouseId).flatMap((s) => s.lines as ShipmentLine[]).filter((l) => l.productId === h.productId).reduce((sum, l) => sum + l.quantity, 0);
          const unassigned = h.quantity - onPending;
          if (unassigned > 0) byWarehouse.set(h.warehouseId, [...(byWarehouse.get(h.warehouseId) ?? []), { productId: h.productId, sku: skuOf.get(h.productId)!, quantity: unassigned }]);
        }
        const existing = await shipments().count({ where: { orderId } });
        let created = 0;
        for (const [warehouseId, shipmentLines] of byWarehouse) {
          const warehouse = await strapi.db.query(WAREHOUSE).findOne({ where: { id: warehouseId }, select: ['code'] });
          created += 1;
          await shipments().create({
            data: {
              number: `${order.number}-S${existing + created}`,
              orderId,
              orderNumber: order.number,
              dealerId: order.dealerId,
              warehouseId,
              warehouseCode: warehouse.code,
              deliveryStatus: 'pending',
              lines: shipmentLines.sort((a, b) => a.sku.localeCompare(b.sku)),
              lastEventAt: new Date(),
            },
          });
        }
        const refreshed = await ordersService().refreshStatus(orderId, 'platform');
        return { created, backorderedUnits, status: refreshed.orderStatus };
      });
    },

    /** The warehouse hands a shipment to the carrier: its stock leaves the shelf. */
    async dispatch(number: string, raw: z.input<typeof dispatchInput>) {
      const input = parseInput(dispatchInput, raw, 'dispatch');
      const shipment = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const current = await shipments().findOne({ where: { number } });
        if (!current) throw notFound('Shipment', number);
        if (current.deliveryStatus !== 'pending') throw conflict(`Shipment ${number} is ${current.deliveryStatus.replace('_', ' ')}; only pending shipments are dispatched`, { status: current.deliveryStatus });
        for (const line of current.lines as ShipmentLine[]) {
          const ok = await stock().apply(trx, { productId: line.productId, warehouseId: current.warehouseId, kind: 'shipment', quantity: line.quantity, idempotencyKey: `${number}:ship:${line.productId}`, orderId: current.orderId, reference: number, actor: input.actor });
          if (!ok) throw new Error(`stock of shipment ${number} is no longer reserved`);
        }
        const now = new Date();
        await events().create({ data: { shipmentId: current.id, eventId: `${number}:dispatched`, kind: 'shipped', occurredAt: now, source: 'staff', recordedBy: input.actor, note: `${input.carrier} ${input.trackingNumber}` } });
        const updated = await shipments().update({ where: { id: current.id }, data: { deliveryStatus: 'shipped', carrier: input.carrier, trackingNumber: input.trackingNumber, shippedAt: now, lastEventAt: now } });
        await ordersService().refreshStatus(current.orderId, input.actor);
        await tell(current.orderNumber, `${number}:dispatched`);
        return updated;
      });
      return self.detail(shipment.id);
    },

    /**
     * Records a tracking event for a dispatched shipment (by its number, or the carrier's tracking
     * number). An event id seen before changes nothing and answers { replayed: true }.
     */
    async recordEvent(ref: { shipmentNumber?: string; trackingNumber?: string; carrier?: string }, raw: z.input<typeof trackingEventInput>) {
      const input = parseInput(trackingEventInput, raw, 'tracking event');
      const result = await strapi.db.transaction(async () => {
        const where = ref.shipmentNumber ? { number: ref.shipmentNumber } : { trackingNumber: ref.trackingNumber, ...(ref.carrier ? { carrier: ref.carrier } : {}) };
        const current = await shipments().findOne({ where });
        if (!current) throw notFound('Shipment', ref.shipmentNumber ?? ref.trackingNumber ?? '?');
        const seen = await events().findOne({ where: { eventId: input.eventId } });
        if (seen) {
          if (seen.shipmentId !== current.id) throw conflict(`Event ${input.eventId} was recorded for another shipment`);
          return { shipment: current, replayed: true };
        }
        if (current.deliveryStatus === 'pending' || current.deliveryStatus === 'cancelled') {
          throw conflict(`Shipment ${current.number} is ${current.deliveryStatus}; tracking starts once it is dispatched`, { status: current.deliveryStatus });
        }
        await events()
          .create({ data: { shipmentId: current.id, eventId: input.eventId, kind: input.kind, occurredAt: new Date(input.occurredAt), location: input.location ?? null, note: input.note ?? null, source: input.source, recordedBy: input.recordedBy ?? null } })
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? conflict(`Event ${input.eventId} arrived twice at once; it was recorded once`) : error;
          });
        const next = current.deliveryStatus === 'delivered' ? null : NEXT_STATUS[input.kind];
        const updated = await shipments().update({
          where: { id: current.id },
          data: { lastEventAt: new Date(), ...(next ? { deliveryStatus: next } : {}), ...(next === 'delivered' ? { deliveredAt: new Date(input.occurredAt) } : {}) },
        });
        if (next) await ordersService().refreshStatus(current.orderId, input.recordedBy ?? input.source);
        await tell(current.orderNumber, input.eventId, { lastTrackingEvent: input.kind });
        return { shipment: updated, replayed: false };
      });
      return { ...(await self.detail(result.shipment.id)), replayed: result.replayed };
    },

    /** Pending shipments of a cancelled order are cancelled with it (caller's transaction). */
    async cancelPending(orderId: number) {
      await shipments().updateMany({ where: { orderId, deliveryStatus: 'pending' }, data: { deliveryStatus: 'cancelled' } });
    },

    /** Shipments of the order that have heard nothing for `staleAfterMs` (pending ones included: the warehouse has not dispatched). */
    async stale(orderId: number, staleAfterMs: number) {
      const open: any[] = await shipments().findMany({ where: { orderId, deliveryStatus: { $in: ['pending', 'shipped', 'in_transit'] } } });
      const cutoff = Date.now() - staleAfterMs;
      return open.filter((s) => new Date(s.lastEventAt ?? s.createdAt).getTime() <= cutoff).map((s) => ({ number: s.number, status: s.deliveryStatus, warehouseCode: s.warehouseCode, carrier: s.carrier ?? null, trackingNumber: s.trackingNumber ?? null, lastEventAt: new Date(s.lastEventAt ?? s.createdAt).toISOString() }));
    },

    async forOrder(orderId: number) {
      const rows: any[] = await shipments().findMany({ where: { orderId }, orderBy: { id: 'asc' } });
      const allEvents: any[] = rows.length ? await events().findMany({ where: { shipmentId: { $in: rows.map((r) => r.id) } }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] }) : [];
      return rows.map((r) => toShipment(r, allEvents.filter((e) => e.shipmentId === r.id)));
    },

    async detail(id: number) {
      const row = await shipments().findOne({ where: { id } });
      if (!row) throw notFound('Shipment', id);
      return toShipment(row, await events().findMany({ where: { shipmentId: id }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] }));
    },

    async findByNumber(number: string) {
      const row = await shipments().findOne({ where: { number }, select: ['id'] });
      return row ? self.detail(row.id) : null;
    },
  };
  return self;
};

function toShipment(s: any, shipmentEvents: any[]) {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    id: s.id,
    number: s.number,
    orderId: s.orderId,
    orderNumber: s.orderNumber,
    dealerId: s.dealerId,
    warehouseCode: s.warehouseCode,
    status: s.deliveryStatus as ShipmentStatus,
    lines: s.lines as ShipmentLine[],
    carrier: s.carrier ?? null,
    trackingNumber: s.trackingNumber ?? null,
    shippedAt: iso(s.shippedAt),
    deliveredAt: iso(s.deliveredAt),
    lastEventAt: iso(s.lastEventAt),
    invoiceId: s.invoiceId ?? null,
    events: shipmentEvents.map((e) => ({ kind: e.kind as TrackingKind, occurredAt: iso(e.occurredAt)!, location: e.location ?? null, note: e.note ?? null, source: e.source, recordedBy: e.recordedBy ?? null })),
  };
}
