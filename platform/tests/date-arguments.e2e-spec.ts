import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

/*
 * Every date argument of the platform and its plug-ins goes through the SDK's one strict parser
 * (isoDate for days, isoDateTime for instants): a day that does not exist is refused with BAD_INPUT
 * naming the argument, and a refused mutation writes nothing.
 */

const nextYear = new Date().getUTCFullYear() + 1;
const IMPOSSIBLE_DAYS = ['2026-13-01', '2026-02-30', '2026-04-31', '2026-00-10'];
const IMPOSSIBLE_INSTANTS = [`${nextYear}-13-01T09:00:00Z`, `${nextYear}-02-30T09:00:00+08:00`, `${nextYear}-06-01T24:00:00Z`];

describe('date arguments', () => {
  let env: TestEnvironment;
  let finance: GraphqlClient;
  let director: GraphqlClient;
  let owner: GraphqlClient;
  let dealerCode: string;
  beforeAll(async () => {
    env = await createTestEnvironment({ seed: 'demo', env: { DEMO_PASSWORD: 'demo-test-password' } });
    finance = await env.asStaff('finance');
    director = await env.asStaff('director');
    const dealer = await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { lifecycleStatus: 'active' }, orderBy: { code: 'asc' } });
    dealerCode = dealer.code;
    owner = await env.asDealer({ id: dealer.id, code: dealer.code }, 'owner');
  });
  afterAll(async () => {
    await env?.destroy();
  });

  /** The refusal names the argument in details.issues (the stable contract a form relies on). */
  async function refused(client: GraphqlClient, document: string, variables: Record<string, unknown>, argument: string) {
    const error = await client.expectError('BAD_INPUT', document, variables);
    expect((error.extensions as any).details.issues.map((i: { path: string }) => i.path), JSON.stringify(error)).toContainEqual(expect.stringContaining(argument));
    expect(error.message).toMatch(/a day (and time )?that exist/);
  }

  it.each(IMPOSSIBLE_DAYS)('statements and the sales report refuse %s', async (day) => {
    await refused(finance, 'query ($code: String!, $from: String!) { dealerStatement(dealerCode: $code, from: $from, to: "2026-12-01") { from } }', { code: dealerCode, from: day }, 'from');
    await refused(owner, 'query ($to: String!) { myStatement(from: "2026-01-01", to: $to) { from } }', { to: day }, 'to');
    await refused(director, 'query ($from: String!) { salesReport(from: $from, to: "2026-12-31", groupBy: region) { from } }', { from: day }, 'from');
    await refused(director, 'query ($to: String!) { exportSalesReport(from: "2026-01-01", to: $to, groupBy: dealer) { filename } }', { to: day }, 'to');
  });

  it.each(IMPOSSIBLE_DAYS)('a credit entry, a price rule and a payment on %s are refused and nothing is written', async (day) => {
    const ledger = () => finance.query('query ($code: String!) { dealerCreditLedger(dealerCode: $code, pageSize: 1) { total } }', { code: dealerCode });
    const before = await ledger();
    await refused(finance, 'mutation ($code: String!, $day: String) { postCreditEntry(dealerCode: $code, kind: adjustment, amountMinor: 100, idempotencyKey: "date-audit-entry", entryDate: $day, note: "x") { id } }', { code: dealerCode, day }, 'entryDate');
    expect(await ledger()).toEqual(before);

    const admin = await env.asStaff('platform-admin');
    const rules = () => admin.query('{ priceRules(sku: "AU-0101") { id } }');
    const rulesBefore = await rules();
    await refused(admin, 'mutation ($day: String) { addPriceRule(input: { sku: "AU-0101", kind: quantity_break, minQuantity: 50, discountBasisPoints: 100, validFrom: $day }) { id } }', { day }, 'validFrom');
    await refused(admin, 'mutation ($day: String) { addPriceRule(input: { sku: "AU-0101", kind: quantity_break, minQuantity: 50, discountBasisPoints: 100, validTo: $day }) { id } }', { day }, 'validTo');
    expect(await rules()).toEqual(rulesBefore);

    const { invoices } = await finance.query('{ invoices(status: open, pageSize: 1) { nodes { number } } }');
    const payments = () => finance.query('{ payments(pageSize: 1) { total } }');
    const paymentsBefore = await payments();
    await refused(finance, 'mutation ($n: String!, $day: String!) { postPayment(invoiceNumber: $n, amountMinor: 100, paidOn: $day, idempotencyKey: "date-audit-payment") { payment { id } } }', { n: invoices.nodes[0].number, day }, 'paidOn');
    const csv = `invoice_number,amount,currency,paid_on,reference\n${invoices.nodes[0].number},1.00,CNY,${day},date audit\n`;
    const report = await finance.query('mutation ($csv: String!) { importPayments(csv: $csv) { imported refused rows { status message } } }', { csv });
    expect(report.importPayments).toMatchObject({ imported: 0, refused: 1, rows: [{ status: 'refused', message: expect.stringContaining(day) }] });
    expect(await payments()).toEqual(paymentsBefore);
  });

  it.each(IMPOSSIBLE_INSTANTS)('a temporary limit until %s and a tracking event at it are refused and nothing is written', async (instant) => {
    const requests = () => finance.query('query ($code: String!) { creditLimitRequests(dealerCode: $code, pageSize: 1) { total } }', { code: dealerCode });
    const before = await requests();
    await refused(owner, 'mutation ($until: String) { requestCreditLimitChange(limitMinor: 900000000, temporaryUntil: $until, reason: "Peak season stock-up") { number } }', { until: instant }, 'temporaryUntil');
    await refused(finance, 'mutation ($code: String!, $until: String) { requestDealerCreditLimitChange(dealerCode: $code, limitMinor: 900000000, temporaryUntil: $until, reason: "Peak season stock-up") { number } }', { code: dealerCode, until: instant }, 'temporaryUntil');
    expect(await requests()).toEqual(before);

    const manager = await env.asStaff('channel-manager');
    const { orders } = await manager.query('{ orders(status: closed, pageSize: 1) { nodes { shipments { number events { kind } } } } }');
    const shipment = orders.nodes[0].shipments[0];
    await refused(manager, 'mutation ($n: String!, $at: String!) { recordShipmentEvent(number: $n, eventId: "date-audit", kind: exception, occurredAt: $at) { number } }', { n: shipment.number, at: instant }, 'occurredAt');
    const after = await manager.query('query ($n: String!) { shipment(number: $n) { events { kind } } }', { n: shipment.number });
    expect(after.shipment.events).toEqual(shipment.events);
  });
});
