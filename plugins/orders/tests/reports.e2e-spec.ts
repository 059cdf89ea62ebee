import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number total { amountMinor } } } }';
const ORDER = 'query ($number: String!) { order(number: $number) { status shipments { number } } }';
const SALES = 'query ($from: String!, $to: String!, $by: SalesReportGroup!) { salesReport(from: $from, to: $to, groupBy: $by) { rows { key invoices quantity amount { amountMinor } } totals { invoices quantity amountMinor } } }';
const EXPORT_SALES_IN = 'query ($from: String!, $to: String!, $by: SalesReportGroup!, $locale: String) { exportSalesReport(from: $from, to: $to, groupBy: $by, locale: $locale) { base64 } }';
const EXPORT_SALES = 'query ($from: String!, $to: String!, $by: SalesReportGroup!) { exportSalesReport(from: $from, to: $to, groupBy: $by) { filename contentType base64 } }';

let seq = 0;
const key = (label = 'k') => `${label}-${Date.now().toString(36)}-${(seq += 1)}`;
const today = new Date().toISOString().slice(0, 10);

async function firstSheet(base64: string) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(base64, 'base64') as any);
  return workbook.worksheets[0]!;
}

/** The rows of the first sheet of an .xlsx (base64) as arrays of cell values: title, header, rows, totals, note. */
async function sheetRows(base64: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  (await firstSheet(base64)).eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe('orders plug-in: staff reports and their Excel exports', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient;
  let director: GraphqlClient;
  let eastRep: GraphqlClient & { user: { email: string } };
  const totals = { east: 0, west: 0 };

  /** Places, ships and delivers an order for `dealer`, and waits for its invoice. */
  const invoicedOrder = async (buyer: GraphqlClient, lines: Array<{ sku: string; quantity: number }>) => {
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines } });
    const { order } = await eventually(async () => {
      const found = await manager.query(ORDER, { number: placeOrder.order.number });
      expect(found.order.shipments.length).toBeGreaterThan(0);
      return found;
    });
    for (const s of order.shipments) {
      await manager.query('mutation ($n: String!, $t: String!) { dispatchShipment(number: $n, carrier: "SF", trackingNumber: $t) { status } }', { n: s.number, t: `T${key()}` });
      await manager.query('mutation ($n: String!, $e: String!, $at: String!) { recordShipmentEvent(number: $n, eventId: $e, kind: delivered, occurredAt: $at) { status } }', { n: s.number, e: key('evt'), at: new Date().toISOString() });
    }
    await eventually(async () => expect((await manager.query(ORDER, { number: placeOrder.order.number })).order.status).toBe('invoiced'));
    return placeOrder.order.total.amountMinor as number;
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    const regions = env.strapi.db.query('api::region.region');
    const east = (await regions.create({ data: { code: 'EAST', name: 'East' } })).id;
    const west = (await regions.create({ data: { code: 'WEST', name: 'West' } })).id;
    const warehouses = env.strapi.db.query('plugin::orders.warehouse');
    await warehouses.create({ data: { code: 'WH-HQ', name: 'HQ', level: 'hq' } });
    await warehouses.create({ data: { code: 'WH-EAST', name: 'East', level: 'regional', region: east } });
    const products = env.strapi.db.query('plugin::orders.product');
    await products.create({ data: { sku: 'FR-1', name: 'Fridge', category: 'refrigerators', basePriceMinor: 100_000, unitCostMinor: 60_000, currency: 'CNY' } });
    await products.create({ data: { sku: 'WM-2', name: 'Washer', category: 'washers', basePriceMinor: 33_333, currency: 'CNY' } });
    const stock = env.strapi.plugin('orders').service('stock');
    await stock.receive({ sku: 'FR-1', warehouseCode: 'WH-HQ', quantity: 500, idempotencyKey: key('r'), actor: 'test' });
    await stock.receive({ sku: 'WM-2', warehouseCode: 'WH-HQ', quantity: 500, idempotencyKey: key('r'), actor: 'test' });
    await stock.receive({ sku: 'FR-1', warehouseCode: 'WH-EAST', quantity: 20, idempotencyKey: key('r'), actor: 'test' });

    manager = await env.asStaff('channel-manager');
    director = await env.asStaff('director');
    eastRep = await env.asStaff('sales-rep');
    const dealerIn = async (regionId: number, salesRep: string | null): Promise<GraphqlClient> => {
      const dealer: DealerRef = await env.createDealer();
      await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { region: regionId, salesRep } });
      await env.strapi.plugin('dealers').service('credit').openAccount({ dealerId: dealer.id, limitCents: 1_000_000_000, currency: 'CNY' });
      return env.asDealer(dealer, 'buyer');
    };
    const eastBuyer = await dealerIn(east, eastRep.user.email);
    const westBuyer = await dealerIn(west, null);
    totals.east += await invoicedOrder(eastBuyer, [{ sku: 'FR-1', quantity: 2 }, { sku: 'WM-2', quantity: 3 }]);
    totals.east += await invoicedOrder(eastBuyer, [{ sku: 'WM-2', quantity: 1 }]);
    totals.west += await invoicedOrder(westBuyer, [{ sku: 'FR-1', quantity: 1 }]);
    // Placed but not delivered: not sales performance yet.
    await westBuyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-1', quantity: 7 }] } });
  });
  afterAll(() => env?.destroy());

  it('counts invoiced sales only, by region and by product, with totals that match the rows', async () => {
    const byRegion = (await director.query(SALES, { from: today, to: today, by: 'region' })).salesReport;
    expect(byRegion.rows.map((r: any) => [r.key, r.amount.amountMinor])).toEqual([
      ['EAST', totals.east],
      ['WEST', totals.west],
    ]);
    expect(byRegion.totals).toEqual({ invoices: 3, quantity: 7, amountMinor: totals.east + totals.west });
    const byProduct = (await director.query(SALES, { from: today, to: today, by: 'product' })).salesReport;
    expect(byProduct.rows).toEqual([
      { key: 'FR-1', invoices: 2, quantity: 3, amount: { amountMinor: 300_000 } },
      { key: 'WM-2', invoices: 2, quantity: 4, amount: { amountMinor: 133_332 } },
    ]);
    // An invoice carrying both products counts once in the totals.
    expect(byProduct.totals.invoices).toBe(3);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect((await director.query(SALES, { from: yesterday, to: yesterday, by: 'dealer' })).salesReport.rows).toEqual([]);
  });

  it('a sales rep sees the figures of their own dealers only', async () => {
    const mine = (await eastRep.query(SALES, { from: today, to: today, by: 'dealer' })).salesReport;
    expect(mine.rows).toHaveLength(1);
    expect(mine.totals.amountMinor).toBe(totals.east);
  });

  it('exports the sales report to Excel as finance files it: title with period and filters, Chinese headers, names beside codes, totals equal to the report', async () => {
    const report = (await director.query(SALES, { from: today, to: today, by: 'product' })).salesReport;
    const file = (await director.query(EXPORT_SALES, { from: today, to: today, by: 'product' })).exportSalesReport;
    expect(file.filename).toBe(`sales-product-${today}_${today}.xlsx`);
    expect(file.contentType).toContain('spreadsheetml');
    const rows = await sheetRows(file.base64);
    // (a merged cell: the title spans the header)
    expect(rows[0]![0]).toBe(`销售业绩 · 期间 ${today} 至 ${today} · 按产品 · 全部经销商`);
    expect(rows[1]).toEqual(['编码', '名称', '币种', '发票数', '数量', '金额']);
    const totalAt = rows.findIndex((r) => r[0] === '合计');
    const body = rows.slice(2, totalAt);
    const total = rows[totalAt]!;
    expect(body.map((r) => [r[0], r[1]])).toEqual([
      ['FR-1', 'Fridge'],
      ['WM-2', 'Washer'],
    ]);
    expect(Math.round((total[5] as number) * 100)).toBe(report.totals.amountMinor);
    expect(Math.round(body.reduce((sum, r) => sum + (r[5] as number), 0) * 100)).toBe(report.totals.amountMinor);
    expect(total[4]).toBe(report.totals.quantity);
    // Two invoices carry both products: 4 in the column, 3 in the total, and the sheet says why.
    expect(body.reduce((sum, r) => sum + (r[3] as number), 0)).toBe(4);
    expect(total[3]).toBe(3);
    expect(String(rows[totalAt + 1]?.[0])).toMatch(/^注：发票数合计不等于该列之和/);

    const sheet = await firstSheet(file.base64);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    expect(sheet.autoFilter).toBe('A2:F2');
  });

  it('exports in English on request, a dealer with its name and region, and a rep\'s export says whose dealers it covers', async () => {
    const file = (await director.query(EXPORT_SALES_IN, { from: today, to: today, by: 'dealer', locale: 'en' })).exportSalesReport;
    const rows = await sheetRows(file.base64);
    expect(rows[0]![0]).toBe(`Sales · ${today} to ${today} · by dealer · all dealers`);
    expect(rows[1]).toEqual(['Code', 'Name', 'Region', 'Currency', 'Invoices', 'Units', 'Amount']);
    const dealers = rows.slice(2, rows.findIndex((r) => r[0] === 'Total'));
    expect(dealers.map((r) => r[2]).sort()).toEqual(['EAST', 'WEST']);
    for (const r of dealers) expect(r[1]).toMatch(/\S/);
    // Every invoice belongs to one dealer: the columns add up, so there is no note.
    expect(rows.at(-1)![0]).toBe('Total');

    const mine = await sheetRows((await eastRep.query(EXPORT_SALES_IN, { from: today, to: today, by: 'rep', locale: 'zh-CN' })).exportSalesReport.base64);
    expect(mine[0]![0]).toEqual(`销售业绩 · 期间 ${today} 至 ${today} · 按销售代表 · 我负责的 1 家经销商`);
    expect(mine[2]!.slice(0, 2)).toEqual([eastRep.user.email, expect.stringMatching(/\S/)]);
    await director.expectError('BAD_INPUT', EXPORT_SALES_IN, { from: today, to: today, by: 'dealer', locale: 'fr' });
  });

  it('receivables by dealer with ageing, and their export, add up', async () => {
    const { receivablesReport } = await director.query('{ receivablesReport { rows { dealerCode receivable { amountMinor } current { amountMinor } } totals { receivableMinor current over90 } } }');
    expect(receivablesReport.totals.receivableMinor).toBe(totals.east + totals.west);
    // Just invoiced with 30 days to pay: all of it is current.
    expect(receivablesReport.totals.current).toBe(totals.east + totals.west);
    expect(receivablesReport.rows.map((r: any) => r.receivable.amountMinor).sort()).toEqual([totals.east, totals.west].sort());
    const file = (await director.query('{ exportReceivablesReport { base64 } }')).exportReceivablesReport;
    const rows = await sheetRows(file.base64);
    expect(rows[1]![4]).toBe('应收余额');
    expect(Math.round((rows.at(-1)![4] as number) * 100)).toBe(receivablesReport.totals.receivableMinor);
  });

  it('exports a dealer named like a formula as text, and a negative receivable as a number', async () => {
    // Runs after the receivables test, whose totals it would change.
    const hostile = '=HYPERLINK("http://evil","x")';
    const dealer: DealerRef = await env.createDealer({ name: hostile });
    const credit = env.strapi.plugin('dealers').service('credit');
    await credit.openAccount({ dealerId: dealer.id, limitCents: 1_000_000, currency: 'CNY' });
    // A credit note with nothing invoiced: the brand owes the dealer, so the receivable is negative.
    await credit.post({ dealerId: dealer.id, kind: 'credit_note', amountCents: 12_345, idempotencyKey: key('cn'), reference: 'RMA-1' });
    const file = (await director.query('{ exportReceivablesReport { base64 } }')).exportReceivablesReport;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(file.base64, 'base64') as any);
    const sheet = workbook.worksheets[0]!;
    const rowNumber = [...Array(sheet.rowCount).keys()].map((i) => i + 1).find((n) => sheet.getRow(n).getCell(2).value === `'${hostile}`);
    expect(rowNumber, 'the dealer\'s row, its name quoted').toBeDefined();
    const row = sheet.getRow(rowNumber!);
    expect(row.getCell(1).value).toBe(dealer.code);
    for (const column of [1, 2]) {
      expect(row.getCell(column).type).toBe(ExcelJS.ValueType.String);
      expect(row.getCell(column).formula).toBeUndefined();
    }
    expect(row.getCell(5).type).toBe(ExcelJS.ValueType.Number);
    expect(row.getCell(5).value).toBe(-123.45);
  });

  it('stock by warehouse with stock age, and a replenishment suggestion below safety stock', async () => {
    await env.strapi.plugin('orders').service('stock').setSafetyStock({ sku: 'FR-1', warehouseCode: 'WH-EAST', safetyStock: 100 });
    const { stockReport } = await manager.query(`{ stockReport { rows { warehouseCode sku onHand reserved days0to30 averageAgeDays annualDemand economicOrderQuantity replenishment { kind quantity fromWarehouseCode reason } } totals { onHand valueMinor } } }`);
    const east = stockReport.rows.find((r: any) => r.warehouseCode === 'WH-EAST' && r.sku === 'FR-1');
    expect(east.days0to30).toBe(east.onHand);
    expect(east.averageAgeDays).toBe(0);
    expect(east.replenishment).toMatchObject({ kind: 'transfer', fromWarehouseCode: 'WH-HQ' });
    expect(east.replenishment.quantity).toBeGreaterThanOrEqual(100 - (east.onHand - east.reserved));
    expect(stockReport.totals.onHand).toBe(stockReport.rows.reduce((sum: number, r: any) => sum + r.onHand, 0));
    const file = (await manager.query('{ exportStockReport { base64 } }')).exportStockReport;
    const rows = await sheetRows(file.base64);
    expect(rows.at(-1)![3]).toBe(stockReport.totals.onHand);
    expect(Math.round((rows.at(-1)![8] as number) * 100)).toBe(stockReport.totals.valueMinor);
  });

  it('reports are for staff with the permission', async () => {
    const finance = await env.asStaff('finance');
    await finance.expectError('FORBIDDEN', '{ stockReport { asOf } }');
    await env.anonymous.expectError('UNAUTHENTICATED', SALES, { from: today, to: today, by: 'dealer' });
    await manager.expectError('BAD_INPUT', SALES, { from: today, to: '2000-01-01', by: 'dealer' });
  });
});
