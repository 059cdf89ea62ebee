import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { signCarrierPayload } from '../src/services/carrier-signature';

const SECRET = 'carrier-test-secret-0123456789';
const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status total { amountMinor } } } }';
const STAFF_ORDER = `query ($number: String!) { order(number: $number) { number status history { from to }
  shipments { number warehouseCode status lines { sku quantity } carrier trackingNumber events { kind source } }
  invoices { number status total { amountMinor } open { amountMinor } lines { sku quantity lineTotal { amountMinor } } } } }`;
const MY_ORDER = `query ($id: ID!) { myOrder(id: $id) { status shipments { number status trackingNumber events { kind occurredAt location } } invoices { number total { amountMinor } } } }`;
const DISPATCH = 'mutation ($number: String!, $tracking: String!) { dispatchShipment(number: $number, carrier: "SF Express", trackingNumber: $tracking) { number status } }';
const RECORD = 'mutation ($number: String!, $eventId: String!, $kind: TrackingEventKind!, $at: String!) { recordShipmentEvent(number: $number, eventId: $eventId, kind: $kind, occurredAt: $at) { status } }';
const POST_PAYMENT = 'mutation ($invoice: String!, $amount: Long!, $key: String!) { postPayment(invoiceNumber: $invoice, amountMinor: $amount, paidOn: "2026-12-01", idempotencyKey: $key) { replayed payment { amount { amountMinor } } } }';
const IMPORT = 'mutation ($csv: String!) { importPayments(csv: $csv) { imported alreadyImported refused rows { line invoiceNumber status code message } } }';
const MY_INVOICES = '{ myInvoices { total nodes { number status open { amountMinor } } } }';
const MY_PAYMENTS = '{ myPayments { total nodes { invoiceNumber amount { amountMinor } } } }';
const INBOX = '{ taskInbox(pageSize: 100) { nodes { id name variables } } }';

let seq = 0;
const key = (label = 'k') => `${label}-${Date.now().toString(36)}-${(seq += 1)}`;

