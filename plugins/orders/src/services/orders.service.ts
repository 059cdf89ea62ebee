import { createHash, randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, conflict, isChannelflowError, isUniqueViolation, notFound, parseInput, workflows } from '@channelflow/sdk';
import { allocate, DEFAULT_ALLOCATION_RULE, type AllocationRule } from './allocation';
import { PRODUCT } from './catalog.service';
import { resolvePrice, type PriceRule } from './pricing';
import { STOCK_MOVEMENT, toLevel } from './stock.service';

export const ORDER = 'plugin::orders.order';
export const ORDER_LINE = 'plugin::orders.order-line';
export const APPROVAL_PROCESS = 'orders-approval';
export const FULFILMENT_PROCESS = 'orders-fulfilment';
export const ORDER_CANCELLED_MESSAGE = 'orders.order-cancelled';
const LEVELS_TABLE = 'order_stock_levels';

export type OrderStatus = 'draft' | 'submitted' | 'pending_approval' | 'allocated' | 'shipped' | 'delivered' | 'invoiced' | 'closed' | 'cancelled';
/** Until then a dealer may still cancel: nothing has left a warehouse. */
const CANCELLABLE: readonly OrderStatus[] = ['draft', 'submitted', 'pending_approval', 'allocated'];

const lineInput = z.object({
  sku: z.string().trim().min(1, 'every line names a SKU').max(64),
  quantity: z.number().int('quantities are whole units').positive('quantities must be at least 1').max(100_000, 'at most 100,000 units per line'),
  /** What the portal showed per unit; kept for comparison only, never charged. */
  quotedUnitPriceMinor: z.number().int().min(0).max(1e13).optional(),
});
const placeInput = z.object({
  dealerId: z.number().int().positive(),
  idempotencyKey: z.string().trim().min(8, 'idempotency keys have at least 8 characters').max(120),
  lines: z
    .array(lineInput)
    .min(1, 'an order has at least one line')
    .max(200, 'at most 200 lines per order')
    .refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'each SKU appears on one line only'),
  allowBackorder: z.boolean().default(false),
  reference: z.string().trim().max(100).optional(),
  note: z.string().trim().max(2000).optional(),
  placedBy: z.string().min(1).max(200),
});
const cancelInput = z.object({ reason: z.string().trim().min(3, 'say why in a few words').max(500), actor: z.string().min(1).max(200) });

type Trx = any;
type HistoryEntry = { at: string; by: string; from: OrderStatus | null; to: OrderStatus; note?: string | null };

