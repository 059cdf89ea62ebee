import ExcelJS from 'exceljs';
import { spreadsheetCell } from './spreadsheet-cell';

/**
 * A report as finance would file it: a title row with the period and the filters, a header row in
 * the reader's language (frozen, with filters), the rows, a totals row, and a note under any total
 * that is not the sum of its column (an invoice under two products counts once in the total).
 */

export const REPORT_LOCALES = ['zh-CN', 'en'] as const;
export type ReportLocale = (typeof REPORT_LOCALES)[number];
export type ReportKind = 'sales' | 'receivables' | 'stock';

type Words = Record<ReportLocale, string>;
interface Column {
  header: Words;
  key: string;
  width?: number;
  money?: boolean;
  /** Shown only when the rows carry it (e.g. the region beside a dealer). */
  when?: (data: any) => boolean;
  value: (row: any) => unknown;
  total?: (totals: any) => number;
}

const w = (zh: string, en: string): Words => ({ 'zh-CN': zh, en });
const major = (minor: number) => minor / 100;
const byDealer = (data: any) => data.groupBy === 'dealer';

const GROUP_WORDS: Record<string, Words> = {
  dealer: w('经销商', 'Dealer'),
  rep: w('销售代表', 'Sales rep'),
  team: w('销售团队', 'Sales team'),
  region: w('区域', 'Region'),
  product: w('产品', 'Product'),
};

const COLUMNS: Record<ReportKind, Column[]> = {
  sales: [
    { header: w('编码', 'Code'), key: 'key', width: 20, value: (r) => r.key },
    { header: w('名称', 'Name'), key: 'name', width: 30, value: (r) => r.name ?? '' },
    { header: w('区域', 'Region'), key: 'region', width: 12, when: byDealer, value: (r) => r.regionCode ?? '' },
    { header: w('币种', 'Currency'), key: 'currency', width: 8, value: (r) => r.currency },
    { header: w('发票数', 'Invoices'), key: 'invoices', value: (r) => r.invoices, total: (t) => t.invoices },
    { header: w('数量', 'Units'), key: 'quantity', value: (r) => r.quantity, total: (t) => t.quantity },
    { header: w('金额', 'Amount'), money: true, key: 'amount', width: 18, value: (r) => major(r.amountMinor), total: (t) => major(t.amountMinor) },
  ],
  receivables: [
    { header: w('经销商编码', 'Dealer'), key: 'dealerCode', value: (r) => r.dealerCode },
    { header: w('经销商名称', 'Name'), key: 'dealerName', width: 30, value: (r) => r.dealerName },
    { header: w('区域', 'Region'), key: 'region', width: 12, value: (r) => r.regionCode ?? '' },
    { header: w('币种', 'Currency'), key: 'currency', width: 8, value: (r) => r.currency },
    { header: w('应收余额', 'Receivable'), money: true, key: 'receivable', width: 16, value: (r) => major(r.receivableMinor), total: (t) => major(t.receivableMinor) },
    { header: w('逾期', 'Overdue'), money: true, key: 'overdue', width: 16, value: (r) => major(r.overdueMinor), total: (t) => major(t.overdueMinor) },
    { header: w('未到期', 'Current'), money: true, key: 'current', value: (r) => major(r.current), total: (t) => major(t.current) },
    { header: w('逾期1-30天', '1-30 days'), money: true, key: 'days1to30', value: (r) => major(r.days1to30), total: (t) => major(t.days1to30) },
    { header: w('逾期31-60天', '31-60 days'), money: true, key: 'days31to60', value: (r) => major(r.days31to60), total: (t) => major(t.days31to60) },
    { header: w('逾期61-90天', '61-90 days'), money: true, key: 'days61to90', value: (r) => major(r.days61to90), total: (t) => major(t.days61to90) },
    { header: w('逾期90天以上', 'Over 90 days'), money: true, key: 'over90', value: (r) => major(r.over90), total: (t) => major(t.over90) },
  ],
  stock: [
    { header: w('仓库', 'Warehouse'), key: 'warehouseCode', value: (r) => r.warehouseCode },
    { header: w('SKU', 'SKU'), key: 'sku', value: (r) => r.sku },
    { header: w('产品名称', 'Name'), key: 'name', width: 28, value: (r) => r.name },
    { header: w('在库', 'On hand'), key: 'onHand', value: (r) => r.onHand, total: (t) => t.onHand },
    { header: w('已预留', 'Reserved'), key: 'reserved', value: (r) => r.reserved, total: (t) => t.reserved },
    { header: w('可用', 'Available'), key: 'available', value: (r) => r.available, total: (t) => t.available },
    { header: w('在途', 'In transit'), key: 'inTransit', value: (r) => r.inTransit, total: (t) => t.inTransit },
    { header: w('安全库存', 'Safety stock'), key: 'safetyStock', value: (r) => r.safetyStock },
    { header: w('库存金额', 'Value'), money: true, key: 'value', width: 16, value: (r) => major(r.valueMinor), total: (t) => major(t.valueMinor) },
    { header: w('库龄0-30天', '0-30 days'), key: 'days0to30', value: (r) => r.days0to30 },
    { header: w('库龄31-60天', '31-60 days'), key: 'days31to60', value: (r) => r.days31to60 },
    { header: w('库龄61-90天', '61-90 days'), key: 'days61to90', value: (r) => r.days61to90 },
    { header: w('库龄91-180天', '91-180 days'), key: 'days91to180', value: (r) => r.days91to180 },
    { header: w('库龄180天以上', 'Over 180 days'), key: 'over180', value: (r) => r.over180 },
    { header: w('平均库龄(天)', 'Average age (days)'), key: 'averageAgeDays', value: (r) => r.averageAgeDays },
    {
      header: w('补货建议', 'Replenish'),
      key: 'replenishment',
      width: 40,
      value: (r) => (r.replenishment ? `${r.replenishment.kind} ${r.replenishment.quantity}${r.replenishment.fromWarehouseCode ? ` from ${r.replenishment.fromWarehouseCode}` : ''}` : ''),
    },
  ],
};

