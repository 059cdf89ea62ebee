import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { actorName, ChannelflowError, dealerScope, parseArgs, parsePage, staffListScope, staffScope, type GraphqlExtension, type StaffActor, service } from '@channelflow/sdk';
import { parsePaymentCsv } from '../services/payment-csv';
import { money } from './types';

const CSV_MAX_BYTES = 2 * 1024 * 1024;

/** Invoices and payments: finance posts and imports payments; dealers read their own. */
/** A function of the Strapi instance: its field resolvers (run after the root resolver's scope check) need it. */
export const billingGraphql = (strapi: Core.Strapi): GraphqlExtension => ({
  typeDefs: /* GraphQL */ `
    enum InvoiceStatus { open paid }
    type InvoiceLine { sku: String! quantity: Int! unitPrice: Money! lineTotal: Money! }
    type Invoice {
      number: String!
      orderNumber: String!
      dealerCode: String!
      issuedOn: String!
      dueDate: String!
      status: InvoiceStatus!
      total: Money!
      paid: Money!
      credited: Money!
      open: Money!
      lines: [InvoiceLine!]!
    }
    type InvoicePage { nodes: [Invoice!]! total: Int! page: Int! pageSize: Int! }
    type Payment { id: ID! invoiceNumber: String! amount: Money! paidOn: String! reference: String source: String! createdAt: String }
    type PaymentPage { nodes: [Payment!]! total: Int! page: Int! pageSize: Int! }
    type PostedPayment { payment: Payment! replayed: Boolean! }
    enum PaymentImportRowStatus { imported already_imported refused }
    type PaymentImportRow { line: Int! invoiceNumber: String status: PaymentImportRowStatus! code: String message: String! }
    type PaymentImportReport { imported: Int! alreadyImported: Int! refused: Int! rows: [PaymentImportRow!]! }
    extend type Order { invoices: [Invoice!]! }
    extend type DealerOrder { invoices: [Invoice!]! }
    extend type Query {
      "Staff: invoices of the dealers I reach, newest first."
      invoices(dealerCode: String, status: InvoiceStatus, page: Int, pageSize: Int): InvoicePage!
      "Staff: payments of the dealers I reach, newest first."
      payments(dealerCode: String, page: Int, pageSize: Int): PaymentPage!
      "Dealer portal: my invoices, newest first."
      myInvoices(status: InvoiceStatus, page: Int, pageSize: Int): InvoicePage!
      "Dealer portal: my payments, newest first."
      myPayments(page: Int, pageSize: Int): PaymentPage!
    }
    extend type Mutation {
      "Finance: a payment received against one invoice; refused with OVERPAYMENT beyond what it still owes. The idempotency key makes a repeat harmless."
      postPayment(invoiceNumber: String!, amountMinor: Long!, paidOn: String!, reference: String, idempotencyKey: String!): PostedPayment!
      "Finance: import a CSV of payments (columns invoice_number, amount, currency, paid_on, reference). Each row is posted or refused on its own; the report says which and why. Importing a file again posts nothing twice."
      importPayments(csv: String!): PaymentImportReport!
    }
  `,
  resolvers: {
    Query: {
      invoices: staffScope('orders.read-invoices', async (args, { strapi, actor }) => {
        const page = await service(strapi, 'orders', 'billing').invoices({ ...(await staffListScope(strapi, actor, args.dealerCode)), status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toInvoiceView) };
      }),
      payments: staffScope('orders.read-invoices', async (args, { strapi, actor }) => {
        const page = await service(strapi, 'orders', 'billing').payments(await staffListScope(strapi, actor, args.dealerCode), parsePage(args));
        return { ...page, nodes: page.nodes.map(toPaymentView) };
      }),
      myInvoices: dealerScope(async (args, { strapi, dealer }) => {
        const page = await service(strapi, 'orders', 'billing').invoices({ dealerId: dealer.id, status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toInvoiceView) };
      }),
      myPayments: dealerScope(async (args, { strapi, dealer }) => {
        const page = await service(strapi, 'orders', 'billing').payments({ dealerId: dealer.id }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toPaymentView) };
      }),
    },
    Mutation: {
      postPayment: staffScope('orders.post-payments', async (args, { strapi, actor }) => {
        const posted = await service(strapi, 'orders', 'billing').postPayment({
          invoiceNumber: args.invoiceNumber,
          amountMinor: Number(args.amountMinor),
          paidOn: args.paidOn,
          reference: args.reference ?? undefined,
          idempotencyKey: args.idempotencyKey,
          postedBy: actorName(actor),
        });
        return { payment: toPaymentView(posted), replayed: posted.replayed };
      }),
      importPayments: staffScope('orders.post-payments', async (args, { strapi, actor }) => {
        const { csv } = parseArgs(z.object({ csv: z.string().min(1, 'the CSV is empty') }), args);
        if (Buffer.byteLength(csv, 'utf8') > CSV_MAX_BYTES) throw new ChannelflowError('FILE_TOO_LARGE', `A payment CSV may be ${CSV_MAX_BYTES / 1024 / 1024} MB at most; split the file`);
        const parsed = parsePaymentCsv(csv);
        const posted = await service(strapi, 'orders', 'billing').importPayments(parsed.rows, actorName(actor));
        const rows = [...parsed.errors.map((e) => ({ line: e.line, invoiceNumber: null, status: 'refused' as const, code: 'BAD_INPUT', message: e.message })), ...posted].sort((a, b) => a.line - b.line);
        return {
          imported: rows.filter((r) => r.status === 'imported').length,
          alreadyImported: rows.filter((r) => r.status === 'already_imported').length,
          refused: rows.filter((r) => r.status === 'refused').length,
          rows,
        };
      }),
    },
    Order: {
      invoices: (order: { id: number }) => invoicesOf(strapi, order.id),
    },
    DealerOrder: {
      invoices: (order: { id: number }) => invoicesOf(strapi, order.id),
    },
  },
});

async function invoicesOf(strapi: Core.Strapi, orderId: number) {
  const page = await service(strapi, 'orders', 'billing').invoices({ orderId }, { page: 1, pageSize: 100 });
  return page.nodes.map(toInvoiceView);
}

function toInvoiceView(i: any) {
  return {
    ...i,
    total: money(i.totalMinor, i.currency),
    paid: money(i.paidMinor, i.currency),
    credited: money(i.creditedMinor, i.currency),
    open: money(i.openMinor, i.currency),
    lines: i.lines.map((l: any) => ({ sku: l.sku, quantity: l.quantity, unitPrice: money(l.unitPriceMinor, i.currency), lineTotal: money(l.lineTotalMinor, i.currency) })),
  };
}

function toPaymentView(p: any) {
  return { ...p, amount: money(p.amountMinor, p.currency) };
}


