import { createHash } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, dealerWhere, formatMinor, forUpdate, isChannelflowError, isoDate, isUniqueViolation, notFound, parseInput, today, service } from '@channelflow/sdk';
import { INVOICE_ISSUED } from '../events';
import { INVOICE, INVOICE_LINE, ORDER, ORDER_LINE, PAYMENT, PRODUCT, SHIPMENT } from '../uids';

const INVOICES_TABLE = 'order_invoices';

const paymentInput = z.object({
  invoiceNumber: z.string().trim().min(1).max(40),
  amountMinor: z.number().int('amounts are integer minor units (cents)').positive('a payment is more than zero').max(1e13),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  paidOn: isoDate,
  reference: z.string().trim().max(200).optional(),
  idempotencyKey: z.string().trim().min(8, 'idempotency keys have at least 8 characters').max(200),
  source: z.enum(['manual', 'import']).default('manual'),
  postedBy: z.string().min(1).max(200),
});

type Trx = any;

/**
 * Invoices and payments. A delivered shipment is invoiced once (numbered INV-<year>-<sequence>): the
 * order's credit reservation gives way to a receivable in the dealer's credit ledger, in one
 * transaction. Payments are matched to one invoice each and may not exceed what it still owes.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const invoices = () => strapi.db.query(INVOICE as any);
  const payments = () => strapi.db.query(PAYMENT as any);
  const credit = () => service(strapi, 'dealers', 'credit');

  /** The next number of the year; a lost race on the unique number retries with the following one. */
  async function nextInvoiceNumber(year: string): Promise<string> {
    const last = await invoices().findOne({ where: { number: { $startsWith: `INV-${year}-` } }, orderBy: { number: 'desc' }, select: ['number'] });
    const sequence = last ? Number(String(last.number).slice(`INV-${year}-`.length)) + 1 : 1;
    return `INV-${year}-${String(sequence).padStart(6, '0')}`;
  }

  async function invoiceShipment(shipment: any, order: any, issuedOn: string) {
    const orderLines: any[] = await strapi.db.query(ORDER_LINE as any).findMany({ where: { orderId: order.id } });
    const products: any[] = await strapi.db.query(PRODUCT).findMany({ where: { id: { $in: orderLines.map((l) => l.productId) } }, select: ['id', 'category'] });
    const lines = (shipment.lines as Array<{ productId: number; sku: string; quantity: number }>).map((l) => {
      const orderLine = orderLines.find((o) => o.productId === l.productId)!;
      const unitPriceMinor = Number(orderLine.unitPriceMinor);
      return { ...l, unitPriceMinor, lineTotalMinor: unitPriceMinor * l.quantity, category: products.find((p) => p.id === l.productId)?.category ?? null };
    });
    const totalMinor = lines.reduce((sum, l) => sum + l.lineTotalMinor, 0);
    const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(order.dealerId);
    for (let attempt = 0; ; attempt++) {
      const number = await nextInvoiceNumber(issuedOn.slice(0, 4));
      try {
        return await strapi.db.transaction(async () => {
          const fresh = await strapi.db.query(SHIPMENT as any).findOne({ where: { id: shipment.id }, select: ['invoiceId'] });
          if (fresh.invoiceId) return null; // invoiced by a concurrent or earlier run
          if (order.creditReservationKey) {
            await credit()
              .release({ reservationKey: order.creditReservationKey, idempotencyKey: `${order.creditReservationKey}:invoice:${shipment.number}`, amountCents: totalMinor, actor: 'platform' })
              .catch(async (error: unknown) => {
                // The reservation may hold less than the invoice (e.g. prices were rounded per shipment): give back what is left.
                if (!isChannelflowError(error) || error.code !== 'CONFLICT' || !(error.details as any)?.heldCents) throw error;
                await credit().release({ reservationKey: order.creditReservationKey, idempotencyKey: `${order.creditReservationKey}:invoice:${shipment.number}`, actor: 'platform' });
              });
          }
          const posted = await credit().post({ dealerId: order.dealerId, kind: 'invoice', amountCents: totalMinor, currency: order.currency, idempotencyKey: `invoice:${shipment.number}`, reference: number, entryDate: issuedOn, actor: 'platform' });
          const invoice = await invoices().create({
            data: {
              number,
              orderId: order.id,
              orderNumber: order.number,
              shipmentId: shipment.id,
              dealerId: order.dealerId,
              dealerCode: order.dealerCode,
              salesRep: dealer?.salesRep ?? null,
              salesTeam: dealer?.salesTeam ?? null,
              regionCode: dealer?.regionCode ?? null,
              issuedOn,
              dueDate: posted.dueDate ?? issuedOn,
              currency: order.currency,
              totalMinor,
              paidMinor: 0,
              creditedMinor: 0,
              paymentStatus: 'open',
            },
          });
          await strapi.db.query(INVOICE_LINE as any).createMany({
            data: lines.map((l) => ({ invoiceId: invoice.id, issuedOn, dealerId: order.dealerId, productId: l.productId, sku: l.sku, category: l.category, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor, lineTotalMinor: l.lineTotalMinor })),
          });
          await strapi.db.query(SHIPMENT as any).update({ where: { id: shipment.id }, data: { invoiceId: invoice.id } });
          await afterCommit(strapi).emit(
            INVOICE_ISSUED,
            { invoiceNumber: number, orderNumber: order.number, shipmentNumber: shipment.number, dealerId: order.dealerId, dealerCode: order.dealerCode, issuedOn, dueDate: String(invoice.dueDate ?? issuedOn), currency: order.currency, totalMinor },
            { eventId: `${INVOICE_ISSUED}:${number}` },
          );
          return invoice;
        });
      } catch (error) {
        if (isUniqueViolation(error) && attempt < 5) continue;
        throw error;
      }
    }
  }

  const self = {
    /** Invoices every delivered shipment of the order that has none yet; returns whether the order is now fully invoiced. */
    async invoiceDelivered(orderId: number, issuedOn = today()) {
      const order = await strapi.db.query(ORDER as any).findOne({ where: { id: orderId } });
      if (!order) throw notFound('Order', orderId);
      const delivered: any[] = await strapi.db.query(SHIPMENT as any).findMany({ where: { orderId, deliveryStatus: 'delivered', invoiceId: null }, orderBy: { id: 'asc' } });
      const issued: string[] = [];
      for (const shipment of delivered) {
        const invoice = await invoiceShipment(shipment, order, issuedOn);
        if (invoice) issued.push(invoice.number);
      }
      const refreshed = await service(strapi, 'orders', 'orders').refreshStatus(orderId, 'platform');
      return { issued, status: refreshed.orderStatus as string, fullyInvoiced: ['invoiced', 'closed'].includes(refreshed.orderStatus) };
    },

    /** A payment against one invoice. Over-paying it is refused (OVERPAYMENT); the same key twice posts once. */
    async postPayment(raw: z.input<typeof paymentInput>) {
      const input = parseInput(paymentInput, raw, 'payment');
      const replay = await payments().findOne({ where: { idempotencyKey: input.idempotencyKey } });
      if (replay) {
        if (replay.invoiceNumber !== input.invoiceNumber || Number(replay.amountMinor) !== input.amountMinor) {
          throw conflict(`Idempotency key ${input.idempotencyKey} was already used for a different payment`);
        }
        return { ...toPayment(replay), replayed: true };
      }
      const created = await strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const row = await forUpdate(strapi, trx(INVOICES_TABLE).where({ number: input.invoiceNumber })).first();
        if (!row) throw new ChannelflowError('NOT_FOUND', `There is no invoice ${input.invoiceNumber}`, { invoiceNumber: input.invoiceNumber });
        const invoice = await invoices().findOne({ where: { id: row.id } });
        if (input.currency && input.currency !== invoice.currency) throw new ChannelflowError('BAD_INPUT', `Invoice ${invoice.number} is in ${invoice.currency}, not ${input.currency}`);
        const openMinor = Number(invoice.totalMinor) - Number(invoice.paidMinor) - Number(invoice.creditedMinor);
        if (input.amountMinor > openMinor) {
          throw new ChannelflowError('OVERPAYMENT', `Invoice ${invoice.number} has ${formatMinor(openMinor, invoice.currency)} open; a payment of ${formatMinor(input.amountMinor, invoice.currency)} would over-pay it`, {
            invoiceNumber: invoice.number,
            openMinor,
          });
        }
        await credit().post({ dealerId: invoice.dealerId, kind: 'payment', amountCents: input.amountMinor, currency: invoice.currency, idempotencyKey: `payment:${input.idempotencyKey}`, reference: invoice.number, entryDate: input.paidOn, note: input.reference, actor: input.postedBy });
        const payment = await payments().create({
          data: { invoiceId: invoice.id, invoiceNumber: invoice.number, dealerId: invoice.dealerId, amountMinor: input.amountMinor, currency: invoice.currency, paidOn: input.paidOn, reference: input.reference ?? null, idempotencyKey: input.idempotencyKey, source: input.source, postedBy: input.postedBy },
        });
        const paidMinor = Number(invoice.paidMinor) + input.amountMinor;
        await invoices().update({ where: { id: invoice.id }, data: { paidMinor, paymentStatus: paidMinor + Number(invoice.creditedMinor) >= Number(invoice.totalMinor) ? 'paid' : 'open' } });
        await service(strapi, 'orders', 'orders').refreshStatus(invoice.orderId, input.postedBy);
        return payment;
      });
      return { ...toPayment(created), replayed: false };
    },

    /**
     * Imports parsed CSV rows one by one: each row is its own payment (own transaction), so a bad
     * row is refused with its reason and the rest are imported. Importing the same file again
     * posts nothing twice (each row's key is derived from its contents).
     */
    async importPayments(rows: Array<{ line: number; invoiceNumber: string; amountMinor: number; currency: string; paidOn: string; reference: string | null }>, postedBy: string) {
      const report: Array<{ line: number; invoiceNumber: string | null; status: 'imported' | 'already_imported' | 'refused'; code: string | null; message: string }> = [];
      for (const row of rows) {
        const idempotencyKey = `import:${createHash('sha256').update(JSON.stringify([row.invoiceNumber, row.amountMinor, row.currency, row.paidOn, row.reference])).digest('hex').slice(0, 40)}`;
        try {
          const payment = await self.postPayment({ invoiceNumber: row.invoiceNumber, amountMinor: row.amountMinor, currency: row.currency, paidOn: row.paidOn, reference: row.reference ?? undefined, idempotencyKey, source: 'import', postedBy });
          report.push({ line: row.line, invoiceNumber: row.invoiceNumber, status: payment.replayed ? 'already_imported' : 'imported', code: null, message: payment.replayed ? 'imported before; not posted again' : `posted ${formatMinor(row.amountMinor, payment.currency)}` });
        } catch (error) {
          if (!isChannelflowError(error)) throw error;
          report.push({ line: row.line, invoiceNumber: row.invoiceNumber, status: 'refused', code: error.code, message: error.message });
        }
      }
      return report;
    },

    async invoices(filter: { dealerId?: number; dealerIds?: number[] | null; status?: 'open' | 'paid'; orderId?: number }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = dealerWhere(filter);
      if (filter.status) where.paymentStatus = filter.status;
      if (filter.orderId) where.orderId = filter.orderId;
      const [rows, total] = await Promise.all([
        invoices().findMany({ where, orderBy: [{ issuedOn: 'desc' }, { id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        invoices().count({ where }),
      ]);
      const lines: any[] = rows.length ? await strapi.db.query(INVOICE_LINE as any).findMany({ where: { invoiceId: { $in: rows.map((r: any) => r.id) } }, orderBy: { id: 'asc' } }) : [];
      return { nodes: rows.map((r: any) => toInvoice(r, lines.filter((l) => l.invoiceId === r.id))), total, ...page };
    },

    async invoiceByNumber(number: string) {
      const row = await invoices().findOne({ where: { number } });
      if (!row) return null;
      return toInvoice(row, await strapi.db.query(INVOICE_LINE as any).findMany({ where: { invoiceId: row.id }, orderBy: { id: 'asc' } }));
    },

    async payments(filter: { dealerId?: number; dealerIds?: number[] | null; invoiceId?: number }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = dealerWhere(filter);
      if (filter.invoiceId) where.invoiceId = filter.invoiceId;
      const [rows, total] = await Promise.all([
        payments().findMany({ where, orderBy: [{ paidOn: 'desc' }, { id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        payments().count({ where }),
      ]);
      return { nodes: rows.map(toPayment), total, ...page };
    },
  };
  return self;
};

export function toInvoice(i: any, lines: any[]) {
  const totalMinor = Number(i.totalMinor);
  const paidMinor = Number(i.paidMinor);
  const creditedMinor = Number(i.creditedMinor);
  return {
    id: i.id,
    number: i.number,
    orderId: i.orderId,
    orderNumber: i.orderNumber,
    dealerId: i.dealerId,
    dealerCode: i.dealerCode,
    salesRep: i.salesRep ?? null,
    salesTeam: i.salesTeam ?? null,
    regionCode: i.regionCode ?? null,
    issuedOn: String(i.issuedOn).slice(0, 10),
    dueDate: String(i.dueDate).slice(0, 10),
    currency: i.currency,
    totalMinor,
    paidMinor,
    creditedMinor,
    openMinor: totalMinor - paidMinor - creditedMinor,
    status: i.paymentStatus as 'open' | 'paid',
    lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: Number(l.unitPriceMinor), lineTotalMinor: Number(l.lineTotalMinor) })),
  };
}

function toPayment(p: any) {
  return {
    id: p.id,
    invoiceNumber: p.invoiceNumber,
    dealerId: p.dealerId,
    amountMinor: Number(p.amountMinor),
    currency: p.currency,
    paidOn: String(p.paidOn).slice(0, 10),
    reference: p.reference ?? null,
    source: p.source,
    postedBy: p.postedBy,
    createdAt: p.createdAt ? new Date(p.createdAt).toISOString() : null,
  };
}