const TITLES: Record<ReportKind, Words> = { sales: w('销售业绩', 'Sales'), receivables: w('应收账款账龄', 'Receivables ageing'), stock: w('库存与库龄', 'Stock and stock age') };
const TOTAL = w('合计', 'Total');

/** What the report covers, as the title row says it: `reach` is null for every dealer, else how many the reader follows. */
export interface ReportScope {
  reach: number | null;
  warehouseCode?: string | null;
}

export function reportTitle(kind: ReportKind, data: any, scope: ReportScope, locale: ReportLocale): string {
  const zh = locale === 'zh-CN';
  const parts = [TITLES[kind][locale]];
  if (data.from) parts.push(zh ? `期间 ${data.from} 至 ${data.to}` : `${data.from} to ${data.to}`);
  else parts.push(zh ? `截至 ${data.asOf}` : `as of ${data.asOf}`);
  if (data.groupBy) parts.push(zh ? `按${GROUP_WORDS[data.groupBy]![locale]}` : `by ${GROUP_WORDS[data.groupBy]![locale].toLowerCase()}`);
  if (kind !== 'stock') parts.push(scope.reach === null ? (zh ? '全部经销商' : 'all dealers') : zh ? `我负责的 ${scope.reach} 家经销商` : `the ${scope.reach} dealers I follow`);
  if (kind === 'stock') parts.push(scope.warehouseCode ? (zh ? `仓库 ${scope.warehouseCode}` : `warehouse ${scope.warehouseCode}`) : zh ? '全部仓库' : 'all warehouses');
  return parts.join(' · ');
}

/** The .xlsx of a report. */
export async function reportWorkbook(kind: ReportKind, data: any, scope: ReportScope, locale: ReportLocale): Promise<Buffer> {
  const columns = COLUMNS[kind].filter((c) => !c.when || c.when(data));
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Channelflow';
  const sheet = workbook.addWorksheet(TITLES[kind][locale], { views: [{ state: 'frozen', ySplit: 2 }] });
  sheet.columns = columns.map((c) => ({ key: c.key, width: c.width ?? 14, ...(c.money ? { style: { numFmt: '#,##0.00' } } : {}) }));

  const title = sheet.addRow([reportTitle(kind, data, scope, locale)]);
  title.font = { bold: true, size: 13 };
  sheet.mergeCells(1, 1, 1, columns.length);
  const header = sheet.addRow(columns.map((c) => c.header[locale]));
  header.font = { bold: true };
  sheet.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: columns.length } };

  // Every row's text passes spreadsheetCell: names, codes and references are typed by dealers and staff.
  for (const row of data.rows) sheet.addRow(Object.fromEntries(columns.map((c) => [c.key, spreadsheetCell(c.value(row))])));
  const totals = sheet.addRow(Object.fromEntries(columns.map((c, i) => [c.key, i === 0 ? TOTAL[locale] : c.total ? c.total(data.totals) : null])));
  totals.font = { bold: true };

  const differing = columns.filter((c) => c.total && !sameAmount(c.total(data.totals), data.rows.reduce((sum: number, r: any) => sum + Number(c.value(r) ?? 0), 0)));
  if (differing.length) {
    const names = differing.map((c) => c.header[locale]).join(locale === 'zh-CN' ? '、' : ', ');
    const note =
      locale === 'zh-CN'
        ? `注：${names}合计不等于该列之和——同一张发票含多个分组时，在各行分别计入，合计只计一次。`
        : `Note: the ${names} total is not the sum of its column: an invoice under several rows is counted in each of them, and once in the total.`;
    const row = sheet.addRow([note]);
    row.font = { italic: true };
    sheet.mergeCells(row.number, 1, row.number, columns.length);
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Equal to the cent (money columns are in major units as floats). */
function sameAmount(a: number, b: number): boolean {
  return Math.round(a * 100) === Math.round(b * 100);
}