/**
 * Dealer orders. Placing one resolves every price on the server, reserves stock (allocation rule
 * over the warehouses serving the dealer's region) and credit in one transaction, both or neither;
 * an order the credit cannot cover is kept with its stock and goes to finance (orders-approval)
 * instead of failing. A placed order's further life is its processes.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const orders = () => strapi.db.query(ORDER as any);
  const lines = () => strapi.db.query(ORDER_LINE as any);
  const credit = () => strapi.plugin('dealers').service('credit');
  const catalog = () => strapi.plugin('orders').service('catalog');
  const rule = allocationRuleFromEnv();

  async function priced(dealer: { tier: string }, input: z.output<typeof placeInput>, currency: string) {
    const skus = input.lines.map((l) => l.sku);
    const products: any[] = await strapi.db.query(PRODUCT).findMany({ where: { sku: { $in: skus } } });
    const bySku = new Map(products.map((p) => [p.sku, p]));
    const issues: Array<{ path: string; message: string }> = [];
    input.lines.forEach((line, i) => {
      const product = bySku.get(line.sku);
      if (!product) issues.push({ path: `lines.${i}.sku`, message: `there is no product with SKU ${line.sku}` });
      else if (!product.active) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is discontinued and can no longer be ordered` });
      else if (product.currency !== currency) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is priced in ${product.currency}, your account in ${currency}` });
    });
    if (issues.length) throw new ChannelflowError('BAD_INPUT', `The order cannot be placed: ${issues.map((i) => i.message).join('; ')}`, { issues });
    const rules: Map<number, PriceRule[]> = await catalog().priceRules(products.map((p) => p.id));
    const day = today();
    return input.lines.map((line, i) => {
      const product = bySku.get(line.sku);
      const price = resolvePrice(Number(product.basePriceMinor), rules.get(product.id) ?? [], { tier: dealer.tier, quantity: line.quantity, day });
      return { lineNo: i + 1, product, quantity: line.quantity, quotedUnitPriceMinor: line.quotedUnitPriceMinor ?? null, price };
    });
  }

  /** Locks and reads the levels an allocation may use (PostgreSQL: FOR UPDATE in id order, so two orders never deadlock). */
  async function lockedLevels(trx: Trx, productIds: number[], warehouseIds: number[]): Promise<Array<ReturnType<typeof toLevel>>> {
    if (!productIds.length || !warehouseIds.length) return [];
    let query = trx(LEVELS_TABLE).whereIn('product_id', productIds).whereIn('warehouse_id', warehouseIds).orderBy('id');
    if (strapi.db.dialect.client !== 'sqlite') query = query.forUpdate();
    return (await query).map(toLevel);
  }

  async function replay(existing: any, hash: string) {
    if (existing.requestHash !== hash) {
      throw conflict(`Idempotency key ${String(existing.idempotencyKey).split(':').slice(1).join(':')} was already used for order ${existing.number} with different contents`, { number: existing.number });
    }
    return { ...(await this_.detail(existing.id)), replayed: true };
  }

  function historyOf(order: any): HistoryEntry[] {
    return Array.isArray(order.history) ? order.history : [];
  }

  async function transition(order: any, to: OrderStatus, by: string, note: string | null, extra: Record<string, unknown> = {}) {
    const history = [...historyOf(order), { at: new Date().toISOString(), by, from: order.status, to, note }];
    return orders().update({ where: { id: order.id }, data: { status: to, history, ...extra } });
  }

  /** Gives back the stock and credit an order still holds (all of it), in the caller's transaction. */
  async function releaseHolds(trx: Trx, order: any, actor: string) {
    const held = await heldStock(order.id);
    const stock = strapi.plugin('orders').service('stock');
    for (const [i, h] of held.entries()) {
      const ok = await stock.apply(trx, { productId: h.productId, warehouseId: h.warehouseId, kind: 'release', quantity: h.quantity, idempotencyKey: `${order.number}:release:${h.productId}:${h.warehouseId}:${i}`, orderId: order.id, reference: order.number, actor });
      if (!ok) throw new Error(`stock level of order ${order.number} is inconsistent: cannot release ${h.quantity}`);
    }
    if (order.creditReservationKey) {
      await credit().release({ reservationKey: order.creditReservationKey, idempotencyKey: `${order.creditReservationKey}:release`, actor }).catch((error: unknown) => {
        // Already given back in full (e.g. a retried job): nothing is held any more.
        if (isChannelflowError(error) && error.code === 'CONFLICT') return null;
        throw error;
      });
    }
  }

  /** What the order still holds per product × warehouse: reserved minus released minus shipped. */
  async function heldStock(orderId: number) {
    const rows: any[] = await strapi.db.query(STOCK_MOVEMENT as any).findMany({ where: { orderId, kind: { $in: ['reservation', 'release', 'shipment'] } } });
    const held = new Map<string, { productId: number; warehouseId: number; quantity: number }>();
    for (const m of rows) {
      const key = `${m.productId}:${m.warehouseId}`;
      const entry = held.get(key) ?? { productId: m.productId, warehouseId: m.warehouseId, quantity: 0 };
      entry.quantity += m.kind === 'reservation' ? m.quantity : -m.quantity;
      held.set(key, entry);
    }
    return [...held.values()].filter((h) => h.quantity > 0);
  }

  async function startProcess(order: any) {
    const pending = order.status === 'pending_approval';
    const started = await workflows(strapi).startProcess({
      bpmnProcessId: pending ? APPROVAL_PROCESS : FULFILMENT_PROCESS,
      businessKey: order.number,
      variables: {
        orderId: order.id,
        orderNumber: order.number,
        dealerId: order.dealerId,
        dealerCode: order.dealerCode,
        currency: order.currency,
        totalMinor: Number(order.totalMinor),
        creditShortfallMinor: Number(order.creditShortfallMinor ?? 0),
        placedBy: order.placedBy,
      },
    });
    await orders().update({ where: { id: order.id }, data: { processInstanceKey: started.processInstanceKey } });
  }

  const this_ = {
    /**
     * Places an order. The same idempotency key from the same dealer returns the first order
     * (replayed: true) and writes nothing; with different contents it is a CONFLICT.
     */
    async place(raw: z.input<typeof placeInput>) {
      const input = parseInput(placeInput, raw, 'order');
      const key = `${input.dealerId}:${input.idempotencyKey}`;
      const hash = requestHash(input);
      const existing = await orders().findOne({ where: { idempotencyKey: key } });
      if (existing) return replay(existing, hash);

      const dealer = await strapi.plugin('dealers').service('dealers').commercialProfile(input.dealerId);
      if (!dealer) throw notFound('Dealer', input.dealerId);
      const account = await credit().account(input.dealerId);
      const pricedLines = await priced(dealer, input, account.currency);
      const totalMinor = pricedLines.reduce((sum, l) => sum + l.price.lineTotalMinor, 0);
      if (!Number.isSafeInteger(totalMinor)) throw new ChannelflowError('BAD_INPUT', 'The order total is out of range');
      const warehouses: Array<{ id: number }> = await catalog().servingWarehouses(dealer.regionId);
      const number = orderNumber();

      let created: any;
      try {
        created = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
          const productIds = pricedLines.map((l) => l.product.id);
          const levels = await lockedLevels(trx, productIds, warehouses.map((w) => w.id));
          const candidates = warehouses.map((w) => ({
            warehouseId: w.id,
            available: new Map(levels.filter((l) => l.warehouseId === w.id).map((l) => [l.productId, l.available] as const)),
          }));
          const demand = pricedLines.map((l) => ({ productId: l.product.id, quantity: l.quantity }));
          const allocation = allocate(demand, candidates, rule);
          if (allocation.shortfall.length && !input.allowBackorder) throw outOfStock(allocation.shortfall, pricedLines, levels);

          const order = await orders().create({
            data: {
              number,
              dealerId: dealer.id,
              dealerCode: dealer.code,
              status: 'submitted',
              currency: account.currency,
              totalMinor,
              lineCount: pricedLines.length,
              idempotencyKey: key,
              requestHash: hash,
              allowBackorder: input.allowBackorder,
              reference: input.reference ?? null,
              note: input.note ?? null,
              placedBy: input.placedBy,
              submittedAt: new Date(),
              history: [{ at: new Date().toISOString(), by: input.placedBy, from: null, to: 'submitted', note: null }],
            },
          });
          const shortBy = new Map(allocation.shortfall.map((s) => [s.productId, s.requested - s.allocated]));
          await lines().createMany({
            data: pricedLines.map((l) => ({
              orderId: order.id,
              lineNo: l.lineNo,
              productId: l.product.id,
              sku: l.product.sku,
              name: l.product.name,
              quantity: l.quantity,
              backorderedQuantity: shortBy.get(l.product.id) ?? 0,
              listPriceMinor: l.price.listPriceMinor,
              unitPriceMinor: l.price.unitPriceMinor,
              discountBasisPoints: l.price.discountBasisPoints,
              lineTotalMinor: l.price.lineTotalMinor,
              quotedUnitPriceMinor: l.quotedUnitPriceMinor,
              priceRuleIds: l.price.ruleIds,
            })),
          });
          const stock = strapi.plugin('orders').service('stock');
          for (const pick of allocation.picks) {
            const ok = await stock.apply(trx, {
              productId: pick.productId,
              warehouseId: pick.warehouseId,
              kind: 'reservation',
              quantity: pick.quantity,
              idempotencyKey: `${number}:reserve:${pick.productId}:${pick.warehouseId}`,
              orderId: order.id,
              reference: number,
              actor: input.placedBy,
            });
            // The levels are locked (PostgreSQL) or the only writer (SQLite): this cannot happen unless the lock failed.
            if (!ok) throw new ChannelflowError('CONFLICT', 'Stock changed while the order was placed; place it again');
          }
          try {
            await credit().reserve({ dealerId: dealer.id, amountCents: totalMinor, currency: account.currency, idempotencyKey: `order:${number}`, reference: number, actor: input.placedBy });
            return orders().update({ where: { id: order.id }, data: { creditReservationKey: `order:${number}` } });
          } catch (error) {
            if (!isChannelflowError(error) || error.code !== 'CREDIT_LIMIT_EXCEEDED') throw error;
            // Over the limit is finance's decision, not a refusal: the order keeps its stock and waits for it.
            const shortfall = Number((error.details as any).requestedCents) - Number((error.details as any).availableCents);
            return transition(order, 'pending_approval', 'platform', error.message, { creditShortfallMinor: shortfall });
          }
        });
      } catch (error) {
        // The same key raced in from a second request: answer as the replay.
        if (isUniqueViolation(error)) {
          const first = await orders().findOne({ where: { idempotencyKey: key } });
          if (first) return replay(first, hash);
        }
        throw error;
      }
      await startProcess(created).catch((error: unknown) => {
        // The order stands with its reservations; the dispatcher starts its process later.
        strapi.log.warn(`[orders] process for ${created.number} did not start: ${(error as Error).message}`);
      });
      return { ...(await this_.detail(created.id)), replayed: false };
    },

    /** Starts the processes of placed orders whose start failed (e.g. the engine was briefly down). */
    async startMissingProcesses(limit = 50) {
      const waiting = await orders().findMany({ where: { processInstanceKey: null, status: { $in: ['submitted', 'pending_approval'] } }, orderBy: { id: 'asc' }, limit });
      let started = 0;
      for (const order of waiting) {
        await startProcess(order).then(
          () => started++,
          (error: unknown) => strapi.log.warn(`[orders] process for ${order.number} did not start: ${(error as Error).message}`),
        );
      }
      return started;
    },

    /** Cancels an order that has not shipped: its stock and credit are released, its process told. */
    async cancel(orderId: number, raw: z.input<typeof cancelInput>) {
      const input = parseInput(cancelInput, raw, 'cancellation');
      const order = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const current = await orders().findOne({ where: { id: orderId } });
        if (!current) throw notFound('Order', orderId);
        if (!CANCELLABLE.includes(current.status)) {
          throw conflict(`Order ${current.number} is ${current.status.replace('_', ' ')} and can no longer be cancelled`, { status: current.status });
        }
        await lockOrderStock(trx, orderId);
        await releaseHolds(trx, current, input.actor);
        return transition(current, 'cancelled', input.actor, input.reason);
      });
      await workflows(strapi)
        .publishMessage({ name: ORDER_CANCELLED_MESSAGE, correlationKey: order.number, messageId: `${order.number}:cancelled`, timeToLiveMs: 86_400_000, variables: { cancelledBy: input.actor } })
        .catch((error: unknown) => strapi.log.warn(`[orders] cancellation of ${order.number} not published: ${(error as Error).message}`));
      return this_.detail(order.id);
    },

    /** Finance approved an order over the credit limit: the credit is reserved beyond it. */
    async approveOverLimit(orderId: number, approvedBy: string) {
      return strapi.db.transaction(async () => {
        const order = await orders().findOne({ where: { id: orderId } });
        if (!order) throw notFound('Order', orderId);
        if (order.status !== 'pending_approval') return order; // a retried job, or cancelled meanwhile
        const reservationKey = `order:${order.number}`;
        await credit().reserve({ dealerId: order.dealerId, amountCents: Number(order.totalMinor), idempotencyKey: reservationKey, reference: order.number, actor: approvedBy, overLimitApprovedBy: approvedBy });
        return transition(order, 'submitted', approvedBy, 'credit over the limit approved', { creditReservationKey: reservationKey });
      });
    },

    /** Finance refused an order over the limit: it is cancelled and its stock released. */
    async rejectOverLimit(orderId: number, rejectedBy: string, note: string | null) {
      return strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const order = await orders().findOne({ where: { id: orderId } });
        if (!order) throw notFound('Order', orderId);
        if (order.status !== 'pending_approval') return order;
        await lockOrderStock(trx, orderId);
        await releaseHolds(trx, order, rejectedBy);
        return transition(order, 'cancelled', rejectedBy, note ? `credit refused: ${note}` : 'credit refused');
      });
    },

    /** One order with its lines; null when there is none. */
    async detail(orderId: number) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order) return null;
      const orderLines = await lines().findMany({ where: { orderId }, orderBy: { lineNo: 'asc' } });
      return toOrder(order, orderLines);
    },

    async findByNumber(number: string) {
      const order = await orders().findOne({ where: { number }, select: ['id'] });
      return order ? this_.detail(order.id) : null;
    },

    /** An order of `dealerId`; another dealer's order is NOT_FOUND, as if it did not exist. */
    async detailForDealer(orderId: number, dealerId: number) {
      const order = await orders().findOne({ where: { id: orderId, dealerId }, select: ['id'] });
      if (!order) throw notFound('Order', orderId);
      return this_.detail(order.id);
    },

    async list(filter: { dealerId?: number; dealerIds?: number[] | null; status?: OrderStatus }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = {};
      if (filter.dealerId) where.dealerId = filter.dealerId;
      else if (filter.dealerIds) where.dealerId = { $in: filter.dealerIds };
      if (filter.status) where.status = filter.status;
      const [rows, total] = await Promise.all([
        orders().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        orders().count({ where }),
      ]);
      const allLines = rows.length ? await lines().findMany({ where: { orderId: { $in: rows.map((r: any) => r.id) } }, orderBy: [{ orderId: 'asc' }, { lineNo: 'asc' }] }) : [];
      return { nodes: rows.map((r: any) => toOrder(r, allLines.filter((l: any) => l.orderId === r.id))), total, ...page };
    },

    heldStock,
  };

  /** Locks the order's stock levels before releasing them (PostgreSQL), in the same order `place` does. */
  async function lockOrderStock(trx: Trx, orderId: number) {
    if (strapi.db.dialect.client === 'sqlite') return;
    const held = await heldStock(orderId);
    if (!held.length) return;
    await trx(LEVELS_TABLE).whereIn('product_id', [...new Set(held.map((h) => h.productId))]).whereIn('warehouse_id', [...new Set(held.map((h) => h.warehouseId))]).orderBy('id').forUpdate();
  }

  return this_;
};

