import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { dayOf, isChannelflowError, isoDate, parseInput, today, service } from '@channelflow/sdk';
import { STOCK_MOVEMENT } from '../uids';
import { ordersOptions } from '../options';
import { annualDemand, economicOrderQuantity, suggestReplenishment } from './replenishment';
import { reportWorkbook, type ReportKind, type ReportLocale, type ReportScope } from './report-workbook';
import { stockAge } from './stock-age';

const salesInput = z
  .object({ from: isoDate, to: isoDate, groupBy: z.enum(['dealer', 'rep', 'team', 'region', 'product']), dealerIds: z.array(z.number().int()).nullable() })
  .refine((r) => r.from <= r.to, { message: 'from must not be after to', path: ['to'] });

export type SalesGroup = 'dealer' | 'rep' | 'team' | 'region' | 'product';
/** What an invoice line is counted under for each grouping (invoices keep the rep, team and region they had when issued). */
const GROUP_COLUMN: Record<SalesGroup, string> = { dealer: 'i.dealer_code', rep: 'i.sales_rep', team: 'i.sales_team', region: 'i.region_code', product: 'l.sku' };

/**
 * Staff reports. Sales count invoiced lines only (业绩 = orders that carry an invoice number), by the
 * invoice date; receivables come from the dealers' credit ledgers with ageing; stock shows each
 * level with its FIFO age and the replenishment it needs. Each report exports to .xlsx with the
 * same rows and a totals row equal to the report's totals.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  // Reports read outside any transaction; the one connection pool serves them.
  const knex = () => strapi.db.connection;

  /** Every dealer's id, through the dealers plug-in's list. */
  async function allDealerIds(): Promise<number[]> {
    const ids: number[] = [];
    for (let page = 1; ; page += 1) {
      const found = await service(strapi, 'dealers', 'dealers').list({}, page, 100);
      ids.push(...found.nodes.map((d: { id: number }) => d.id));
      if (found.nodes.length < 100 || ids.length >= found.total) return ids;
    }
  }

  /** What a sales group's code stands for: a dealer's name and region, a rep's name, a team's, a region's or a product's name. */
  async function namesOf(groupBy: SalesGroup, keys: string[]): Promise<Map<string, { name: string | null; regionCode?: string | null }>> {
    const names = new Map<string, { name: string | null; regionCode?: string | null }>();
    const codes = keys.filter((k) => k !== '(none)');
    if (!codes.length) return names;
    if (groupBy === 'dealer') {
      const dealers = service(strapi, 'dealers', 'dealers');
      for (const code of codes) {
        const ref = await dealers.findByCode(code);
        const profile = ref ? await dealers.commercialProfile(ref.id) : null;
        names.set(code, { name: profile?.name ?? null, regionCode: profile?.regionCode ?? null });
      }
      return names;
    }
    const [uid, keyField, nameField] = {
      rep: ['plugin::users-permissions.user', 'email', 'username'],
      team: ['api::sales-team.sales-team', 'code', 'name'],
      region: ['api::region.region', 'code', 'name'],
      product: ['plugin::orders.product', 'sku', 'name'],
    }[groupBy] as [string, string, string];
    for (const row of await strapi.db.query(uid as any).findMany({ where: { [keyField]: { $in: codes } }, select: [keyField, nameField] })) names.set(row[keyField], { name: row[nameField] ?? null });
    return names;
  }

  const self = {
    async sales(raw: z.input<typeof salesInput>) {
      const input = parseInput(salesInput, raw, 'sales report');
      const column = GROUP_COLUMN[input.groupBy];
      let query = knex()('order_invoice_lines as l')
        .join('order_invoices as i', 'i.id', 'l.invoice_id')
        .whereBetween('l.issued_on', [input.from, input.to])
        .groupBy(column, 'i.currency')
        .select(knex().raw(`${column} as key`), 'i.currency as currency')
        .sum({ quantity: 'l.quantity', amountMinor: 'l.line_total_minor' })
        .countDistinct({ invoices: 'i.id' })
        .orderBy([{ column: 'amountMinor', order: 'desc' }, { column: 'key', order: 'asc' }]);
      let totalsQuery = knex()('order_invoice_lines as l')
        .join('order_invoices as i', 'i.id', 'l.invoice_id')
        .whereBetween('l.issued_on', [input.from, input.to])
        .sum({ quantity: 'l.quantity', amountMinor: 'l.line_total_minor' })
        .countDistinct({ invoices: 'i.id' });
      if (input.dealerIds) {
        const ids = input.dealerIds.length ? input.dealerIds : [-1];
        query = query.whereIn('l.dealer_id', ids);
        totalsQuery = totalsQuery.whereIn('l.dealer_id', ids);
      }
      const grouped = (await query).map((r: any) => ({ key: r.key ?? '(none)', currency: r.currency, quantity: Number(r.quantity), amountMinor: Number(r.amountMinor), invoices: Number(r.invoices) }));
      const named = await namesOf(input.groupBy, grouped.map((r) => r.key));
      const rows = grouped.map((r) => ({ ...r, name: named.get(r.key)?.name ?? null, regionCode: named.get(r.key)?.regionCode ?? null }));
      // Totals come from the lines themselves: an invoice under two products counts once.
      const [t] = await totalsQuery;
      const totals = { quantity: Number(t?.quantity ?? 0), amountMinor: Number(t?.amountMinor ?? 0), invoices: Number(t?.invoices ?? 0) };
      return { from: input.from, to: input.to, groupBy: input.groupBy, rows, totals };
    },

    /** Receivables (应收账款) per dealer with ageing, as of today, from each dealer's credit ledger. */
    async receivables(dealerIds: number[] | null) {
      const credit = service(strapi, 'dealers', 'credit');
      const dealers = service(strapi, 'dealers', 'dealers');
      const rows: Array<{ dealerCode: string; dealerName: string; regionCode: string | null; currency: string; receivableMinor: number; overdueMinor: number; current: number; days1to30: number; days31to60: number; days61to90: number; over90: number }> = [];
      // Through the dealers plug-in's services: its credit ledger is its own (a dealer without an account owes nothing).
      for (const dealerId of dealerIds ?? (await allDealerIds())) {
        const summary = await credit.summary(dealerId).catch((error: unknown) => {
          if (isChannelflowError(error) && error.code === 'NOT_FOUND') return null;
          throw error;
        });
        if (!summary || summary.receivableCents === 0) continue;
        const profile = await dealers.commercialProfile(dealerId);
        rows.push({ dealerCode: profile?.code ?? String(dealerId), dealerName: profile?.name ?? '', regionCode: profile?.regionCode ?? null, currency: summary.currency, receivableMinor: summary.receivableCents, overdueMinor: summary.overdueCents, ...summary.ageing });
      }
      rows.sort((a, b) => b.receivableMinor - a.receivableMinor || a.dealerCode.localeCompare(b.dealerCode));
      const sum = (field: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + (r[field] as number), 0);
      return {
        asOf: today(),
        rows,
        totals: { receivableMinor: sum('receivableMinor'), overdueMinor: sum('overdueMinor'), current: sum('current'), days1to30: sum('days1to30'), days31to60: sum('days31to60'), days61to90: sum('days61to90'), over90: sum('over90') },
      };
    },

    /** Every stock level with its FIFO stock age (库龄) and, when below safety stock, what to do (transfer or purchase, EOQ-sized). */
    async stock(filter: { warehouseCode?: string }) {
      const asOf = today();
      const levels: any[] = await service(strapi, 'orders', 'stock').levels();
      const warehouses: any[] = await service(strapi, 'orders', 'catalog').warehouses();
      const levelOf = new Map(warehouses.map((w) => [w.code, w.level]));
      const products: any[] = await strapi.db.query('plugin::orders.product').findMany({ select: ['id', 'sku', 'name', 'basePriceMinor', 'unitCostMinor', 'currency'] });
      const productOf = new Map(products.map((p) => [p.id, p]));
      const yearAgo = new Date(Date.now() - 366 * 86_400_000);
      const movements: any[] = await strapi.db.query(STOCK_MOVEMENT as any).findMany({
        where: { kind: { $in: ['receipt', 'transfer_in', 'return', 'shipment'] } },
        select: ['productId', 'warehouseId', 'kind', 'quantity', 'createdAt'],
      });
      const day = (m: any) => dayOf(m.createdAt);
      const costs = replenishmentCosts(strapi);
      const rows = levels
        .filter((l) => !filter.warehouseCode || l.warehouseCode === filter.warehouseCode)
        .map((l) => {
          const own = movements.filter((m) => m.productId === l.productId && m.warehouseId === l.warehouseId);
          const age = stockAge(own.filter((m) => m.kind !== 'shipment').map((m) => ({ day: day(m), quantity: m.quantity })), l.onHand, asOf);
          const product = productOf.get(l.productId);
          const unitCostMinor = Number(product?.unitCostMinor ?? product?.basePriceMinor ?? 0);
          const demand = annualDemand(own.filter((m) => m.kind === 'shipment' && new Date(m.createdAt) >= yearAgo).map((m) => ({ day: day(m), quantity: m.quantity })), asOf);
          const eoq = demand > 0 && unitCostMinor > 0 ? economicOrderQuantity({ annualDemand: demand, orderCostMinor: costs.orderCostMinor, unitCostMinor, holdingRateBasisPoints: costs.holdingRateBasisPoints }) : 0;
          const suggestion = suggestReplenishment({
            level: { warehouseCode: l.warehouseCode, onHand: l.onHand, reserved: l.reserved, inTransit: l.inTransit, safetyStock: l.safetyStock },
            otherLevels: levels.filter((o) => o.productId === l.productId && o.warehouseId !== l.warehouseId).map((o) => ({ warehouseCode: o.warehouseCode, onHand: o.onHand, reserved: o.reserved, safetyStock: o.safetyStock, level: levelOf.get(o.warehouseCode) ?? 'regional' })),
            eoq,
          });
          return {
            warehouseCode: l.warehouseCode,
            sku: l.sku,
            name: product?.name ?? '',
            currency: product?.currency ?? 'CNY',
            onHand: l.onHand,
            reserved: l.reserved,
            available: l.available,
            inTransit: l.inTransit,
            safetyStock: l.safetyStock,
            valueMinor: l.onHand * unitCostMinor,
            ...age.buckets,
            averageAgeDays: age.averageAgeDays,
            annualDemand: demand,
            economicOrderQuantity: eoq,
            replenishment: suggestion,
          };
        });
      const sum = (field: 'onHand' | 'reserved' | 'available' | 'inTransit' | 'valueMinor') => rows.reduce((s, r) => s + r[field], 0);
      return { asOf, rows, totals: { onHand: sum('onHand'), reserved: sum('reserved'), available: sum('available'), inTransit: sum('inTransit'), valueMinor: sum('valueMinor') } };
    },

    /**
     * One report as an .xlsx workbook (base64), in the reader's language: a title row with the period
     * and the filters, a frozen header with filters, its rows and a totals row (amounts in major units).
     */
    async exportXlsx(report: ReportKind, data: any, scope: ReportScope, locale: ReportLocale = 'zh-CN') {
      const buffer = await reportWorkbook(report, data, scope, locale);
      const stamp = data.from ? `${data.from}_${data.to}` : data.asOf;
      return { filename: `${report}-${data.groupBy ?? 'all'}-${stamp}.xlsx`, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', base64: buffer.toString('base64') };
    },
  };
  return self;
};


/**
 * ORDERS_ORDER_COST_MINOR (default 50000, i.e. CNY 500 per purchase order) and ORDERS_HOLDING_RATE_BP
 * (default 2000, 20% of the unit cost a year): the EOQ's S and H.
 */
function replenishmentCosts(strapi: Core.Strapi) {
  const options = ordersOptions.of(strapi);
  return { orderCostMinor: options.orderCostMinor, holdingRateBasisPoints: options.holdingRateBp };
}