describe('orders plug-in: fulfilment, tracking, invoices and payments', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient;
  let finance: GraphqlClient;
  let regionEast: number;
  const credit = () => env.strapi.plugin('dealers').service('credit');
  const stock = () => env.strapi.plugin('orders').service('stock');
  const receive = (sku: string, warehouseCode: string, quantity: number) => stock().receive({ sku, warehouseCode, quantity, idempotencyKey: key(`receipt-${sku}`), actor: 'test' });

  const dealerWith = async (limitCents: number): Promise<{ dealer: DealerRef; buyer: GraphqlClient }> => {
    const dealer: DealerRef = await env.createDealer();
    await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { region: regionEast } });
    await credit().openAccount({ dealerId: dealer.id, limitCents, currency: 'CNY', paymentTermDays: 30 });
    return { dealer, buyer: await env.asDealer(dealer, 'buyer') };
  };
  const staffOrder = async (number: string) => (await manager.query(STAFF_ORDER, { number })).order;
  /** The order once allocation made `count` shipments (and committed: the order's row and its shipments are read one after the other). */
  const allocated = (number: string, count: number) =>
    eventually(async () => {
      const order = await staffOrder(number);
      expect(order.shipments).toHaveLength(count);
      expect(order.status).not.toBe('submitted');
      return order;
    });
  const carrier = (body: unknown, signature?: string) => {
    const raw = JSON.stringify(body);
    return env.http('/api/orders/carrier-events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-carrier-signature': signature ?? signCarrierPayload(SECRET, Math.floor(Date.now() / 1000), raw) },
      body: raw,
    });
  };

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { ORDERS_CARRIER_WEBHOOK_SECRET: SECRET, ORDERS_FULFILMENT_CHECK_EVERY: 'PT2S', ORDERS_STALE_AFTER: 'P3D' } });
    regionEast = (await env.strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East China' } })).id;
    const warehouses = env.strapi.db.query('plugin::orders.warehouse');
    await warehouses.create({ data: { code: 'WH-HQ', name: 'HQ', level: 'hq' } });
    await warehouses.create({ data: { code: 'WH-EAST', name: 'East', level: 'regional', region: regionEast } });
    const products = env.strapi.db.query('plugin::orders.product');
    await products.create({ data: { sku: 'FR-100', name: 'Fridge', category: 'refrigerators', basePriceMinor: 100_000, currency: 'CNY' } });
    await products.create({ data: { sku: 'WM-200', name: 'Washer', category: 'washers', basePriceMinor: 50_000, currency: 'CNY' } });
    await products.create({ data: { sku: 'BO-300', name: 'Scarce', category: 'kitchen', basePriceMinor: 20_000, currency: 'CNY' } });
    await receive('FR-100', 'WH-EAST', 3);
    await receive('FR-100', 'WH-HQ', 50);
    await receive('WM-200', 'WH-EAST', 50);
    manager = await env.asStaff('channel-manager', { team: { code: 'EAST-TEAM', regionCode: 'EAST' } });
    finance = await env.asStaff('finance');
  });
  afterAll(() => env?.destroy());

  it('splits across warehouses, ships, tracks by webhook, invoices on delivery, and closes when paid', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000);
    // No warehouse holds 5 fridges and 2 washers together: East sends 3 fridges and the washers, HQ the other 2 fridges.
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 5 }, { sku: 'WM-200', quantity: 2 }] } });
    const total = 5 * 100_000 + 2 * 50_000;
    expect(placeOrder.order.total.amountMinor).toBe(total);
    const order = await allocated(placeOrder.order.number, 2);
    expect(order.status).toBe('allocated');
    const byWarehouse = Object.fromEntries(order.shipments.map((s: any) => [s.warehouseCode, s]));
    expect(byWarehouse['WH-EAST'].lines).toEqual([{ sku: 'FR-100', quantity: 3 }, { sku: 'WM-200', quantity: 2 }]);
    expect(byWarehouse['WH-HQ'].lines).toEqual([{ sku: 'FR-100', quantity: 2 }]);

    const east = byWarehouse['WH-EAST'].number;
    const hq = byWarehouse['WH-HQ'].number;
    const eastOnHand = (await stock().levels()).find((l: any) => l.sku === 'FR-100' && l.warehouseCode === 'WH-EAST').onHand;
    await manager.query(DISPATCH, { number: east, tracking: `SF${seq}E` });
    await manager.query(DISPATCH, { number: hq, tracking: `SF${seq}H` });
    expect((await stock().levels()).find((l: any) => l.sku === 'FR-100' && l.warehouseCode === 'WH-EAST')).toMatchObject({ onHand: eastOnHand - 3, reserved: 0 });
    expect((await staffOrder(placeOrder.order.number)).status).toBe('shipped');

    // The carrier reports both deliveries; one event is sent twice, as webhooks are.
    const shipped = (await staffOrder(placeOrder.order.number)).shipments;
    const at = new Date().toISOString();
    const events = shipped.map((s: any) => ({ eventId: `evt-${s.number}`, trackingNumber: s.trackingNumber, kind: 'delivered', occurredAt: at, location: 'Shanghai' }));
    const response = await carrier({ events: [...events, events[0]] });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).results.map((r: any) => r.status)).toEqual(['recorded', 'recorded', 'duplicate']);

    const invoiced = await eventually(async () => {
      const current = await staffOrder(placeOrder.order.number);
      expect(current.status).toBe('invoiced');
      return current;
    });
    expect(invoiced.invoices).toHaveLength(2);
    expect(invoiced.invoices.map((i: any) => i.number)).toEqual(expect.arrayContaining([expect.stringMatching(/^INV-\d{4}-\d{6}$/)]));
    expect(invoiced.invoices.reduce((sum: number, i: any) => sum + i.total.amountMinor, 0)).toBe(total);
    // The reservation became a receivable: exposure is unchanged, nothing is reserved any more.
    const summary = await credit().summary(dealer.id);
    expect(summary).toMatchObject({ reservedCents: 0, receivableCents: total });
    // Each invoice was announced once, after its commit, as the domain event orders.invoice-issued.
    for (const invoice of invoiced.invoices) {
      await eventually(async () => {
        const event = await env.strapi.db.connection('channelflow_outbox_effects').where({ key: `event:orders.invoice-issued:${invoice.number}` }).first();
        expect(event).toMatchObject({ kind: 'event', state: 'delivered' });
        expect(JSON.parse(event.payload).payload).toMatchObject({ invoiceNumber: invoice.number, orderNumber: placeOrder.order.number, dealerId: dealer.id, totalMinor: invoice.total.amountMinor });
      });
    }

    const mine = (await buyer.query(MY_ORDER, { id: placeOrder.order.id })).myOrder;
    expect(mine.shipments.every((s: any) => s.status === 'delivered' && s.events.some((e: any) => e.kind === 'delivered' && e.location === 'Shanghai'))).toBe(true);
    expect((await buyer.query(MY_INVOICES)).myInvoices.total).toBe(2);

    // Finance: over-paying is refused; exact payments close the invoices, then the order.
    const [first, second] = invoiced.invoices;
    const over = await finance.expectError('OVERPAYMENT', POST_PAYMENT, { invoice: first.number, amount: first.total.amountMinor + 1, key: key('pay') });
    expect(over.message).toContain('would over-pay');
    const payKey = key('pay');
    await finance.query(POST_PAYMENT, { invoice: first.number, amount: first.total.amountMinor, key: payKey });
    const again = await finance.query(POST_PAYMENT, { invoice: first.number, amount: first.total.amountMinor, key: payKey });
    expect(again.postPayment.replayed).toBe(true);
    expect((await credit().summary(dealer.id)).receivableCents).toBe(total - first.total.amountMinor);

    const csv = [
      'invoice_number,amount,currency,paid_on,reference',
      `${second.number},${(second.total.amountMinor / 100).toFixed(2)},CNY,2026-12-01,bank 1`,
      `INV-1999-000001,10.00,CNY,2026-12-01,unknown invoice`,
      `${first.number},1.00,CNY,2026-12-01,already paid`,
      `${second.number},abc,CNY,2026-12-01,bad amount`,
    ].join('\n');
    const { importPayments } = await finance.query(IMPORT, { csv });
    expect(importPayments).toMatchObject({ imported: 1, alreadyImported: 0, refused: 3 });
    expect(importPayments.rows.map((r: any) => [r.line, r.status, r.code])).toEqual([
      [2, 'imported', null],
      [3, 'refused', 'NOT_FOUND'],
      [4, 'refused', 'OVERPAYMENT'],
      [5, 'refused', 'BAD_INPUT'],
    ]);
    // The same file again posts nothing twice.
    const replay = (await finance.query(IMPORT, { csv })).importPayments;
    expect(replay).toMatchObject({ imported: 0, alreadyImported: 1, refused: 3 });
    expect((await credit().summary(dealer.id)).receivableCents).toBe(0);
    expect((await staffOrder(placeOrder.order.number)).status).toBe('closed');
    expect((await buyer.query(MY_PAYMENTS)).myPayments.total).toBe(2);
  });

  it('refuses carrier requests with a bad, missing or stale signature, changing nothing', async () => {
    const { buyer } = await dealerWith(100_000_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    const [shipment] = (await allocated(placeOrder.order.number, 1)).shipments;
    const tracking = `SF${key('track')}`;
    await manager.query(DISPATCH, { number: shipment.number, tracking });
    const body = { events: [{ eventId: key('evt'), trackingNumber: tracking, kind: 'delivered', occurredAt: new Date().toISOString() }] };
    const raw = JSON.stringify(body);
    const now = Math.floor(Date.now() / 1000);
    const forged = await carrier(body, signCarrierPayload('not-the-secret', now, raw));
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const missing = await env.http('/api/orders/carrier-events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(missing.status).toBe(401);
    // A captured request replayed an hour later.
    const replayed = await carrier(body, signCarrierPayload(SECRET, now - 3600, raw));
    expect(replayed.status).toBe(401);
    // A body changed after signing.
    const tampered = await env.http('/api/orders/carrier-events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-carrier-signature': signCarrierPayload(SECRET, now, raw) },
      body: raw.replace('delivered', 'exception'),
    });
    expect(tampered.status).toBe(401);
    expect((await staffOrder(placeOrder.order.number)).shipments[0].status).toBe('shipped');
    // The same request signed properly and on time is accepted: the refusals were the signature's.
    const accepted = await carrier(body);
    expect(accepted.status).toBe(200);
    expect((await staffOrder(placeOrder.order.number)).shipments[0].status).toBe('delivered');
  });

  it('back-orders ship once stock arrives: the regular check allocates them', async () => {
    const { buyer } = await dealerWith(100_000_000);
    await receive('BO-300', 'WH-EAST', 2);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), allowBackorder: true, lines: [{ sku: 'BO-300', quantity: 5 }] } });
    const first = await allocated(placeOrder.order.number, 1);
    expect(first.shipments[0].lines).toEqual([{ sku: 'BO-300', quantity: 2 }]);
    await receive('BO-300', 'WH-HQ', 10);
    const second = await eventually(async () => {
      const order = await staffOrder(placeOrder.order.number);
      expect(order.shipments).toHaveLength(2);
      return order;
    }, { timeoutMs: 20_000 });
    expect(second.shipments.find((s: any) => s.warehouseCode === 'WH-HQ').lines).toEqual([{ sku: 'BO-300', quantity: 3 }]);
  });

  it('a shipment with no news for too long raises a task for the region’s channel managers', async () => {
    const { buyer } = await dealerWith(100_000_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    const [shipment] = (await allocated(placeOrder.order.number, 1)).shipments;
    await manager.query(DISPATCH, { number: shipment.number, tracking: `SF${seq}S` });
    // Four days without a tracking event (staleAfter is P3D).
    await env.strapi.db.query('plugin::orders.shipment').update({ where: { number: shipment.number }, data: { lastEventAt: new Date(Date.now() - 4 * 86_400_000) } });
    const task = await eventually(async () => {
      const found = (await manager.query(INBOX)).taskInbox.nodes.find((t: any) => t.variables.orderNumber === placeOrder.order.number);
      expect(found).toBeDefined();
      return found;
    }, { timeoutMs: 20_000 });
    expect(task.name).toBe('Chase shipments with no news');
    expect(task.variables.staleShipments.map((s: any) => s.number)).toEqual([shipment.number]);
    const outsider = await env.asStaff('channel-manager', { team: { code: 'WEST-TEAM', regionCode: 'WEST' } });
    expect((await outsider.query(INBOX)).taskInbox.nodes.map((t: any) => t.id)).not.toContain(task.id);
  });

  it('staff record tracking by hand; an order on its way can no longer be cancelled', async () => {
    const { buyer } = await dealerWith(100_000_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    const [shipment] = (await allocated(placeOrder.order.number, 1)).shipments;
    await manager.query(RECORD, { number: shipment.number, eventId: key('evt'), kind: 'in_transit', at: new Date().toISOString() }).then(
      () => {
        throw new Error('tracking before dispatch must be refused');
      },
      (error: Error) => expect(error.message).toContain('CONFLICT'),
    );
    await manager.query(DISPATCH, { number: shipment.number, tracking: `SF${seq}M` });
    expect((await manager.query(RECORD, { number: shipment.number, eventId: key('evt'), kind: 'in_transit', at: new Date().toISOString() })).recordShipmentEvent.status).toBe('in_transit');
    const refused = await buyer.expectError('CONFLICT', 'mutation ($id: ID!) { cancelOrder(id: $id, reason: "too late now") { status } }', { id: placeOrder.order.id });
    expect(refused.message).toContain('on its way');
    const rep = await env.asStaff('sales-rep');
    await rep.expectError('FORBIDDEN', DISPATCH, { number: shipment.number, tracking: 'X123' });
    await rep.expectError('FORBIDDEN', POST_PAYMENT, { invoice: 'INV-2026-000001', amount: 1, key: key('pay') });
  });

  it('a return: the dealer requests it, staff approve and confirm receipt, the units are restocked and a credit note posted', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000);
    const other = await dealerWith(100_000_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 3 }] } });
    const [shipment] = (await allocated(placeOrder.order.number, 1)).shipments;
    const tracking = `SF${key('track')}`;
    await manager.query(DISPATCH, { number: shipment.number, tracking });
    await carrier({ events: [{ eventId: key('evt'), trackingNumber: tracking, kind: 'delivered', occurredAt: new Date().toISOString() }] });
    await eventually(async () => expect((await staffOrder(placeOrder.order.number)).status).toBe('invoiced'));
    const receivable = (await credit().summary(dealer.id)).receivableCents;
    const onHand = (await stock().levels()).find((l: any) => l.sku === 'WM-200' && l.warehouseCode === 'WH-EAST').onHand;

    const REQUEST = 'mutation ($input: RequestReturnInput!) { requestReturn(input: $input) { replayed return { number status total { amountMinor } warehouseCode } } }';
    const input = (quantity: number, idempotencyKey = key('rma')) => ({ input: { orderId: placeOrder.order.id, idempotencyKey, lines: [{ sku: 'WM-200', quantity }], reason: 'two units arrived damaged' } });
    const tooMany = await buyer.expectError('BAD_INPUT', REQUEST, input(4));
    expect(tooMany.message).toContain('3 of WM-200 delivered');
    await other.buyer.expectError('NOT_FOUND', REQUEST, input(1));
    const rmaKey = key('rma');
    const { requestReturn } = await buyer.query(REQUEST, input(2, rmaKey));
    expect(requestReturn.return).toMatchObject({ status: 'requested', total: { amountMinor: 100_000 }, warehouseCode: 'WH-EAST' });
    expect((await buyer.query(REQUEST, input(2, rmaKey))).requestReturn.replayed).toBe(true);
    // Two are claimed now: only one more can be asked for.
    await buyer.expectError('BAD_INPUT', REQUEST, input(2));

    const taskNamed = (name: string) =>
      eventually(async () => {
        const found = (await manager.query(INBOX)).taskInbox.nodes.find((t: any) => t.variables.returnNumber === requestReturn.return.number && t.name === name);
        expect(found).toBeDefined();
        return found;
      });
    const review = await taskNamed('Review the return');
    await manager.query('mutation ($id: ID!) { claimTask(id: $id) { id } }', { id: review.id });
    await manager.query('mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { state } }', { id: review.id, vars: { returnDecision: 'approve', returnNote: 'send them back' } });
    const receipt = await taskNamed('Confirm the returned goods arrived');
    await manager.query('mutation ($id: ID!) { claimTask(id: $id) { id } }', { id: receipt.id });
    await manager.query('mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { state } }', { id: receipt.id, vars: {} });

    const credited = await eventually(async () => {
      const { myReturns } = await buyer.query('{ myReturns { nodes { number status creditNoteNumber history { status } } } }');
      expect(myReturns.nodes[0].status).toBe('credited');
      return myReturns.nodes[0];
    });
    expect(credited.history.map((h: any) => h.status)).toEqual(['requested', 'approved', 'credited']);
    expect(credited.creditNoteNumber).toMatch(/^CN-/);
    const creditNote = await env.strapi.db.connection('channelflow_outbox_effects').where({ key: `event:orders.credit-note-issued:${credited.creditNoteNumber}` }).first();
    expect(JSON.parse(creditNote.payload)).toMatchObject({ name: 'orders.credit-note-issued', payload: { creditNoteNumber: credited.creditNoteNumber, returnNumber: credited.number, totalMinor: 100_000 } });
    expect((await credit().summary(dealer.id)).receivableCents).toBe(receivable - 100_000);
    expect((await stock().levels()).find((l: any) => l.sku === 'WM-200' && l.warehouseCode === 'WH-EAST').onHand).toBe(onHand + 2);
    const [invoice] = (await staffOrder(placeOrder.order.number)).invoices;
    expect(invoice.open.amountMinor).toBe(150_000 - 100_000);
    expect((await other.buyer.query('{ myReturns { total } }')).myReturns.total).toBe(0);
  });

  it('keeps dealers apart: invoices, payments and shipments of another dealer stay invisible', async () => {
    const mine = await dealerWith(100_000_000);
    const theirs = await dealerWith(100_000_000);
    const { placeOrder } = await mine.buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    await allocated(placeOrder.order.number, 1);
    await theirs.buyer.expectError('NOT_FOUND', MY_ORDER, { id: placeOrder.order.id });
    expect((await theirs.buyer.query(MY_INVOICES)).myInvoices.total).toBe(0);
    expect((await theirs.buyer.query(MY_PAYMENTS)).myPayments.total).toBe(0);
  });
});