function outOfStock(shortfall: Array<{ productId: number; requested: number; allocated: number }>, pricedLines: Array<{ product: any; quantity: number }>, levels: Array<{ productId: number; available: number }>) {
  const lines = shortfall.map((s) => {
    const sku = pricedLines.find((l) => l.product.id === s.productId)!.product.sku as string;
    const available = levels.filter((l) => l.productId === s.productId).reduce((sum, l) => sum + Math.max(0, l.available), 0);
    return { sku, requested: s.requested, available };
  });
  return new ChannelflowError('OUT_OF_STOCK', `Not enough stock: ${lines.map((l) => `${l.sku} ${l.available} available, ${l.requested} ordered`).join('; ')}`, { lines });
}

/** ORDERS_ALLOCATION_RULE: "single-then-split" (default), "split" (nearest first, line by line) or "single" (never split a line). */
export function allocationRuleFromEnv(value = process.env.ORDERS_ALLOCATION_RULE): AllocationRule {
  switch (value ?? 'single-then-split') {
    case 'single-then-split':
      return DEFAULT_ALLOCATION_RULE;
    case 'split':
      return { singleWarehouseFirst: false, allowSplit: true };
    case 'single':
      return { singleWarehouseFirst: true, allowSplit: false };
    default:
      throw new Error(`ORDERS_ALLOCATION_RULE must be single-then-split, split or single, not "${value}"`);
  }
}

