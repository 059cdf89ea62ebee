import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, service, ChannelflowError, conflict, dealerWhere, isUniqueViolation, notFound, parseInput } from '@channelflow/sdk';
import { CREDIT_NOTE_ISSUED } from '../events';
import { INVOICE, ORDER, ORDER_LINE, RETURN_REQUEST, SHIPMENT, WAREHOUSE } from '../uids';
import { returnStateMachine, type ReturnStatus } from './return-status';

export const RETURN_PROCESS = 'orders-return';
type ReturnLine = { productId: number; sku: string; quantity: number; unitPriceMinor: number };

const requestInput = z.object({
  dealerId: z.number().int().positive(),
  orderId: z.number().int().positive(),
  idempotencyKey: z.string().trim().min(8, 'idempotency keys have at least 8 characters').max(120),
  lines: z
    .array(z.object({ sku: z.string().trim().min(1).max(64), quantity: z.number().int('quantities are whole units').positive('quantities must be at least 1').max(100_000) }))
    .min(1, 'a return has at least one line')
    .max(200)
    .refine((lines) => new Set(lines.map((l) => l.sku)).size === lines.length, 'each SKU appears on one line only'),
  reason: z.string().trim().min(5, 'say why in a few words').max(2000),
  requestedBy: z.string().min(1).max(200),
});

