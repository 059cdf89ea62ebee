import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, conflict, defineLedger, forUpdate, isUniqueViolation, notFound, parseInput } from '@channelflow/sdk';
import { PRODUCT, STOCK_LEVEL, STOCK_MOVEMENT, WAREHOUSE } from '../uids';

const LEVELS_TABLE = 'order_stock_levels';

export type MovementKind = 'receipt' | 'transfer_out' | 'transfer_in' | 'reservation' | 'release' | 'shipment' | 'return' | 'adjustment';

/** What a movement does to its stock level; adjustments carry a signed quantity. */
export function movementEffect(kind: MovementKind, quantity: number): { onHand: number; reserved: number; inTransit: number } {
  switch (kind) {
    case 'receipt':
    case 'return':
      return { onHand: quantity, reserved: 0, inTransit: 0 };
    case 'transfer_out':
      return { onHand: -quantity, reserved: 0, inTransit: 0 };
    case 'transfer_in':
      return { onHand: quantity, reserved: 0, inTransit: -quantity };
    case 'reservation':
      return { onHand: 0, reserved: quantity, inTransit: 0 };
    case 'release':
      return { onHand: 0, reserved: -quantity, inTransit: 0 };
    case 'shipment':
      return { onHand: -quantity, reserved: -quantity, inTransit: 0 };
    case 'adjustment':
      return { onHand: quantity, reserved: 0, inTransit: 0 };
  }
}

const quantity = z.number().int('quantities are whole units').positive('quantities must be positive').max(10_000_000);
const idempotencyKey = z.string().trim().min(8, 'idempotency keys have at least 8 characters').max(200);
const sku = z.string().trim().min(1).max(64);
const warehouseCode = z.string().trim().min(1).max(64);

const receiptInput = z.object({ sku, warehouseCode, quantity, idempotencyKey, reference: z.string().max(200).optional(), actor: z.string().max(200) });
const stockTakeInput = z.object({
  sku,
  warehouseCode,
  counted: z.number().int('quantities are whole units').min(0, 'a count is never negative').max(10_000_000),
  idempotencyKey,
  note: z.string().max(2000).optional(),
  actor: z.string().max(200),
});
const transferInput = z
  .object({ sku, fromWarehouseCode: warehouseCode, toWarehouseCode: warehouseCode, quantity, idempotencyKey, actor: z.string().max(200) })
  .refine((t) => t.fromWarehouseCode !== t.toWarehouseCode, { message: 'a transfer goes to another warehouse', path: ['toWarehouseCode'] });
const safetyInput = z.object({ sku, warehouseCode, safetyStock: z.number().int().min(0).max(10_000_000) });

type Trx = any;

export interface Movement {
  [field: string]: unknown;
  productId: number;
  warehouseId: number;
  kind: MovementKind;
  quantity: number;
  idempotencyKey: string;
  orderId?: number | null;
  reference?: string | null;
  actor?: string | null;
  note?: string | null;
}

/**
 * The stock ledger: movements move their level's on hand, reserved and in transit by guarded UPDATEs
 * that keep on hand ≥ reserved ≥ 0 and in transit ≥ 0, so concurrent orders cannot oversell.
 */
export const stockLedger = defineLedger<Movement, 'on_hand' | 'reserved' | 'in_transit'>({
  entryName: 'stock movement',
  entries: STOCK_MOVEMENT,
  balances: { table: LEVELS_TABLE, columns: ['on_hand', 'reserved', 'in_transit'], touch: 'updated_at' },
  effect: (m) => {
    const effect = movementEffect(m.kind, m.quantity);
    return { on_hand: effect.onHand, reserved: effect.reserved, in_transit: effect.inTransit };
  },
  guards: [{ terms: { on_hand: 1, reserved: -1 } }, { terms: { reserved: 1 } }, { terms: { in_transit: 1 } }, { terms: { on_hand: 1 } }],
  fingerprint: ['productId', 'warehouseId', 'kind', 'quantity'],
});

