import { z } from 'zod';
import { parseInput, staffScope, type GraphqlExtension, service } from '@channelflow/sdk';
import { REPORT_LOCALES, type ReportLocale } from '../services/report-workbook';
import { money } from './types';

/** Staff reports (sales performance, receivables, stock) and their Excel exports. */
export const reportsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum SalesReportGroup { dealer rep team region product }
    type SalesReportRow { key: String! "What the key stands for: the dealer's, rep's, team's, region's or product's name." name: String invoices: Int! quantity: Int! amount: Money! }
    type SalesReportTotals { invoices: Int! quantity: Int! amountMinor: Long! }
    type SalesReport { from: String! to: String! groupBy: SalesReportGroup! rows: [SalesReportRow!]! totals: SalesReportTotals! }
    type ReceivablesRow { dealerCode: String! dealerName: String! receivable: Money! overdue: Money! current: Money! days1to30: Money! days31to60: Money! days61to90: Money! over90: Money! }
    type ReceivablesTotals { receivableMinor: Long! overdueMinor: Long! current: Long! days1to30: Long! days31to60: Long! days61to90: Long! over90: Long! }
    type ReceivablesReport { asOf: String! rows: [ReceivablesRow!]! totals: ReceivablesTotals! }
    type ReplenishmentSuggestion { kind: String! quantity: Int! fromWarehouseCode: String reason: String! }
    type StockReportRow {
      warehouseCode: String! sku: String! name: String! onHand: Int! reserved: Int! available: Int! inTransit: Int! safetyStock: Int! value: Money!
      days0to30: Int! days31to60: Int! days61to90: Int! days91to180: Int! over180: Int! averageAgeDays: Float!
      "Units shipped from here in the last 12 months, and the economic order quantity they give."
      annualDemand: Int! economicOrderQuantity: Int!
      "What to do when the level is below its safety stock: a transfer from another warehouse, or a purchase."
      replenishment: ReplenishmentSuggestion
    }
    type StockReportTotals { onHand: Int! reserved: Int! available: Int! inTransit: Int! valueMinor: Long! }
    type StockReport { asOf: String! rows: [StockReportRow!]! totals: StockReportTotals! }
    type ReportFile { filename: String! contentType: String! "The .xlsx file, base64-encoded." base64: String! }
    extend type Query {
      "Staff: invoiced sales (业绩) between two dates (YYYY-MM-DD, by invoice date), grouped by dealer, rep, team, region or product; sales reps see their dealers only."
      salesReport(from: String!, to: String!, groupBy: SalesReportGroup!): SalesReport!
      "Staff: receivables per dealer with ageing, as of today."
      receivablesReport: ReceivablesReport!
      "Staff: stock by warehouse with stock age and replenishment suggestions."
      stockReport(warehouseCode: String): StockReport!
      "Staff: a report as an Excel workbook, headers in \`locale\` (zh-CN by default, or en), with the period and filters in its title row; its totals row equals the report's totals."
      exportSalesReport(from: String!, to: String!, groupBy: SalesReportGroup!, locale: String): ReportFile!
      exportReceivablesReport(locale: String): ReportFile!
      exportStockReport(warehouseCode: String, locale: String): ReportFile!
    }
  `,
  resolvers: {
    Query: {
      salesReport: staffScope('orders.read-reports', async (args, { strapi, actor }) => toSalesView(await sales(strapi, actor, args))),
      receivablesReport: staffScope('orders.read-reports', async (_args, { strapi, actor }) => toReceivablesView(await receivables(strapi, actor))),
      stockReport: staffScope('orders.read-stock', async (args, { strapi }) => toStockView(await service(strapi, 'orders', 'reports').stock({ warehouseCode: args.warehouseCode ?? undefined }))),
      exportSalesReport: staffScope('orders.read-reports', async (args, { strapi, actor }) => {
        const locale = reportLocale(args);
        return service(strapi, 'orders', 'reports').exportXlsx('sales', await sales(strapi, actor, args), await reach(strapi, actor), locale);
      }),
      exportReceivablesReport: staffScope('orders.read-reports', async (args, { strapi, actor }) => {
        const locale = reportLocale(args);
        return service(strapi, 'orders', 'reports').exportXlsx('receivables', await receivables(strapi, actor), await reach(strapi, actor), locale);
      }),
      exportStockReport: staffScope('orders.read-stock', async (args, { strapi }) => {
        const locale = reportLocale(args);
        const report = await service(strapi, 'orders', 'reports').stock({ warehouseCode: args.warehouseCode ?? undefined });
        return service(strapi, 'orders', 'reports').exportXlsx('stock', report, { reach: null, warehouseCode: args.warehouseCode ?? null }, locale);
      }),
    },
  },
};

async function sales(strapi: any, actor: any, args: any) {
  const dealerIds = await service(strapi, 'dealers', 'dealers').reachableIds(actor);
  return service(strapi, 'orders', 'reports').sales({ from: args.from, to: args.to, groupBy: args.groupBy, dealerIds });
}

/** Whom the export covers, for its title row: every dealer, or the number a rep follows. */
async function reach(strapi: any, actor: any) {
  const ids = await service(strapi, 'dealers', 'dealers').reachableIds(actor);
  return { reach: ids === null ? null : ids.length };
}

function reportLocale(args: { locale?: string | null }): ReportLocale {
  return parseInput(z.object({ locale: z.enum(REPORT_LOCALES).default('zh-CN') }), { locale: args.locale ?? undefined }, 'export').locale;
}

async function receivables(strapi: any, actor: any) {
  return service(strapi, 'orders', 'reports').receivables(await service(strapi, 'dealers', 'dealers').reachableIds(actor));
}

function toSalesView(report: any) {
  return { ...report, rows: report.rows.map((r: any) => ({ ...r, amount: money(r.amountMinor, r.currency) })) };
}

function toReceivablesView(report: any) {
  const fields = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90'];
  return {
    ...report,
    rows: report.rows.map((r: any) => ({ ...r, receivable: money(r.receivableMinor, r.currency), overdue: money(r.overdueMinor, r.currency), ...Object.fromEntries(fields.map((f) => [f, money(r[f], r.currency)])) })),
  };
}

function toStockView(report: any) {
  return { ...report, rows: report.rows.map((r: any) => ({ ...r, value: money(r.valueMinor, r.currency) })) };
}