function requestHash(input: z.output<typeof placeInput>): string {
  const canonical = { lines: input.lines.map((l) => [l.sku, l.quantity]), allowBackorder: input.allowBackorder, reference: input.reference ?? null, note: input.note ?? null };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** SO-20261201-7KQ2M9XA: the day, then random characters (no sequence to contend on at 100 orders/s). */
function orderNumber(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const suffix = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
  return `SO-${today().replace(/-/g, '')}-${suffix}`;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function toOrder(order: any, orderLines: any[]) {
  return {
    id: order.id,
    number: order.number,
    dealerId: order.dealerId,
    dealerCode: order.dealerCode,
    status: order.status as OrderStatus,
    currency: order.currency,
    totalMinor: Number(order.totalMinor),
    creditShortfallMinor: order.creditShortfallMinor === null || order.creditShortfallMinor === undefined ? null : Number(order.creditShortfallMinor),
    allowBackorder: Boolean(order.allowBackorder),
    reference: order.reference ?? null,
    note: order.note ?? null,
    placedBy: order.placedBy,
    submittedAt: order.submittedAt ? new Date(order.submittedAt).toISOString() : null,
    processInstanceKey: order.processInstanceKey ?? null,
    history: (Array.isArray(order.history) ? order.history : []) as HistoryEntry[],
    lines: orderLines.map((l) => ({
      lineNo: l.lineNo,
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      backorderedQuantity: l.backorderedQuantity ?? 0,
      listPriceMinor: Number(l.listPriceMinor),
      unitPriceMinor: Number(l.unitPriceMinor),
      discountBasisPoints: l.discountBasisPoints ?? 0,
      lineTotalMinor: Number(l.lineTotalMinor),
      quotedUnitPriceMinor: l.quotedUnitPriceMinor === null || l.quotedUnitPriceMinor === undefined ? null : Number(l.quotedUnitPriceMinor),
    })),
  };
}