/**
 * Stock levels per product × warehouse, changed only by appending stock movements. Each movement
 * updates its level in the same transaction with a guarded UPDATE (on hand never below zero, never
 * below what is reserved), so concurrent orders cannot oversell; a movement's idempotency key makes
 * a repeated call write nothing.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const movements = () => strapi.db.query(STOCK_MOVEMENT as any);
  const ledger = stockLedger.bind(strapi);
  const levels = () => strapi.db.query(STOCK_LEVEL as any);

  async function product(code: string) {
    const found = await strapi.db.query(PRODUCT).findOne({ where: { sku: code }, select: ['id', 'sku'] });
    if (!found) throw new ChannelflowError('BAD_INPUT', `There is no product with SKU ${code}`, { issues: [{ path: 'sku', message: 'unknown SKU' }] });
    return found as { id: number; sku: string };
  }

  async function warehouse(code: string) {
    const found = await strapi.db.query(WAREHOUSE).findOne({ where: { code }, select: ['id', 'code'] });
    if (!found) throw new ChannelflowError('BAD_INPUT', `There is no warehouse ${code}`, { issues: [{ path: 'warehouseCode', message: 'unknown warehouse' }] });
    return found as { id: number; code: string };
  }

  /** The level row for product × warehouse, created empty on first use. */
  async function ensureLevel(productId: number, warehouseId: number) {
    const existing = await levels().findOne({ where: { productId, warehouseId } });
    if (existing) return existing;
    const [p, w] = await Promise.all([
      strapi.db.query(PRODUCT).findOne({ where: { id: productId }, select: ['sku'] }),
      strapi.db.query(WAREHOUSE).findOne({ where: { id: warehouseId }, select: ['code'] }),
    ]);
    if (!p || !w) throw notFound(p ? 'Warehouse' : 'Product', p ? warehouseId : productId);
    try {
      return await levels().create({ data: { productId, warehouseId, sku: p.sku, warehouseCode: w.code, onHand: 0, reserved: 0, inTransit: 0, safetyStock: 0 } });
    } catch (error) {
      if (isUniqueViolation(error)) return levels().findOne({ where: { productId, warehouseId } });
      throw error;
    }
  }

  /**
   * Appends one movement and applies it to its level; inside the caller's transaction when there is one.
   * Returns false, writing nothing, when the level cannot take it (not enough on hand or reserved).
   */
  async function apply(trx: Trx, movement: Movement): Promise<boolean> {
    if (!(await applyToLevel(trx, movement))) return false;
    await append([movement]);
    return true;
  }

  function levelOf(movement: Pick<Movement, 'productId' | 'warehouseId'>) {
    return { product_id: movement.productId, warehouse_id: movement.warehouseId };
  }

  /** The guarded UPDATE of one level; false when the level cannot take the movement. */
  function applyToLevel(trx: Trx, movement: Movement): Promise<boolean> {
    return ledger.move(trx, levelOf(movement), stockLedger.effectOf(movement));
  }

  /** Appends movements in one statement (the ledger needs no row read back). */
  async function append(list: Movement[]) {
    await ledger.append(list.map((m) => ({ ...m, orderId: m.orderId ?? null, reference: m.reference ?? null, actor: m.actor ?? null, note: m.note ?? null })));
  }

  /** The first movement under `key`, checked to be the same request (a stock-take's quantity is not known yet); null when there is none. */
  function replayOf(key: string, expected: Pick<Movement, 'productId' | 'warehouseId' | 'kind'> & { quantity?: number }) {
    return ledger.replayOf({ key }, expected);
  }

  async function levelView(productId: number, warehouseId: number) {
    return toLevel(await levels().findOne({ where: { productId, warehouseId } }));
  }

  /** What an order still holds per product × warehouse: reserved minus released minus shipped. */
  async function heldBy(orderId: number) {
    const rows: any[] = await movements().findMany({ where: { orderId, kind: { $in: ['reservation', 'release', 'shipment'] } } });
    const held = new Map<string, { productId: number; warehouseId: number; quantity: number }>();
    for (const m of rows) {
      const key = `${m.productId}:${m.warehouseId}`;
      const entry = held.get(key) ?? { productId: m.productId, warehouseId: m.warehouseId, quantity: 0 };
      entry.quantity += m.kind === 'reservation' ? m.quantity : -m.quantity;
      held.set(key, entry);
    }
    return [...held.values()].filter((h) => h.quantity > 0);
  }

  return {
    apply,
    ensureLevel,
    heldBy,

    /**
     * The levels of `productIds` in `warehouseIds`, in the caller's transaction. Unlocked by default (a guarded
     * update is the check, a lost race retries); `lock: true` locks them (PostgreSQL) until the commit.
     */
    async levelsIn(trx: Trx, productIds: number[], warehouseIds: number[], options: { lock?: boolean } = {}) {
      const query = trx(LEVELS_TABLE).whereIn('product_id', productIds).whereIn('warehouse_id', warehouseIds);
      const rows: any[] = options.lock ? await forUpdate(strapi, query.orderBy('id')) : await query;
      return rows.map(toLevel);
    },

    /**
     * Gives back all the stock an order still holds, in the caller's transaction: its levels locked first
     * (PostgreSQL) in the order every writer takes them, product then warehouse.
     */
    async releaseHeld(trx: Trx, order: { id: number; number: string }, actor: string) {
      let held = await heldBy(order.id);
      if (held.length && strapi.db.dialect.client !== 'sqlite') {
        await forUpdate(strapi, trx(LEVELS_TABLE).whereIn('product_id', [...new Set(held.map((h) => h.productId))]).whereIn('warehouse_id', [...new Set(held.map((h) => h.warehouseId))]).orderBy(['product_id', 'warehouse_id']));
        held = await heldBy(order.id);
      }
      for (const [i, h] of held.entries()) {
        const ok = await apply(trx, { productId: h.productId, warehouseId: h.warehouseId, kind: 'release', quantity: h.quantity, idempotencyKey: `${order.number}:release:${h.productId}:${h.warehouseId}:${i}`, orderId: order.id, reference: order.number, actor });
        if (!ok) throw new Error(`stock level of order ${order.number} is inconsistent: cannot release ${h.quantity}`);
      }
    },

    /**
     * Reserves `picks` for an order in the caller's transaction: guarded updates in product, then
     * warehouse order (the order every writer locks in, so concurrent orders never deadlock), after
     * the movements in one insert. False, with nothing to keep (roll back), when some level no longer has the stock.
     */
    async reserve(trx: Trx, picks: Array<{ productId: number; warehouseId: number; quantity: number }>, meta: { orderId: number; reference: string; keyPrefix: string; actor: string }) {
      const sorted = [...picks].sort((a, b) => a.productId - b.productId || a.warehouseId - b.warehouseId);
      const list: Movement[] = sorted.map((p) => ({
        productId: p.productId,
        warehouseId: p.warehouseId,
        kind: 'reservation',
        quantity: p.quantity,
        idempotencyKey: `${meta.keyPrefix}:${p.productId}:${p.warehouseId}`,
        orderId: meta.orderId,
        reference: meta.reference,
        actor: meta.actor,
      }));
      // The movements go in first: on PostgreSQL the level rows are locked from their update to the commit, and
      // other orders wait for them, so nothing else is sent in between. A refused update rolls the movements back.
      await append(list);
      for (const movement of list) if (!(await applyToLevel(trx, movement))) return false;
      return true;
    },

    /** Goods arriving in a warehouse (purchase receipt). */
    async receive(raw: z.input<typeof receiptInput>) {
      const input = parseInput(receiptInput, raw, 'stock receipt');
      const [p, w] = await Promise.all([product(input.sku), warehouse(input.warehouseCode)]);
      await ensureLevel(p.id, w.id);
      await ledger.transaction(async (trx) => {
        if (await replayOf(input.idempotencyKey, { productId: p.id, warehouseId: w.id, kind: 'receipt', quantity: input.quantity })) return;
        await apply(trx, { productId: p.id, warehouseId: w.id, kind: 'receipt', quantity: input.quantity, idempotencyKey: input.idempotencyKey, reference: input.reference, actor: input.actor });
      });
      return levelView(p.id, w.id);
    },

    /** A stock-take: the counted quantity becomes on hand, booked as an adjustment by the difference. */
    async stockTake(raw: z.input<typeof stockTakeInput>) {
      const input = parseInput(stockTakeInput, raw, 'stock-take');
      const [p, w] = await Promise.all([product(input.sku), warehouse(input.warehouseCode)]);
      await ensureLevel(p.id, w.id);
      await ledger.transaction(async (trx) => {
        if (await replayOf(input.idempotencyKey, { productId: p.id, warehouseId: w.id, kind: 'adjustment' })) return;
        const level = await ledger.lock(trx, { product_id: p.id, warehouse_id: w.id });
        const difference = input.counted - Number(level.on_hand);
        if (input.counted < Number(level.reserved)) {
          throw conflict(`${input.counted} counted, but ${level.reserved} of ${input.sku} in ${input.warehouseCode} are reserved for orders; release or ship those first`, { reserved: Number(level.reserved) });
        }
        if (difference === 0) return;
        await apply(trx, { productId: p.id, warehouseId: w.id, kind: 'adjustment', quantity: difference, idempotencyKey: input.idempotencyKey, note: input.note, actor: input.actor });
      });
      return levelView(p.id, w.id);
    },

    /** Sends stock to another warehouse: off the shelf here, in transit there until it is received. */
    async transfer(raw: z.input<typeof transferInput>) {
      const input = parseInput(transferInput, raw, 'stock transfer');
      const [p, from, to] = await Promise.all([product(input.sku), warehouse(input.fromWarehouseCode), warehouse(input.toWarehouseCode)]);
      await Promise.all([ensureLevel(p.id, from.id), ensureLevel(p.id, to.id)]);
      await ledger.transaction(async (trx) => {
        if (await replayOf(`${input.idempotencyKey}:out`, { productId: p.id, warehouseId: from.id, kind: 'transfer_out', quantity: input.quantity })) return;
        const base = { productId: p.id, quantity: input.quantity, reference: `${from.code}→${to.code}`, actor: input.actor };
        if (!(await apply(trx, { ...base, warehouseId: from.id, kind: 'transfer_out', idempotencyKey: `${input.idempotencyKey}:out` }))) {
          throw await outOfStock(p.id, from.id, input.sku, input.quantity);
        }
        await ledger.move(trx, { product_id: p.id, warehouse_id: to.id }, { in_transit: input.quantity });
      });
      return { from: await levelView(p.id, from.id), to: await levelView(p.id, to.id) };
    },

    /** The transfer's goods arrive: in transit becomes on hand. */
    async receiveTransfer(raw: { sku: string; warehouseCode: string; quantity: number; idempotencyKey: string; actor: string }) {
      const input = parseInput(receiptInput, raw, 'transfer receipt');
      const [p, w] = await Promise.all([product(input.sku), warehouse(input.warehouseCode)]);
      await ledger.transaction(async (trx) => {
        if (await replayOf(input.idempotencyKey, { productId: p.id, warehouseId: w.id, kind: 'transfer_in', quantity: input.quantity })) return;
        if (!(await apply(trx, { productId: p.id, warehouseId: w.id, kind: 'transfer_in', quantity: input.quantity, idempotencyKey: input.idempotencyKey, actor: input.actor }))) {
          throw conflict(`Fewer than ${input.quantity} of ${input.sku} are in transit to ${input.warehouseCode}`);
        }
      });
      return levelView(p.id, w.id);
    },

    async setSafetyStock(raw: z.input<typeof safetyInput>) {
      const input = parseInput(safetyInput, raw, 'safety stock');
      const [p, w] = await Promise.all([product(input.sku), warehouse(input.warehouseCode)]);
      const level = await ensureLevel(p.id, w.id);
      return toLevel(await levels().update({ where: { id: level.id }, data: { safetyStock: input.safetyStock } }));
    },

    /** Levels for products in warehouses (all of either when not given). */
    async levels(filter: { productIds?: number[]; warehouseIds?: number[] } = {}) {
      const where: Record<string, unknown> = {};
      if (filter.productIds) where.productId = { $in: filter.productIds };
      if (filter.warehouseIds) where.warehouseId = { $in: filter.warehouseIds };
      return (await levels().findMany({ where, orderBy: [{ sku: 'asc' }, { warehouseCode: 'asc' }] })).map(toLevel);
    },

    /** Movements of one level, newest first. */
    async movements(filter: { productId?: number; warehouseId?: number; orderId?: number }, page: { page: number; pageSize: number }) {
      const where = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
      const [rows, total] = await Promise.all([
        movements().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        movements().count({ where }),
      ]);
      return { nodes: rows.map(toMovement), total, ...page };
    },
  };

  async function outOfStock(productId: number, warehouseId: number, skuCode: string, requested: number) {
    const level = toLevel(await levels().findOne({ where: { productId, warehouseId } }));
    return new ChannelflowError('OUT_OF_STOCK', `Only ${level.available} of ${skuCode} are available in ${level.warehouseCode}; ${requested} were asked for`, {
      lines: [{ sku: skuCode, requested, available: level.available }],
    });
  }
};

export function toLevel(row: any) {
  const onHand = Number(row.onHand ?? row.on_hand);
  const reserved = Number(row.reserved);
  return {
    id: row.id,
    productId: Number(row.productId ?? row.product_id),
    warehouseId: Number(row.warehouseId ?? row.warehouse_id),
    sku: row.sku,
    warehouseCode: row.warehouseCode ?? row.warehouse_code,
    onHand,
    reserved,
    available: onHand - reserved,
    inTransit: Number(row.inTransit ?? row.in_transit),
    safetyStock: Number(row.safetyStock ?? row.safety_stock),
  };
}

function toMovement(m: any) {
  return {
    id: m.id,
    productId: m.productId,
    warehouseId: m.warehouseId,
    kind: m.kind as MovementKind,
    quantity: m.quantity,
    orderId: m.orderId ?? null,
    reference: m.reference ?? null,
    actor: m.actor ?? null,
    note: m.note ?? null,
    createdAt: m.createdAt ? new Date(m.createdAt).toISOString() : null,
  };
}
