import { createHash, randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, dealerWhere, forUpdate, isChannelflowError, isUniqueViolation, notFound, notifications, parseInput, today } from '@channelflow/sdk';
import { allocate, DEFAULT_ALLOCATION_RULE, type AllocationRule } from './allocation';
import { INVOICE, ORDER, ORDER_LINE, PRODUCT, SHIPMENT, STOCK_MOVEMENT } from '../uids';
import { resolvePrice, type PriceRule } from './pricing';
import { toLevel } from './stock.service';

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
  /** Placing a saved draft: it becomes this order (and is gone as a draft) in the same transaction. */
  draftId: z.number().int().positive().optional(),
});
const draftInput = placeInput.omit({ idempotencyKey: true, draftId: true }).extend({
  lines: z.array(lineInput).max(200, 'at most 200 lines per order').refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'each SKU appears on one line only'),
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

  async function priced(dealer: { tier: string }, input: z.output<typeof placeInput>, currency: string): Promise<Array<{ lineNo: number; product: any; quantity: number; quotedUnitPriceMinor: number | null; price: ReturnType<typeof resolvePrice> }>> {
    const { products: bySku, rules } = await catalog().pricingFor(input.lines.map((l) => l.sku));
    const issues: Array<{ path: string; message: string }> = [];
    input.lines.forEach((line, i) => {
      const product = bySku.get(line.sku);
      if (!product) issues.push({ path: `lines.${i}.sku`, message: `there is no product with SKU ${line.sku}` });
      else if (!product.active) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is discontinued and can no longer be ordered` });
      else if (product.currency !== currency) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is priced in ${product.currency}, your account in ${currency}` });
    });
    if (issues.length) throw new ChannelflowError('BAD_INPUT', `The order cannot be placed: ${issues.map((i) => i.message).join('; ')}`, { issues });
    const day = today();
    return input.lines.map((line, i) => {
      const product = bySku.get(line.sku);
      const price = resolvePrice(Number(product.basePriceMinor), rules.get(product.id) ?? [], { tier: dealer.tier, quantity: line.quantity, day });
      return { lineNo: i + 1, product, quantity: line.quantity, quotedUnitPriceMinor: line.quotedUnitPriceMinor ?? null, price };
    });
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

  /** Gives back the credit and the stock an order still holds (all of it), in the caller's transaction; credit first, as every writer does. */
  async function releaseHolds(trx: Trx, order: any, actor: string) {
    if (order.creditReservationKey) {
      await credit().release({ reservationKey: order.creditReservationKey, idempotencyKey: `${order.creditReservationKey}:release`, actor }).catch((error: unknown) => {
        // Already given back in full (e.g. a retried job): nothing is held any more.
        if (isChannelflowError(error) && error.code === 'CONFLICT') return null;
        throw error;
      });
    }
    await lockOrderStock(trx, order.id);
    const held = await heldStock(order.id);
    const stock = strapi.plugin('orders').service('stock');
    for (const [i, h] of held.entries()) {
      const ok = await stock.apply(trx, { productId: h.productId, warehouseId: h.warehouseId, kind: 'release', quantity: h.quantity, idempotencyKey: `${order.number}:release:${h.productId}:${h.warehouseId}:${i}`, orderId: order.id, reference: order.number, actor });
      if (!ok) throw new Error(`stock level of order ${order.number} is inconsistent: cannot release ${h.quantity}`);
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

  function processVariables(order: any) {
    return {
      orderId: order.id,
      orderNumber: order.number,
      dealerId: order.dealerId,
      dealerCode: order.dealerCode,
      currency: order.currency,
      totalMinor: Number(order.totalMinor),
      creditShortfallMinor: Number(order.creditShortfallMinor ?? 0),
      placedBy: order.placedBy,
    };
  }

  /**
   * Starts what the order waits for, after the caller's commit (the platform outbox): finance's
   * approval when it is over the limit, else its fulfilment. Keyed per order and process, so a
   * second call, a retried job or a redelivery starts it once.
   */
  async function startProcess(order: any, regionCode: string | null) {
    const approval = order.status === 'pending_approval';
    await afterCommit(strapi).startProcess({
      bpmnProcessId: approval ? APPROVAL_PROCESS : FULFILMENT_PROCESS,
      businessKey: order.number,
      idempotencyKey: `orders.${approval ? 'approval' : 'fulfilment'}:${order.number}`,
      variables: approval ? processVariables(order) : { ...processVariables(order), regionCode, ...fulfilmentTimings() },
      recordKeyOn: { uid: ORDER, id: order.id, fields: approval ? ['processInstanceKey'] : ['processInstanceKey', 'fulfilmentProcessKey'] },
    });
  }

  /** One placement attempt; `place` adds the answer for a repeated key. */
  async function placeOnce(input: z.output<typeof placeInput>) {
    const key = `${input.dealerId}:${input.idempotencyKey}`;
    const hash = requestHash(input);
    // A repeated key is found by the unique index when the order is inserted (no read first: every order would pay for it).
    const dealer = await strapi.plugin('dealers').service('dealers').commercialProfile(input.dealerId);
    if (!dealer) throw notFound('Dealer', input.dealerId);
    let draftHistory: HistoryEntry[] | null = null;
    if (input.draftId) {
      const draft = await orders().findOne({ where: { id: input.draftId, dealerId: input.dealerId, status: 'draft' }, select: ['id', 'history'] });
      if (!draft) throw notFound('Draft order', input.draftId);
      draftHistory = historyOf(draft);
    }
    const account = { currency: await credit().currencyOf(input.dealerId) };
    const pricedLines = await priced(dealer, input, account.currency);
    const totalMinor = pricedLines.reduce((sum, l) => sum + l.price.lineTotalMinor, 0);
    if (!Number.isSafeInteger(totalMinor)) throw new ChannelflowError('BAD_INPUT', 'The order total is out of range');
    const warehouses: Array<{ id: number }> = await catalog().servingWarehouses(dealer.regionId);
    const number = orderNumber();

    const productIds = pricedLines.map((l) => l.product.id);
    const warehouseIds = warehouses.map((w) => w.id);
    const reservationKey = `order:${number}`;
    // What every attempt starts from; an attempt changes only its own copy, so a retry after a lost race starts clean.
    const submittedRow: Readonly<Record<string, any>> = {
      number,
      dealerId: dealer.id,
      dealerCode: dealer.code,
      status: 'submitted',
      currency: account.currency,
      totalMinor,
      lineCount: pricedLines.length,
      idempotencyKey: key,
      requestHash: hash,
      creditReservationKey: reservationKey,
      creditShortfallMinor: null,
      allowBackorder: input.allowBackorder,
      reference: input.reference ?? null,
      note: input.note ?? null,
      placedBy: input.placedBy,
      submittedAt: new Date(),
      history: [...(draftHistory ?? []), { at: new Date().toISOString(), by: input.placedBy, from: draftHistory ? 'draft' : null, to: 'submitted', note: null }],
    };

    const attempt = () =>
      strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        let orderRow: Record<string, any> = { ...submittedRow };
        // Read without locks: the guarded updates below are the check, and a lost race retries with fresh figures.
        const levels: Array<ReturnType<typeof toLevel>> = (await trx(LEVELS_TABLE).whereIn('product_id', productIds).whereIn('warehouse_id', warehouseIds)).map(toLevel);
        const candidates = warehouses.map((w) => ({
          warehouseId: w.id,
          available: new Map(levels.filter((l) => l.warehouseId === w.id).map((l) => [l.productId, l.available] as const)),
        }));
        const allocation = allocate(pricedLines.map((l) => ({ productId: l.product.id, quantity: l.quantity })), candidates, rule);
        if (allocation.shortfall.length && !input.allowBackorder) throw outOfStock(allocation.shortfall, pricedLines, levels);

        if (input.draftId) {
          // The draft is gone once it is an order: deleted here, in the order's own transaction.
          const removed = await strapi.db.query(ORDER as any).deleteMany({ where: { id: input.draftId, status: 'draft' } });
          if (!removed.count) throw conflict('This draft was placed or changed meanwhile; open it again');
          await lines().deleteMany({ where: { orderId: input.draftId } });
        }
        const { ids } = await orders().createMany({ data: [orderRow] });
        const orderId = Number(ids[0]);
        const shortBy = new Map(allocation.shortfall.map((s) => [s.productId, s.requested - s.allocated]));
        const lineRows = pricedLines.map((l) => toLineRow(orderId, l, shortBy.get(l.product.id) ?? 0));
        await lines().createMany({ data: lineRows });
        // Credit, then stock, as the last statements: a dealer's account is its own while stock levels are shared by
        // every dealer, so the contended rows stay locked only for the statements right before the commit.
        // Every writer takes credit before stock, so two transactions never wait for each other in a circle.
        try {
          await credit().reserve({ dealerId: dealer.id, amountCents: totalMinor, currency: account.currency, idempotencyKey: reservationKey, reference: number, actor: input.placedBy });
        } catch (error) {
          if (!isChannelflowError(error) || error.code !== 'CREDIT_LIMIT_EXCEEDED') throw error;
          // Over the limit is finance's decision, not a refusal: the order keeps its stock and waits for it.
          const shortfall = Number((error.details as any).requestedCents) - Number((error.details as any).availableCents);
          orderRow = {
            ...orderRow,
            status: 'pending_approval',
            creditReservationKey: null,
            creditShortfallMinor: shortfall,
            history: [...orderRow.history, { at: new Date().toISOString(), by: 'platform', from: 'submitted', to: 'pending_approval', note: error.message }],
          };
          await orders().updateMany({ where: { id: orderId }, data: { status: orderRow.status, creditReservationKey: null, creditShortfallMinor: shortfall, history: orderRow.history } });
        }
        const reserved = await strapi.plugin('orders').service('stock').reserve(trx, allocation.picks, { orderId, reference: number, keyPrefix: `${number}:reserve`, actor: input.placedBy });
        if (!reserved) throw new LostStockRace();
        await startProcess({ ...orderRow, id: orderId }, dealer.regionCode ?? null);
        return { order: { ...orderRow, id: orderId }, lines: lineRows };
      });

    let placed: { order: any; lines: any[] } | undefined;
    for (let round = 1; !placed; round++) {
      try {
        placed = await attempt();
      } catch (error) {
        // Another order took the stock between our read and our update: read again (a few times).
        if (error instanceof LostStockRace && round < 5) continue;
        if (error instanceof LostStockRace) throw new ChannelflowError('CONFLICT', 'Stock is changing fast for these products; place the order again');
        // The same key raced in from a second request: answer as the replay.
        if (isUniqueViolation(error)) {
          const first = await orders().findOne({ where: { idempotencyKey: key } });
          if (first) return replay(first, hash);
        }
        throw error;
      }
    }
    return { ...toOrder(placed.order, placed.lines), replayed: false };
  }

  const this_ = {
    /**
     * Places an order. The same idempotency key from the same dealer returns the first order
     * (replayed: true) and writes nothing; with different contents it is a CONFLICT.
     */
    async place(raw: z.input<typeof placeInput>) {
      const input = parseInput(placeInput, raw, 'order');
      try {
        return await placeOnce(input);
      } catch (error) {
        // A retried request whose first attempt placed the order answers with that order, even if it could not be placed now.
        if (!isChannelflowError(error)) throw error;
        const first = await orders().findOne({ where: { idempotencyKey: `${input.dealerId}:${input.idempotencyKey}` } });
        if (first) return replay(first, requestHash(input));
        throw error;
      }
    },

    /**
     * Saves a draft order (新建草稿): lines priced as they would be today, nothing reserved. Saving
     * `draftId` again replaces its lines; `placeDraft` turns it into an order.
     */
    async saveDraft(draftId: number | null, raw: z.input<typeof draftInput>) {
      const input = parseInput(draftInput, raw, 'draft order');
      const dealer = await strapi.plugin('dealers').service('dealers').commercialProfile(input.dealerId);
      if (!dealer) throw notFound('Dealer', input.dealerId);
      const currency = await credit().currencyOf(input.dealerId);
      const pricedLines = input.lines.length ? await priced(dealer, { ...input, idempotencyKey: 'draft-only', allowBackorder: input.allowBackorder } as z.output<typeof placeInput>, currency) : [];
      const totalMinor = pricedLines.reduce((sum, l) => sum + l.price.lineTotalMinor, 0);
      const id = await strapi.db.transaction(async () => {
        const fields = { currency, totalMinor, lineCount: pricedLines.length, allowBackorder: input.allowBackorder, reference: input.reference ?? null, note: input.note ?? null };
        let orderId = draftId;
        if (orderId) {
          const existing = await orders().findOne({ where: { id: orderId, dealerId: input.dealerId }, select: ['id', 'status'] });
          if (!existing) throw notFound('Draft order', orderId);
          if (existing.status !== 'draft') throw conflict('This order is no longer a draft', { status: existing.status });
          await orders().update({ where: { id: orderId }, data: fields });
          await lines().deleteMany({ where: { orderId } });
        } else {
          const number = `DR-${today().replace(/-/g, '')}-${orderNumber().slice(-8)}`;
          const { ids } = await orders().createMany({
            data: [
              {
                ...fields,
                number,
                dealerId: dealer.id,
                dealerCode: dealer.code,
                status: 'draft',
                idempotencyKey: `${dealer.id}:draft:${number}`,
                requestHash: 'draft',
                placedBy: input.placedBy,
                history: [{ at: new Date().toISOString(), by: input.placedBy, from: null, to: 'draft', note: null }],
              },
            ],
          });
          orderId = Number(ids[0]);
        }
        if (pricedLines.length) await lines().createMany({ data: pricedLines.map((l) => toLineRow(orderId!, l)) });
        return orderId!;
      });
      return this_.detail(id);
    },

    /** Places a saved draft as an order (same rules as `place`), under the caller's idempotency key. */
    async placeDraft(draftId: number, raw: { dealerId: number; idempotencyKey: string; placedBy: string }) {
      const draft = await orders().findOne({ where: { id: draftId, dealerId: raw.dealerId } });
      if (!draft) {
        // Placed before under this key: the answer is that order.
        const placed = await orders().findOne({ where: { idempotencyKey: `${raw.dealerId}:${raw.idempotencyKey}` } });
        if (placed) return { ...(await this_.detail(placed.id)), replayed: true };
        throw notFound('Draft order', draftId);
      }
      if (draft.status !== 'draft') throw conflict(`Order ${draft.number} is not a draft`, { status: draft.status });
      const draftLines: any[] = await lines().findMany({ where: { orderId: draftId }, orderBy: { lineNo: 'asc' } });
      return this_.place({
        dealerId: raw.dealerId,
        idempotencyKey: raw.idempotencyKey,
        placedBy: raw.placedBy,
        draftId,
        lines: draftLines.map((l) => ({ sku: l.sku, quantity: l.quantity, quotedUnitPriceMinor: Number(l.unitPriceMinor) })),
        allowBackorder: Boolean(draft.allowBackorder),
        reference: draft.reference ?? undefined,
        note: draft.note ?? undefined,
      });
    },

    /** Starts the fulfilment of an order finance released (the approval process's last step); once. */
    async startFulfilment(orderId: number) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order) throw notFound('Order', orderId);
      if (order.status !== 'submitted') return order;
      const dealer = await strapi.plugin('dealers').service('dealers').commercialProfile(order.dealerId);
      await startProcess(order, dealer?.regionCode ?? null);
      return orders().findOne({ where: { id: orderId } });
    },

    /** Cancels an order that has not shipped: its stock and credit are released, its process told. */
    async cancel(orderId: number, raw: z.input<typeof cancelInput>) {
      const input = parseInput(cancelInput, raw, 'cancellation');
      const order = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const current = await orders().findOne({ where: { id: orderId } });
        if (!current) throw notFound('Order', orderId);
        const dispatched = await strapi.db.query(SHIPMENT as any).count({ where: { orderId, status: { $in: ['shipped', 'in_transit', 'delivered'] } } });
        if (!CANCELLABLE.includes(current.status) || dispatched > 0) {
          throw conflict(`Order ${current.number} is ${dispatched ? 'on its way' : current.status.replace('_', ' ')} and can no longer be cancelled`, { status: current.status });
        }
        await releaseHolds(trx, current, input.actor);
        await strapi.plugin('orders').service('shipments').cancelPending(orderId);
        // The process hears of it after the commit, once, however often delivery is retried.
        await afterCommit(strapi).publishMessage({ name: ORDER_CANCELLED_MESSAGE, correlationKey: current.number, messageId: `${current.number}:cancelled`, timeToLiveMs: 86_400_000, variables: { cancelledBy: input.actor } });
        return transition(current, 'cancelled', input.actor, input.reason);
      });
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

    /** The letter on finance's decision, to the order's placer and the dealer's owners; once per decision. */
    async sendDecisionLetter(orderId: number, note: string | null) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order) throw notFound('Order', orderId);
      const history = historyOf(order);
      const decided = [...history].reverse().find((h) => h.from === 'pending_approval');
      if (!decided || history.some((h) => h.note === 'decision letter sent')) return { sent: 0 };
      const dealer = await strapi.plugin('dealers').service('dealers').commercialProfile(order.dealerId);
      const owners = (await strapi.plugin('dealers').service('portal-users').usersOf(order.dealerId)).filter((u: any) => u.role === 'owner');
      const recipients = [...new Set([order.placedBy, ...owners.map((u: any) => u.email)].filter((e: string) => e?.includes('@')))];
      for (const to of recipients) {
        await notifications(strapi).sendEmail({
          to,
          template: 'orders/order-decision',
          data: {
            dealerName: dealer?.name,
            dealerCode: order.dealerCode,
            orderNumber: order.number,
            approved: decided.to !== 'cancelled',
            currency: order.currency,
            totalMinor: Number(order.totalMinor),
            creditShortfallMinor: Number(order.creditShortfallMinor ?? 0),
            note,
          },
        });
      }
      // Recorded beside the decision (the status stays), so a retried job sends nothing twice.
      await orders().update({ where: { id: orderId }, data: { history: [...history, { at: new Date().toISOString(), by: 'process', from: order.status, to: order.status, note: 'decision letter sent' }] } });
      return { sent: recipients.length };
    },

    /** Finance refused an order over the limit: it is cancelled and its stock released. */
    async rejectOverLimit(orderId: number, rejectedBy: string, note: string | null) {
      return strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const order = await orders().findOne({ where: { id: orderId } });
        if (!order) throw notFound('Order', orderId);
        if (order.status !== 'pending_approval') return order;
        await releaseHolds(trx, order, rejectedBy);
        return transition(order, 'cancelled', rejectedBy, note ? `credit refused: ${note}` : 'credit refused');
      });
    },

    /**
     * Derives the order's status from its shipments and invoices after one of them changed:
     * allocated → shipped → delivered → invoiced as every unit gets there, closed once every invoice is paid.
     */
    async refreshStatus(orderId: number, by: string) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order || ['cancelled', 'pending_approval', 'draft', 'closed'].includes(order.status)) return order;
      const orderLines: any[] = await lines().findMany({ where: { orderId } });
      const ordered = orderLines.reduce((sum, l) => sum + l.quantity, 0);
      const shipments: any[] = await strapi.db.query(SHIPMENT as any).findMany({ where: { orderId, status: { $ne: 'cancelled' } } });
      const units = (list: any[]) => list.reduce((sum, s) => sum + (s.lines as Array<{ quantity: number }>).reduce((n, l) => n + l.quantity, 0), 0);
      const shipped = units(shipments.filter((s) => s.status !== 'pending'));
      const delivered = units(shipments.filter((s) => s.status === 'delivered'));
      const invoiced = units(shipments.filter((s) => s.invoiceId));
      let status: OrderStatus = shipments.length ? 'allocated' : 'submitted';
      if (shipped === ordered) status = 'shipped';
      if (delivered === ordered) status = 'delivered';
      if (invoiced === ordered) {
        const open = await strapi.db.query(INVOICE as any).count({ where: { orderId, status: 'open' } });
        status = open ? 'invoiced' : 'closed';
      }
      if (status === order.status) return order;
      return transition(order, status, by, null);
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
      const where: Record<string, unknown> = dealerWhere(filter);
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

  /** Locks the order's stock levels before releasing them (PostgreSQL), in the order every writer takes them: product, then warehouse. */
  async function lockOrderStock(trx: Trx, orderId: number) {
    if (strapi.db.dialect.client === 'sqlite') return;
    const held = await heldStock(orderId);
    if (!held.length) return;
    await forUpdate(strapi, trx(LEVELS_TABLE).whereIn('product_id', [...new Set(held.map((h) => h.productId))]).whereIn('warehouse_id', [...new Set(held.map((h) => h.warehouseId))]).orderBy(['product_id', 'warehouse_id']));
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

/** Another order reserved the stock between this one's read and its update. */
class LostStockRace extends Error {}

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

/**
 * ORDERS_STALE_AFTER (ISO duration, default P3D): a shipment with no tracking event for that long
 * raises a staff alert; ORDERS_FULFILMENT_CHECK_EVERY (default PT12H): how often the fulfilment
 * process looks (and retries back-orders) while it waits. Both become process variables.
 */
export function fulfilmentTimings() {
  return { staleAfter: process.env.ORDERS_STALE_AFTER ?? 'P3D', checkEvery: process.env.ORDERS_FULFILMENT_CHECK_EVERY ?? 'PT12H' };
}

function requestHash(input: z.output<typeof placeInput>): string {
  const canonical = { lines: input.lines.map((l) => [l.sku, l.quantity]), allowBackorder: input.allowBackorder, reference: input.reference ?? null, note: input.note ?? null, draftId: input.draftId ?? null };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** SO-20261201-7KQ2M9XA: the day, then random characters (no sequence to contend on at 100 orders/s). */
function orderNumber(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const suffix = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
  return `SO-${today().replace(/-/g, '')}-${suffix}`;
}


/** An order line as stored: the product, the quantity and the price the server resolved for it. */
export function toLineRow(
  orderId: number,
  line: { lineNo: number; product: { id: number; sku: string; name: string }; quantity: number; quotedUnitPriceMinor?: number | null; price: ReturnType<typeof resolvePrice> },
  backorderedQuantity = 0,
) {
  return {
    orderId,
    lineNo: line.lineNo,
    productId: line.product.id,
    sku: line.product.sku,
    name: line.product.name,
    quantity: line.quantity,
    backorderedQuantity,
    listPriceMinor: line.price.listPriceMinor,
    unitPriceMinor: line.price.unitPriceMinor,
    discountBasisPoints: line.price.discountBasisPoints,
    lineTotalMinor: line.price.lineTotalMinor,
    quotedUnitPriceMinor: line.quotedUnitPriceMinor ?? null,
    priceRuleIds: line.price.ruleIds,
  };
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
