import { createHash, randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, isChannelflowError, isUniqueViolation, notFound, parseInput, service, today } from '@channelflow/sdk';
import { allocate } from './allocation';
import { ORDER, ORDER_LINE } from '../uids';
import { resolvePrice } from './pricing';
import { allocationRuleOf, ordersOptions } from '../options';
import { orderStateMachine, type OrderStatus } from './order-status';
import { toLineRow, toOrder } from './order-rows';
import type { Transition } from '@channelflow/sdk';

export const APPROVAL_PROCESS = 'orders-approval';
export const FULFILMENT_PROCESS = 'orders-fulfilment';

const lineInput = z.object({
  sku: z.string().trim().min(1, 'every line names a SKU').max(64),
  quantity: z.number().int('quantities are whole units').positive('quantities must be at least 1').max(100_000, 'at most 100,000 units per line'),
  /** What the portal showed per unit; kept for comparison only, never charged. */
  quotedUnitPriceMinor: z.number().int().min(0).max(1e13).optional(),
});
export const placeInput = z.object({
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
export const draftInput = placeInput.omit({ idempotencyKey: true, draftId: true }).extend({
  lines: z.array(lineInput).max(200, 'at most 200 lines per order').refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'each SKU appears on one line only'),
});

type Trx = any;
export type PricedLine = { lineNo: number; product: any; quantity: number; quotedUnitPriceMinor: number | null; price: ReturnType<typeof resolvePrice> };

/**
 * Placing an order: every price resolved on the server, stock reserved (allocation rule over the
 * warehouses serving the dealer's region) and credit reserved in one transaction, both or neither;
 * an order the credit cannot cover keeps its stock and goes to finance (orders-approval) instead of
 * failing. Its process starts after the commit.
 */
export function orderPlacement(strapi: Core.Strapi, parts: { detail: (orderId: number) => Promise<any> }) {
  const orders = () => strapi.db.query(ORDER as any);
  const lines = () => strapi.db.query(ORDER_LINE as any);
  const credit = () => service(strapi, 'dealers', 'credit');
  const catalog = () => service(strapi, 'orders', 'catalog');
  const stock = () => service(strapi, 'orders', 'stock');
  const machine = orderStateMachine.bind(strapi);

  async function priced(dealer: { tier: string }, input: z.output<typeof placeInput>, currency: string): Promise<PricedLine[]> {
    const { products: bySku, rules } = await catalog().pricingFor(input.lines.map((l) => l.sku));
    const issues: Array<{ path: string; message: string }> = [];
    input.lines.forEach((line, i) => {
      const product: any = bySku.get(line.sku);
      if (!product) issues.push({ path: `lines.${i}.sku`, message: `there is no product with SKU ${line.sku}` });
      else if (!product.active) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is discontinued and can no longer be ordered` });
      else if (product.currency !== currency) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is priced in ${product.currency}, your account in ${currency}` });
    });
    if (issues.length) throw new ChannelflowError('BAD_INPUT', `The order cannot be placed: ${issues.map((i) => i.message).join('; ')}`, { issues });
    const day = today();
    return input.lines.map((line, i) => {
      const product: any = bySku.get(line.sku);
      const price = resolvePrice(Number(product.basePriceMinor), (rules.get(product.id) ?? []) as any, { tier: dealer.tier, quantity: line.quantity, day });
      return { lineNo: i + 1, product, quantity: line.quantity, quotedUnitPriceMinor: line.quotedUnitPriceMinor ?? null, price };
    });
  }

  async function replay(existing: any, hash: string) {
    if (existing.requestHash !== hash) {
      throw conflict(`Idempotency key ${String(existing.idempotencyKey).split(':').slice(1).join(':')} was already used for order ${existing.number} with different contents`, { number: existing.number });
    }
    return { ...(await parts.detail(existing.id)), replayed: true };
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
    const approval = order.orderStatus === 'pending_approval';
    await afterCommit(strapi).startProcess({
      bpmnProcessId: approval ? APPROVAL_PROCESS : FULFILMENT_PROCESS,
      businessKey: order.number,
      idempotencyKey: `orders.${approval ? 'approval' : 'fulfilment'}:${order.number}`,
      variables: approval ? processVariables(order) : { ...processVariables(order), regionCode, ...fulfilmentTimings() },
      recordKeyOn: { uid: ORDER, id: order.id, fields: approval ? ['processInstanceKey'] : ['processInstanceKey', 'fulfilmentProcessKey'] },
    });
  }

  /** ORDERS_STALE_AFTER and ORDERS_FULFILMENT_CHECK_EVERY, as the fulfilment process's variables. */
  function fulfilmentTimings() {
    const options = ordersOptions.of(strapi);
    return { staleAfter: options.staleAfter, checkEvery: options.fulfilmentCheckEvery };
  }

  /** One placement attempt; `place` adds the answer for a repeated key. */
  async function placeOnce(input: z.output<typeof placeInput>) {
    const key = `${input.dealerId}:${input.idempotencyKey}`;
    const hash = requestHash(input);
    const rule = allocationRuleOf(ordersOptions.of(strapi).allocationRule);
    // A repeated key is found by the unique index when the order is inserted (no read first: every order would pay for it).
    const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(input.dealerId);
    if (!dealer) throw notFound('Dealer', input.dealerId);
    let draftHistory: Transition<OrderStatus>[] | null = null;
    if (input.draftId) {
      const draft = await orders().findOne({ where: { id: input.draftId, dealerId: input.dealerId, orderStatus: 'draft' }, select: ['id', 'orderStatus', 'history'] });
      if (!draft) throw notFound('Draft order', input.draftId);
      orderStateMachine.assertMove(draft, 'submitted');
      draftHistory = orderStateMachine.historyOf(draft);
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
    const placedStep = { by: input.placedBy };
    // What every attempt starts from; an attempt changes only its own copy, so a retry after a lost race starts clean.
    const submittedRow: Readonly<Record<string, any>> = {
      number,
      dealerId: dealer.id,
      dealerCode: dealer.code,
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
      // A placed draft keeps its trail: the draft's steps, then draft → submitted.
      ...(draftHistory ? { orderStatus: 'submitted', history: [...draftHistory, orderStateMachine.step('draft', 'submitted', placedStep)] } : orderStateMachine.initial('submitted', placedStep)),
    };

    const attempt = () =>
      strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        let orderRow: Record<string, any> = { ...submittedRow };
        // Read without locks: the guarded updates below are the check, and a lost race retries with fresh figures.
        const levels = await stock().levelsIn(trx, productIds, warehouseIds);
        const candidates = warehouses.map((w) => ({
          warehouseId: w.id,
          available: new Map(levels.filter((l) => l.warehouseId === w.id).map((l) => [l.productId, l.available] as const)),
        }));
        const allocation = allocate(pricedLines.map((l) => ({ productId: l.product.id, quantity: l.quantity })), candidates, rule);
        if (allocation.shortfall.length && !input.allowBackorder) throw outOfStock(allocation.shortfall, pricedLines, levels);

        if (input.draftId) {
          // The draft is gone once it is an order: deleted here, in the order's own transaction.
          const removed = await orders().deleteMany({ where: { id: input.draftId, orderStatus: 'draft' } });
          if (!removed.count) throw conflict('This draft was placed or changed meanwhile; open it again');
          await lines().deleteMany({ where: { orderId: input.draftId } });
        }
        const { ids } = await orders().createMany({ data: [orderRow] });
        const orderId = Number(ids[0]);
        orderRow = { ...orderRow, id: orderId };
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
          orderRow = await machine.move(orderRow, 'pending_approval', { by: 'platform', note: error.message, data: { creditReservationKey: null, creditShortfallMinor: shortfall } });
        }
        const reserved = await stock().reserve(trx, allocation.picks, { orderId, reference: number, keyPrefix: `${number}:reserve`, actor: input.placedBy });
        if (!reserved) throw new LostStockRace();
        await startProcess(orderRow, dealer.regionCode ?? null);
        return { order: orderRow, lines: lineRows };
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

  return {
    priced,

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

    /** Starts the fulfilment of an order finance released (the approval process's last step); once. */
    async startFulfilment(orderId: number) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order) throw notFound('Order', orderId);
      if (order.orderStatus !== 'submitted') return order;
      const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(order.dealerId);
      await startProcess(order, dealer?.regionCode ?? null);
      return orders().findOne({ where: { id: orderId } });
    },
  };
}

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

function requestHash(input: z.output<typeof placeInput>): string {
  const canonical = { lines: input.lines.map((l) => [l.sku, l.quantity]), allowBackorder: input.allowBackorder, reference: input.reference ?? null, note: input.note ?? null, draftId: input.draftId ?? null };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** SO-20261201-7KQ2M9XA: the day, then random characters (no sequence to contend on at 100 orders/s). */
export function orderNumber(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const suffix = [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
  return `SO-${today().replace(/-/g, '')}-${suffix}`;
}