/**
 * Returns (RMA, 退货): a dealer asks to send back delivered units; the orders-return process has
 * staff approve, then confirm receipt; receipt books the units into the warehouse and a credit note
 * for them (at the price invoiced) onto the dealer's ledger, in one transaction.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const returns = () => strapi.db.query(RETURN_REQUEST as any);
  const credit = () => service(strapi, 'dealers', 'credit');

  async function load(returnId: number) {
    const found = await returns().findOne({ where: { id: returnId } });
    if (!found) throw notFound('Return', returnId);
    return found;
  }

  const machine = returnStateMachine.bind(strapi);

  /** One guarded step of the return (a lost race is a CONFLICT). */
  function move(current: any, to: ReturnStatus, by: string, note: string | null, data: Record<string, unknown> = {}) {
    return machine.move(current, to, { by, note, data });
  }

  /** Units of each product delivered on the order, less what open or completed returns already claim. */
  async function returnable(orderId: number, exceptReturnId?: number) {
    const delivered: any[] = await strapi.db.query(SHIPMENT as any).findMany({ where: { orderId, deliveryStatus: 'delivered' } });
    const claimed: any[] = await returns().findMany({ where: { orderId, returnStatus: { $ne: 'rejected' }, ...(exceptReturnId ? { id: { $ne: exceptReturnId } } : {}) } });
    const units = new Map<number, number>();
    for (const s of delivered) for (const l of s.lines as Array<{ productId: number; quantity: number }>) units.set(l.productId, (units.get(l.productId) ?? 0) + l.quantity);
    for (const r of claimed) for (const l of r.lines as ReturnLine[]) units.set(l.productId, (units.get(l.productId) ?? 0) - l.quantity);
    return units;
  }

  const self = {
    /** A dealer's return request for delivered units of its own order; starts the orders-return process. */
    async request(raw: z.input<typeof requestInput>) {
      const input = parseInput(requestInput, raw, 'return');
      const key = `${input.dealerId}:${input.idempotencyKey}`;
      const replay = await returns().findOne({ where: { idempotencyKey: key } });
      if (replay) return { ...toReturn(replay), replayed: true };
      const order = await strapi.db.query(ORDER as any).findOne({ where: { id: input.orderId, dealerId: input.dealerId } });
      if (!order) throw notFound('Order', input.orderId);
      const orderLines: any[] = await strapi.db.query(ORDER_LINE as any).findMany({ where: { orderId: order.id } });
      const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(order.dealerId);
      const created = await strapi.db
        .transaction(async () => {
          const left = await returnable(order.id);
          const issues: Array<{ path: string; message: string }> = [];
          const lines: ReturnLine[] = [];
          input.lines.forEach((line, i) => {
            const orderLine = orderLines.find((l) => l.sku === line.sku);
            const available = orderLine ? (left.get(orderLine.productId) ?? 0) : 0;
            if (!orderLine) issues.push({ path: `lines.${i}.sku`, message: `${line.sku} is not on order ${order.number}` });
            else if (line.quantity > available) issues.push({ path: `lines.${i}.quantity`, message: `${available} of ${line.sku} delivered on ${order.number} can still be returned, not ${line.quantity}` });
            else lines.push({ productId: orderLine.productId, sku: line.sku, quantity: line.quantity, unitPriceMinor: Number(orderLine.unitPriceMinor) });
          });
          if (issues.length) throw new ChannelflowError('BAD_INPUT', `The return cannot be requested: ${issues.map((i) => i.message).join('; ')}`, { issues });
          // Goods go back where they came from: the warehouse of the order's first delivered shipment.
          const shipment = await strapi.db.query(SHIPMENT as any).findOne({ where: { orderId: order.id, deliveryStatus: 'delivered' }, orderBy: { id: 'asc' } });
          const row = await returns().create({
            data: {
              number: `RMA-${order.number.slice(3)}-${randomBytes(2).toString('hex').toUpperCase()}`,
              orderId: order.id,
              orderNumber: order.number,
              dealerId: order.dealerId,
              dealerCode: order.dealerCode,
              lines,
              reason: input.reason,
              requestedBy: input.requestedBy,
              idempotencyKey: key,
              warehouseId: shipment?.warehouseId ?? null,
              warehouseCode: shipment?.warehouseCode ?? null,
              currency: order.currency,
              totalMinor: lines.reduce((sum, l) => sum + l.unitPriceMinor * l.quantity, 0),
              ...returnStateMachine.initial('requested', { by: input.requestedBy, note: input.reason }),
            },
          });
          // Started after the commit by the platform outbox (retried until it runs): no return waits without its process.
          await afterCommit(strapi).startProcess({
            bpmnProcessId: RETURN_PROCESS,
            businessKey: row.number,
            idempotencyKey: `orders.return:${row.number}`,
            variables: { returnId: row.id, returnNumber: row.number, orderNumber: order.number, dealerCode: order.dealerCode, regionCode: dealer?.regionCode ?? null, totalMinor: Number(row.totalMinor), currency: row.currency, requestedBy: input.requestedBy },
            recordKeyOn: { uid: RETURN_REQUEST, id: row.id, fields: ['processInstanceKey'] },
          });
          return { ...row, fresh: true };
        })
        .catch(async (error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
          const first = await returns().findOne({ where: { idempotencyKey: key } });
          if (first) return first;
          throw error;
        });
      if (!created.fresh) return { ...toReturn(created), replayed: true };
      // Usually started by now (the key is in the answer); if the engine is away the outbox keeps trying.
      await afterCommit(strapi).settle(`orders.return:${created.number}`);
      return { ...toReturn(await load(created.id)), replayed: false };
    },

    async approve(returnId: number, by: string, note: string | null, warehouseCode: string | null) {
      const current = await load(returnId);
      if (current.returnStatus !== 'requested') return toReturn(current);
      let warehouse: { id: number; code: string } | null = null;
      if (warehouseCode) {
        warehouse = await strapi.db.query(WAREHOUSE).findOne({ where: { code: warehouseCode }, select: ['id', 'code'] });
        if (!warehouse) throw new ChannelflowError('BAD_INPUT', `There is no warehouse ${warehouseCode}`);
      }
      return toReturn(await move(current, 'approved', by, note, warehouse ? { warehouseId: warehouse.id, warehouseCode: warehouse.code } : {}));
    },

    async reject(returnId: number, by: string, note: string | null) {
      const current = await load(returnId);
      if (current.returnStatus !== 'requested') return toReturn(current);
      return toReturn(await move(current, 'rejected', by, note));
    },

    /**
     * The goods arrived: back into the warehouse's stock, and a credit note for them on the ledger
     * (applied to the order's open invoices first). Once per return, also when the job repeats.
     */
    async receiveAndCredit(returnId: number, receivedBy: string) {
      return strapi.db.transaction(async ({ trx }: { trx: any }) => {
        const current = await load(returnId);
        if (current.returnStatus === 'credited') return toReturn(current);
        if (current.returnStatus !== 'approved') throw conflict(`Return ${current.number} is ${current.returnStatus}; only approved returns are received`);
        if (!current.warehouseId) throw new ChannelflowError('BAD_INPUT', `Return ${current.number} has no receiving warehouse; approve it naming one`);
        const totalMinor = Number(current.totalMinor);
        const creditNoteNumber = `CN-${current.number.slice(4)}`;
        await credit().post({ dealerId: current.dealerId, kind: 'credit_note', amountCents: totalMinor, currency: current.currency, idempotencyKey: `credit-note:${current.number}`, reference: creditNoteNumber, note: `return ${current.number} of order ${current.orderNumber}`, actor: receivedBy });
        // Credit before stock, the order every writer locks in.
        const stock = service(strapi, 'orders', 'stock');
        for (const line of current.lines as ReturnLine[]) {
          await stock.ensureLevel(line.productId, current.warehouseId);
          await stock.apply(trx, { productId: line.productId, warehouseId: current.warehouseId, kind: 'return', quantity: line.quantity, idempotencyKey: `${current.number}:return:${line.productId}`, orderId: current.orderId, reference: current.number, actor: receivedBy });
        }

        let left = totalMinor;
        const invoices: any[] = await strapi.db.query(INVOICE as any).findMany({ where: { orderId: current.orderId, paymentStatus: 'open' }, orderBy: { id: 'asc' } });
        for (const invoice of invoices) {
          if (left === 0) break;
          const open = Number(invoice.totalMinor) - Number(invoice.paidMinor) - Number(invoice.creditedMinor);
          const applied = Math.min(open, left);
          if (applied <= 0) continue;
          left -= applied;
          const creditedMinor = Number(invoice.creditedMinor) + applied;
          await strapi.db.query(INVOICE as any).update({ where: { id: invoice.id }, data: { creditedMinor, paymentStatus: Number(invoice.paidMinor) + creditedMinor >= Number(invoice.totalMinor) ? 'paid' : 'open' } });
        }
        const credited = await move(current, 'credited', receivedBy, `credit note ${creditNoteNumber}`, { creditNoteNumber });
        await afterCommit(strapi).emit(
          CREDIT_NOTE_ISSUED,
          { creditNoteNumber, returnNumber: current.number, orderNumber: current.orderNumber, dealerId: current.dealerId, dealerCode: current.dealerCode, currency: current.currency, totalMinor },
          { eventId: `${CREDIT_NOTE_ISSUED}:${creditNoteNumber}` },
        );
        await service(strapi, 'orders', 'orders').refreshStatus(current.orderId, receivedBy);
        return toReturn(credited);
      });
    },

    async list(filter: { dealerId?: number; dealerIds?: number[] | null; status?: ReturnStatus }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = { ...dealerWhere(filter), ...(filter.status ? { returnStatus: filter.status } : {}) };
      const [rows, total] = await Promise.all([returns().findMany({ where, orderBy: { id: 'desc' }, offset: (page.page - 1) * page.pageSize, limit: page.pageSize }), returns().count({ where })]);
      return { nodes: rows.map(toReturn), total, ...page };
    },

    async detail(returnId: number) {
      return toReturn(await load(returnId));
    },
  };
  return self;
};

export function toReturn(r: any) {
  return {
    id: r.id,
    number: r.number,
    orderId: r.orderId,
    orderNumber: r.orderNumber,
    dealerId: r.dealerId,
    dealerCode: r.dealerCode,
    status: r.returnStatus as ReturnStatus,
    lines: (r.lines as ReturnLine[]).map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
    reason: r.reason,
    requestedBy: r.requestedBy,
    warehouseCode: r.warehouseCode ?? null,
    currency: r.currency,
    totalMinor: Number(r.totalMinor),
    creditNoteNumber: r.creditNoteNumber ?? null,
    history: returnStateMachine.historyOf(r),
  };
}
