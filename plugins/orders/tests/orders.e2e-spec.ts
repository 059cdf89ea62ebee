import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { replayed order { id number status total { amountMinor currency } creditShortfall { amountMinor }
    lines { sku quantity backorderedQuantity unitPrice { amountMinor } discountBasisPoints lineTotal { amountMinor } quotedUnitPrice { amountMinor } } history { status } } }
}`;
const MY_ORDERS = '{ myOrders { total nodes { id number status } } }';
const MY_ORDER = 'query ($id: ID!) { myOrder(id: $id) { number status total { amountMinor } } }';
const CANCEL = 'mutation ($id: ID!, $reason: String!) { cancelOrder(id: $id, reason: $reason) { number status history { status } } }';
const CATALOG = `query ($search: String) { catalog(search: $search) { nodes { sku price { amountMinor } basePrice { amountMinor } available
  quantityBreaks { minQuantity discountBasisPoints unitPrice { amountMinor } } availability { warehouseCode available } } } }`;
const INBOX = '{ taskInbox(pageSize: 100) { nodes { id name variables } } }';
const CLAIM = 'mutation ($id: ID!) { claimTask(id: $id) { id } }';
const COMPLETE = 'mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { state } }';

let keySeq = 0;
const key = (label = 'order') => `${label}-${Date.now().toString(36)}-${(keySeq += 1)}`;

describe('orders plug-in: dealer orders reserve stock and credit together', () => {
  let env: TestEnvironment;
  let regionEast: number;
  let regionWest: number;
  const credit = () => env.strapi.plugin('dealers').service('credit');
  const stock = () => env.strapi.plugin('orders').service('stock');
  const count = (uid: string, where: Record<string, unknown> = {}) => env.strapi.db.query(uid as any).count({ where });
  const level = async (sku: string, warehouseCode: string) => (await stock().levels()).find((l: any) => l.sku === sku && l.warehouseCode === warehouseCode);

  /** An active East dealer of `tier` with `limitCents` of credit, and a buyer signed in for it. */
  const dealerWith = async (limitCents: number, tier = 'bronze', regionId = regionEast): Promise<{ dealer: DealerRef; buyer: GraphqlClient & { user: { email: string } } }> => {
    const dealer: DealerRef = await env.createDealer();
    await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { tier, region: regionId } });
    await credit().openAccount({ dealerId: dealer.id, limitCents, currency: 'CNY' });
    return { dealer, buyer: await env.asDealer(dealer, 'buyer') };
  };
  /** Finance's approval task for an order, once the approval process has put it in the inbox. */
  const financeTaskFor = (finance: GraphqlClient, orderNumber: string) =>
    eventually(async () => {
      const found = (await finance.query(INBOX)).taskInbox.nodes.find((t: any) => t.variables.orderNumber === orderNumber);
      expect(found).toBeDefined();
      return found;
    });
  const receive = (sku: string, warehouseCode: string, quantity: number) => stock().receive({ sku, warehouseCode, quantity, idempotencyKey: key(`receipt-${sku}-${warehouseCode}`), actor: 'test' });

  beforeAll(async () => {
    env = await createTestEnvironment();
    const regions = env.strapi.db.query('api::region.region');
    regionEast = (await regions.create({ data: { code: 'EAST', name: 'East China' } })).id;
    regionWest = (await regions.create({ data: { code: 'WEST', name: 'West China' } })).id;
    const warehouses = env.strapi.db.query('plugin::orders.warehouse');
    await warehouses.create({ data: { code: 'WH-HQ', name: 'HQ', level: 'hq' } });
    await warehouses.create({ data: { code: 'WH-EAST', name: 'East', level: 'regional', region: regionEast } });
    await warehouses.create({ data: { code: 'WH-WEST', name: 'West', level: 'regional', region: regionWest } });
    const products = env.strapi.db.query('plugin::orders.product');
    for (const [sku, price, active] of [
      ['FR-100', 100_000, true],
      ['WM-200', 50_000, true],
      ['HOT-300', 10_000, true],
      ['OLD-900', 20_000, false],
    ] as const) {
      await products.create({ data: { sku, name: `Product ${sku}`, category: 'test', basePriceMinor: price, currency: 'CNY', active } });
    }
    const catalog = env.strapi.plugin('orders').service('catalog');
    await catalog.addPriceRule({ sku: 'FR-100', kind: 'tier_price', tier: 'gold', unitPriceMinor: 90_000 });
    await catalog.addPriceRule({ sku: 'FR-100', kind: 'quantity_break', minQuantity: 10, discountBasisPoints: 300 });
    await receive('FR-100', 'WH-EAST', 30);
    await receive('FR-100', 'WH-HQ', 100);
    await receive('FR-100', 'WH-WEST', 500);
    await receive('WM-200', 'WH-EAST', 5);
    await receive('WM-200', 'WH-HQ', 5);
  });
  afterAll(() => env?.destroy());

  it('shows a dealer its own prices and the stock of the warehouses serving its region', async () => {
    const { buyer } = await dealerWith(10_000_000, 'gold');
    const { catalog } = await buyer.query(CATALOG, { search: 'FR-100' });
    expect(catalog.nodes).toEqual([
      {
        sku: 'FR-100',
        basePrice: { amountMinor: 100_000 },
        price: { amountMinor: 90_000 },
        quantityBreaks: [{ minQuantity: 10, discountBasisPoints: 300, unitPrice: { amountMinor: 87_300 } }],
        // West's 500 are not this East dealer's to order.
        available: 130,
        availability: [
          { warehouseCode: 'WH-EAST', available: 30 },
          { warehouseCode: 'WH-HQ', available: 100 },
        ],
      },
    ]);
  });

  it('places an order priced by the server, reserving stock and credit; a client-sent price is not charged', async () => {
    const { dealer, buyer } = await dealerWith(10_000_000, 'gold');
    const before = await level('FR-100', 'WH-EAST');
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 10, quotedUnitPrice: 1 }] } });
    expect(placeOrder.replayed).toBe(false);
    expect(placeOrder.order).toMatchObject({
      status: 'submitted',
      total: { amountMinor: 873_000, currency: 'CNY' },
      creditShortfall: null,
      lines: [{ sku: 'FR-100', quantity: 10, backorderedQuantity: 0, unitPrice: { amountMinor: 87_300 }, discountBasisPoints: 300, lineTotal: { amountMinor: 873_000 }, quotedUnitPrice: { amountMinor: 1 } }],
      history: [{ status: 'submitted' }],
    });
    expect((await level('FR-100', 'WH-EAST')).reserved).toBe(before.reserved + 10);
    const summary = await credit().summary(dealer.id);
    expect(summary.reservedCents).toBe(873_000);
    expect((await buyer.query(MY_ORDERS)).myOrders.nodes.map((o: any) => o.number)).toEqual([placeOrder.order.number]);
  });

  it('resubmitting with the same idempotency key creates no second order; different contents under it are a conflict', async () => {
    const { dealer, buyer } = await dealerWith(10_000_000);
    const input = { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] };
    const results = await Promise.all([buyer.query(PLACE, { input }), buyer.query(PLACE, { input }), buyer.query(PLACE, { input })]);
    const numbers = new Set(results.map((r) => r.placeOrder.order.number));
    expect(numbers.size).toBe(1);
    expect(results.filter((r) => !r.placeOrder.replayed)).toHaveLength(1);
    expect(await count('plugin::orders.order', { dealerId: dealer.id })).toBe(1);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(50_000);
    const error = await buyer.expectError('CONFLICT', PLACE, { input: { ...input, lines: [{ sku: 'WM-200', quantity: 2 }] } });
    expect(error.message).toContain('different contents');
  });

  it('takes the whole order from the nearest warehouse that holds all of it', async () => {
    const { buyer } = await dealerWith(100_000_000);
    const east = await level('FR-100', 'WH-EAST');
    const hq = await level('FR-100', 'WH-HQ');
    // East is nearer but short by one; HQ holds it all, so it ships in one piece from HQ.
    await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: east.available + 1 }] } });
    expect((await level('FR-100', 'WH-EAST')).available).toBe(east.available);
    expect((await level('FR-100', 'WH-HQ')).available).toBe(hq.available - east.available - 1);
  });

  it('splits an order across warehouses when no single one holds it, nearest first', async () => {
    const { buyer } = await dealerWith(100_000_000);
    const east = await level('FR-100', 'WH-EAST');
    const hq = await level('FR-100', 'WH-HQ');
    await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: hq.available + 5 }] } });
    expect((await level('FR-100', 'WH-EAST')).available).toBe(0);
    expect((await level('FR-100', 'WH-HQ')).available).toBe(east.available - 5);
  });

  it('refuses an order the stock cannot cover with OUT_OF_STOCK and what is available, reserving nothing', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000);
    const before = await Promise.all([level('WM-200', 'WH-EAST'), level('WM-200', 'WH-HQ')]);
    const error = await buyer.expectError('OUT_OF_STOCK', PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 11 }, { sku: 'FR-100', quantity: 1 }] } });
    const available = before.reduce((sum, l) => sum + l.available, 0);
    expect(error.extensions?.details).toEqual({ lines: [{ sku: 'WM-200', requested: 11, available }] });
    expect(error.message).toContain(`WM-200 ${available} available, 11 ordered`);
    expect(await Promise.all([level('WM-200', 'WH-EAST'), level('WM-200', 'WH-HQ')])).toEqual(before);
    expect(await count('plugin::orders.order', { dealerId: dealer.id })).toBe(0);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
  });

  it('back-orders what is missing when the dealer accepts it', async () => {
    const { buyer } = await dealerWith(100_000_000);
    await receive('HOT-300', 'WH-EAST', 3);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), allowBackorder: true, lines: [{ sku: 'HOT-300', quantity: 5 }] } });
    expect(placeOrder.order.lines[0]).toMatchObject({ quantity: 5, backorderedQuantity: 2 });
    expect((await level('HOT-300', 'WH-EAST')).available).toBe(0);
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000);
    const movementsBefore = await count('plugin::orders.stock-movement');
    const cases: Array<[string, unknown[], RegExp]> = [
      ['unknown SKU', [{ sku: 'NOPE-1', quantity: 1 }], /no product with SKU NOPE-1/],
      ['zero quantity', [{ sku: 'FR-100', quantity: 0 }], /at least 1/],
      ['negative quantity', [{ sku: 'FR-100', quantity: -3 }], /at least 1/],
      ['inactive product', [{ sku: 'OLD-900', quantity: 1 }], /OLD-900 is discontinued/],
      ['no lines', [], /at least one line/],
      ['a SKU twice', [{ sku: 'FR-100', quantity: 1 }, { sku: 'FR-100', quantity: 2 }], /one line only/],
    ];
    for (const [, lines, message] of cases) {
      const error = await buyer.expectError('BAD_INPUT', PLACE, { input: { idempotencyKey: key(), lines } });
      expect(error.message).toMatch(message);
    }
    await buyer.expectError('BAD_INPUT', PLACE, { input: { idempotencyKey: 'short', lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect(await count('plugin::orders.order', { dealerId: dealer.id })).toBe(0);
    expect(await count('plugin::orders.stock-movement')).toBe(movementsBefore);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
  });

  it('a dealer cancels an order that has not shipped: stock and credit are released', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000);
    const before = await level('FR-100', 'WH-HQ');
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 2 }] } });
    const { cancelOrder } = await buyer.query(CANCEL, { id: placeOrder.order.id, reason: 'ordered by mistake' });
    expect(cancelOrder).toMatchObject({ status: 'cancelled', history: [{ status: 'submitted' }, { status: 'cancelled' }] });
    expect(await level('FR-100', 'WH-HQ')).toEqual(before);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
    const again = await buyer.expectError('CONFLICT', CANCEL, { id: placeOrder.order.id, reason: 'twice' });
    expect(again.message).toContain('can no longer be cancelled');
  });

  it('an order over the available credit waits for finance with its stock; finance approves it over the limit', async () => {
    const { dealer, buyer } = await dealerWith(60_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 2 }] } });
    expect(placeOrder.order).toMatchObject({ status: 'pending_approval', total: { amountMinor: 100_000 }, creditShortfall: { amountMinor: 40_000 } });
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
    const finance = await env.asStaff('finance');
    const task = await financeTaskFor(finance, placeOrder.order.number);
    expect(task.name).toBe('Finance: approve over the limit?');
    await finance.query(CLAIM, { id: task.id });
    await finance.query(COMPLETE, { id: task.id, vars: { financeDecision: 'approve' } });
    // Released to fulfilment: allocation puts it on a shipment.
    await eventually(async () => expect((await buyer.query(MY_ORDER, { id: placeOrder.order.id })).myOrder.status).toBe('allocated'));
    const summary = await credit().summary(dealer.id);
    expect(summary.reservedCents).toBe(100_000);
    expect(summary.availableCents).toBe(-40_000);
    // The buyer hears of it (orders/order-decision), once.
    const letters = await eventually(async () => {
      const found = await env.strapi.db.query('api::outbox-message.outbox-message').findMany({ where: { to: buyer.user.email, template: 'orders/order-decision' } });
      expect(found).toHaveLength(1);
      return found;
    });
    expect(letters[0].subject).toContain(placeOrder.order.number);
    expect(letters[0].subject).toContain('已批准');
  });

  it('a lost stock race retried after the credit check starts clean: one history entry, the credit reserved under the order, nothing left over', async () => {
    await env.strapi.db.query('plugin::orders.product').create({ data: { sku: 'RACE-400', name: 'Raced product', category: 'test', basePriceMinor: 50_000, currency: 'CNY', active: true } });
    await receive('RACE-400', 'WH-EAST', 2);
    const { dealer, buyer } = await dealerWith(100_000);
    // The first attempt meets a rival in its own transaction (real credit and stock reservations, rolled back with
    // it): the rival's credit makes ours exceed the limit, and its stock makes our guarded update find none left.
    const creditService = credit();
    const stockService = stock();
    const realReserveCredit = creditService.reserve;
    const realReserveStock = stockService.reserve;
    let attempts = 0;
    creditService.reserve = async (input: any) => {
      if (input.reference !== 'RIVAL' && (attempts += 1) === 1) {
        await realReserveCredit.call(creditService, { dealerId: dealer.id, amountCents: 60_000, currency: 'CNY', idempotencyKey: key('rival-credit'), reference: 'RIVAL', actor: 'rival' });
      }
      return realReserveCredit.call(creditService, input);
    };
    stockService.reserve = async (trx: any, picks: any[], meta: any) => {
      if (attempts === 1 && meta.reference !== 'RIVAL') await realReserveStock.call(stockService, trx, picks, { ...meta, reference: 'RIVAL', keyPrefix: key('rival-stock'), actor: 'rival' });
      return realReserveStock.call(stockService, trx, picks, meta);
    };
    let placed: any;
    try {
      placed = (await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'RACE-400', quantity: 2 }] } })).placeOrder;
    } finally {
      creditService.reserve = realReserveCredit;
      stockService.reserve = realReserveStock;
    }
    expect(attempts).toBe(2);
    // The retry found the credit free again: the order is submitted, its history says so once.
    expect(placed.order).toMatchObject({ status: 'submitted', creditShortfall: null, history: [{ status: 'submitted' }] });
    const row = await env.strapi.db.query('plugin::orders.order').findOne({ where: { number: placed.order.number } });
    expect(row.creditReservationKey).toBe(`order:${placed.order.number}`);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(100_000);
    expect(await count('plugin::dealers.credit-entry', { reference: 'RIVAL' })).toBe(0);
    expect(await level('RACE-400', 'WH-EAST')).toMatchObject({ onHand: 2, reserved: 2, available: 0 });
    // Cancelling releases what the order holds: the reservation is the order's, under its key. (Once its
    // fulfilment allocated it: cancelling meanwhile would race the allocation and rightly answer CONFLICT.)
    await eventually(async () => expect((await buyer.query(MY_ORDER, { id: placed.order.id })).myOrder.status).toBe('allocated'));
    await buyer.query(CANCEL, { id: placed.order.id, reason: 'raced' });
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
  });

  it('a dealer suspended while finance approves takes the Dealer blocked path: the order is cancelled, no incident', async () => {
    const { dealer, buyer } = await dealerWith(10_000);
    const before = await level('FR-100', 'WH-HQ');
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect(placeOrder.order.status).toBe('pending_approval');
    const finance = await env.asStaff('finance');
    const task = await financeTaskFor(finance, placeOrder.order.number);
    await env.strapi.plugin('dealers').service('dealers').changeStatus({ dealerId: dealer.id, to: 'suspended', reason: 'payment dispute', actor: 'test' });
    await finance.query(CLAIM, { id: task.id });
    await finance.query(COMPLETE, { id: task.id, vars: { financeDecision: 'approve' } });
    // Reserving the credit refuses DEALER_BLOCKED: the error boundary rejects the order at once.
    await eventually(async () => expect((await buyer.query(MY_ORDER, { id: placeOrder.order.id })).myOrder.status).toBe('cancelled'));
    expect(await level('FR-100', 'WH-HQ')).toEqual(before);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
    const admin = await env.asStaff('platform-admin');
    const instances = await admin.query('{ processInstances(bpmnProcessId: "orders-approval") { nodes { key variables } } }');
    const instance = instances.processInstances.nodes.find((i: any) => i.variables.orderNumber === placeOrder.order.number);
    const { processInstance } = await eventually(async () => {
      const found = await admin.query('query ($key: ID!) { processInstance(key: $key) { state variables history(pageSize: 100) { nodes { elementId } } incidents { errorMessage } } }', { key: instance.key });
      expect(found.processInstance.state).toBe('COMPLETED');
      return found;
    });
    expect(processInstance.incidents).toEqual([]);
    expect(processInstance.history.nodes.map((h: any) => h.elementId)).toEqual(expect.arrayContaining(['Event_DealerBlocked', 'Task_RejectOrder', 'EndEvent_Rejected']));
    // The boundary's output mapping carried the refusal into the note the dealer's letter gives.
    expect(processInstance.variables.financeNote).toMatch(/suspended/);
    const { incidents } = await admin.query('query ($key: ID) { incidents(state: RESOLVED, processInstanceKey: $key) { total } }', { key: instance.key });
    expect(incidents.total).toBe(0);
  });

  it('finance rejecting an order over the limit cancels it and releases its stock', async () => {
    const { dealer, buyer } = await dealerWith(10_000);
    const before = await level('FR-100', 'WH-HQ');
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect(placeOrder.order.status).toBe('pending_approval');
    const finance = await env.asStaff('finance');
    const task = await financeTaskFor(finance, placeOrder.order.number);
    await finance.query(CLAIM, { id: task.id });
    await finance.query(COMPLETE, { id: task.id, vars: { financeDecision: 'reject', financeNote: 'settle the overdue invoices first' } });
    await eventually(async () => expect((await buyer.query(MY_ORDER, { id: placeOrder.order.id })).myOrder.status).toBe('cancelled'));
    expect(await level('FR-100', 'WH-HQ')).toEqual(before);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
  });

  it('two decisions at once on one order: exactly one wins, the other is a CONFLICT', async () => {
    const { dealer, buyer } = await dealerWith(10_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    expect(placeOrder.order.status).toBe('pending_approval');
    const orders = env.strapi.plugin('orders').service('orders');
    const results = await Promise.allSettled([orders.approveOverLimit(Number(placeOrder.order.id), 'finance-a'), orders.rejectOverLimit(Number(placeOrder.order.id), 'finance-b', 'no')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.code).toBe('CONFLICT');
    const order = await orders.detail(Number(placeOrder.order.id));
    expect(order.history.filter((h: any) => h.from === 'pending_approval')).toHaveLength(1);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(order.status === 'submitted' ? 50_000 : 0);
  });

  it('a dealer cancelling while finance decides ends the approval task', async () => {
    const { buyer } = await dealerWith(10_000);
    const { placeOrder } = await buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'WM-200', quantity: 1 }] } });
    const finance = await env.asStaff('finance');
    const inInbox = async () => (await finance.query(INBOX)).taskInbox.nodes.some((t: any) => t.variables.orderNumber === placeOrder.order.number);
    await eventually(async () => expect(await inInbox()).toBe(true));
    await buyer.query(CANCEL, { id: placeOrder.order.id, reason: 'no longer needed' });
    await eventually(async () => expect(await inInbox()).toBe(false));
  });

  it('keeps dealers apart: another dealer cannot read, list or cancel my order', async () => {
    const mine = await dealerWith(100_000_000);
    const theirs = await dealerWith(100_000_000);
    const { placeOrder } = await mine.buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } });
    await theirs.buyer.expectError('NOT_FOUND', MY_ORDER, { id: placeOrder.order.id });
    await theirs.buyer.expectError('NOT_FOUND', CANCEL, { id: placeOrder.order.id, reason: 'not mine' });
    expect((await theirs.buyer.query(MY_ORDERS)).myOrders.total).toBe(0);
    expect((await mine.buyer.query(MY_ORDER, { id: placeOrder.order.id })).myOrder.status).not.toBe('cancelled');
    // The same idempotency key from another dealer is that dealer's own key.
    const shared = key('shared');
    const a = await mine.buyer.query(PLACE, { input: { idempotencyKey: shared, lines: [{ sku: 'FR-100', quantity: 1 }] } });
    const b = await theirs.buyer.query(PLACE, { input: { idempotencyKey: shared, lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect(a.placeOrder.order.number).not.toBe(b.placeOrder.order.number);
    expect(b.placeOrder.replayed).toBe(false);
  });

  it('a draft is saved with today\'s prices and nothing reserved, then placed as an order; another dealer cannot touch it', async () => {
    const { dealer, buyer } = await dealerWith(100_000_000, 'gold');
    const other = await dealerWith(100_000_000);
    const SAVE = 'mutation ($id: ID, $input: OrderDraftInput!) { saveOrderDraft(id: $id, input: $input) { id number status total { amountMinor } lines { sku quantity unitPrice { amountMinor } } } }';
    const PLACE_DRAFT = 'mutation ($id: ID!, $key: String!) { placeOrderDraft(id: $id, idempotencyKey: $key) { replayed order { id number status total { amountMinor } history { status } } } }';
    const before = await level('FR-100', 'WH-EAST');
    const { saveOrderDraft: draft } = await buyer.query(SAVE, { input: { lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect(draft).toMatchObject({ status: 'draft', number: expect.stringMatching(/^DR-/), total: { amountMinor: 90_000 } });
    const { saveOrderDraft: edited } = await buyer.query(SAVE, { id: draft.id, input: { lines: [{ sku: 'FR-100', quantity: 10 }] } });
    expect(edited).toMatchObject({ id: draft.id, lines: [{ sku: 'FR-100', quantity: 10, unitPrice: { amountMinor: 87_300 } }], total: { amountMinor: 873_000 } });
    expect(await level('FR-100', 'WH-EAST')).toEqual(before);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
    await other.buyer.expectError('NOT_FOUND', SAVE, { id: draft.id, input: { lines: [] } });
    await other.buyer.expectError('NOT_FOUND', PLACE_DRAFT, { id: draft.id, key: key() });
    await buyer.expectError('BAD_INPUT', SAVE, { id: draft.id, input: { lines: [{ sku: 'FR-100', quantity: 0 }] } });
    const placeKey = key();
    const { placeOrderDraft } = await buyer.query(PLACE_DRAFT, { id: draft.id, key: placeKey });
    expect(placeOrderDraft.order).toMatchObject({ status: 'submitted', total: { amountMinor: 873_000 }, history: [{ status: 'draft' }, { status: 'submitted' }] });
    expect(placeOrderDraft.order.number).toMatch(/^SO-/);
    expect((await credit().summary(dealer.id)).reservedCents).toBe(873_000);
    // Sending it again answers with the order; the draft is gone.
    expect((await buyer.query(PLACE_DRAFT, { id: draft.id, key: placeKey })).placeOrderDraft).toMatchObject({ replayed: true, order: { number: placeOrderDraft.order.number } });
    expect((await buyer.query('{ myOrders(status: draft) { total } }')).myOrders.total).toBe(0);
  });

  it('staff see orders of the dealers they reach: a sales rep only their own dealers', async () => {
    const rep = await env.asStaff('sales-rep');
    const followed = await dealerWith(100_000_000);
    const other = await dealerWith(100_000_000);
    await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: followed.dealer.id }, data: { salesRep: rep.user.email } });
    const mine = (await followed.buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } })).placeOrder.order;
    const theirs = (await other.buyer.query(PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } })).placeOrder.order;
    const ORDERS = '{ orders(pageSize: 100) { nodes { number dealerCode } } }';
    expect((await rep.query(ORDERS)).orders.nodes.map((o: any) => o.number)).toEqual([mine.number]);
    expect((await rep.query('query ($n: String!) { order(number: $n) { number } }', { n: mine.number })).order.number).toBe(mine.number);
    await rep.expectError('NOT_FOUND', 'query ($n: String!) { order(number: $n) { number } }', { n: theirs.number });
    const manager = await env.asStaff('channel-manager');
    const all = (await manager.query(ORDERS)).orders.nodes.map((o: any) => o.number);
    expect(all).toEqual(expect.arrayContaining([mine.number, theirs.number]));
  });

  it('viewers may look but not order; anonymous callers may do neither', async () => {
    const { dealer } = await dealerWith(100_000_000);
    const viewer = await env.asDealer(dealer, 'viewer');
    await viewer.expectError('FORBIDDEN', PLACE, { input: { idempotencyKey: key(), lines: [{ sku: 'FR-100', quantity: 1 }] } });
    expect((await viewer.query(MY_ORDERS)).myOrders.total).toBe(0);
    await env.anonymous.expectError('UNAUTHENTICATED', MY_ORDERS);
  });

  it('50 concurrent orders competing for stock that fits 10 and credit that fits 8: nothing oversold or over-committed', async () => {
    await env.strapi.db.query('plugin::orders.product').create({ data: { sku: 'RACE-1', name: 'Contested', category: 'test', basePriceMinor: 10_000, currency: 'CNY' } });
    await receive('RACE-1', 'WH-EAST', 10);
    // Eight orders of CNY 100 fit the limit of the shared dealer; its 50 buyers race for 10 units.
    const { dealer } = await dealerWith(8 * 10_000);
    const buyers = await Promise.all(Array.from({ length: 5 }, () => env.asDealer(dealer, 'buyer')));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => buyers[i % buyers.length]!.query(PLACE, { input: { idempotencyKey: key('race'), lines: [{ sku: 'RACE-1', quantity: 1 }] } })),
    );
    const placed = results.filter((r): r is PromiseFulfilledResult<any> => r.status === 'fulfilled').map((r) => r.value.placeOrder.order);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(placed).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const reason of refused) expect(String(reason.message ?? reason)).toMatch(/OUT_OF_STOCK|Not enough stock/);
    expect(placed.filter((o) => o.status !== 'pending_approval')).toHaveLength(8);
    expect(placed.filter((o) => o.status === 'pending_approval')).toHaveLength(2);
    const raced = await level('RACE-1', 'WH-EAST');
    expect(raced).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    const summary = await credit().summary(dealer.id);
    expect(summary.reservedCents).toBe(80_000);
    expect(summary.availableCents).toBe(0);
    // Refused orders left nothing behind: one reservation movement per placed order only.
    const product = await env.strapi.db.query('plugin::orders.product').findOne({ where: { sku: 'RACE-1' } });
    expect(await count('plugin::orders.stock-movement', { productId: product.id, kind: 'reservation' })).toBe(10);
    expect(await count('plugin::orders.order', { dealerId: dealer.id })).toBe(10);
  });
});
