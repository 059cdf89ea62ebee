import { dayOf, withKnex, type SeedContext, service } from '@channelflow/sdk';
import { orderStateMachine, type OrderStatus } from './services/order-status';
import { toLineRow } from './services/orders.service';
import { resolvePrice } from './services/pricing';
import { ORDER, ORDER_LINE, SHIPMENT, SHIPMENT_EVENT, STOCK_MOVEMENT } from './uids';

const MONTHS = 12;
const DAY = 86_400_000;

/**
 * Twelve months of order history for the active demo dealers, as the platform would have recorded
 * it: orders priced by the rules valid then, shipped from the dealer's regional warehouse (or HQ)
 * after a replenishment receipt, delivered, invoiced on delivery (credit ledger) and paid, mostly on
 * time, some late or in part, the newest not yet. Dates are relative to the day of seeding; the
 * same seed gives the same history. Processes are not started for history (it is finished).
 */
export async function seedOrderHistory({ strapi, random, log }: SeedContext): Promise<void> {
  const dealers = await activeDealers(strapi);
  const products: any[] = await strapi.db.query('plugin::orders.product').findMany({ where: { active: true }, orderBy: { sku: 'asc' } });
  const catalog = service(strapi, 'orders', 'catalog');
  const stock = service(strapi, 'orders', 'stock');
  const billing = service(strapi, 'orders', 'billing');
  const dealersService = service(strapi, 'dealers', 'dealers');
  const { rules } = await catalog.pricingFor(products.map((p) => p.sku));
  const now = Date.now();
  let orders = 0;

  // Month by month, oldest first: invoice numbers and the credit ledger then run in date order.
  for (let month = MONTHS; month >= 1; month -= 1) {
    const planned: Array<{ dealer: any; placedAt: number }> = [];
    for (const dealer of dealers) {
      const count = Math.floor(random() * 2.4);
      for (let k = 0; k < count; k += 1) planned.push({ dealer, placedAt: now - (month * 30 - Math.floor(random() * 27)) * DAY - Math.floor(random() * 8) * 3_600_000 });
    }
    planned.sort((a, b) => a.placedAt - b.placedAt);
    for (const { dealer, placedAt } of planned) {
      const profile = await dealersService.commercialProfile(dealer.id);
      if (!profile) continue;
      const [warehouse] = await catalog.servingWarehouses(profile.regionId);
      if (!warehouse) continue;
      const shippedAt = placedAt + (1 + Math.floor(random() * 2)) * DAY;
      const deliveredAt = shippedAt + (1 + Math.floor(random() * 4)) * DAY;
      if (deliveredAt > now - DAY) continue; // still under way: not history
      const day = dayOf(placedAt);
      const picked = new Set<number>();
      const lineCount = 1 + Math.floor(random() * 3);
      while (picked.size < lineCount) picked.add(Math.floor(random() * products.length));
      const number = `SO-${day.replace(/-/g, '')}-H${String(orders + 1).padStart(5, '0')}`;
      const lines = [...picked].map((index, i) => {
        const product = products[index];
        const quantity = 1 + Math.floor(random() * 12);
        const price = resolvePrice(Number(product.basePriceMinor), rules.get(product.id) ?? [], { tier: profile.tier, quantity, day });
        return { lineNo: i + 1, product, quantity, price };
      });
      const totalMinor = lines.reduce((sum, l) => sum + l.price.lineTotalMinor, 0);
      const { ids } = await strapi.db.query(ORDER as any).createMany({
        data: [
          {
            number,
            dealerId: dealer.id,
            dealerCode: dealer.code,
            ...orderStateMachine.initial('submitted', { by: `buyer@${dealer.code.toLowerCase()}.example.cn` }),
            currency: 'CNY',
            totalMinor,
            lineCount: lines.length,
            idempotencyKey: `${dealer.id}:history-${number}`,
            requestHash: 'history',
            allowBackorder: false,
            placedBy: `buyer@${dealer.code.toLowerCase()}.example.cn`,
            submittedAt: new Date(placedAt),
            // History is finished: nothing for the dispatcher to start.
            processInstanceKey: 'history',
            fulfilmentProcessKey: 'history',
          },
        ],
      });
      const orderId = Number(ids[0]);
      await strapi.db.query(ORDER_LINE as any).createMany({ data: lines.map((l) => toLineRow(orderId, l)) });
      // The warehouse was replenished for it a few days before, then reserved and shipped it.
      for (const l of lines) {
        const base = { productId: l.product.id, warehouseId: warehouse.id, quantity: l.quantity, orderId, reference: number, actor: 'seed' };
        await stock.ensureLevel(l.product.id, warehouse.id);
        await strapi.db.transaction(async ({ trx }: { trx: any }) => {
          await stock.apply(trx, { ...base, kind: 'receipt', orderId: null, reference: `PO-${number.slice(3)}`, idempotencyKey: `history:${number}:receipt:${l.product.id}` });
          await stock.apply(trx, { ...base, kind: 'reservation', idempotencyKey: `history:${number}:reserve:${l.product.id}` });
          await stock.apply(trx, { ...base, kind: 'shipment', idempotencyKey: `history:${number}:ship:${l.product.id}` });
        });
      }
      const movementDates: Array<[string, number]> = lines.flatMap((l) => [
        [`history:${number}:receipt:${l.product.id}`, placedAt - (3 + Math.floor(random() * 8)) * DAY],
        [`history:${number}:reserve:${l.product.id}`, placedAt],
        [`history:${number}:ship:${l.product.id}`, shippedAt],
      ]);
      // Movements are append-only for everyone else; the seed writes history, so it dates them directly.
      await withKnex(strapi, async (knex) => {
        for (const at of new Set(movementDates.map(([, when]) => when))) {
          const keys = movementDates.filter(([, when]) => when === at).map(([key]) => key);
          await knex('order_stock_movements').whereIn('idempotency_key', keys).update({ created_at: new Date(at), updated_at: new Date(at) });
        }
      });
      const trackingNumber = `SF${String(1_000_000_000 + Math.floor(random() * 8_999_999_999))}`;
      const { ids: shipmentIds } = await strapi.db.query(SHIPMENT as any).createMany({
        data: [
          {
            number: `${number}-S1`,
            orderId,
            orderNumber: number,
            dealerId: dealer.id,
            warehouseId: warehouse.id,
            warehouseCode: warehouse.code,
            deliveryStatus: 'delivered',
            lines: lines.map((l) => ({ productId: l.product.id, sku: l.product.sku, quantity: l.quantity })),
            carrier: 'SF Express',
            trackingNumber,
            shippedAt: new Date(shippedAt),
            deliveredAt: new Date(deliveredAt),
            lastEventAt: new Date(deliveredAt),
          },
        ],
      });
      await strapi.db.query(SHIPMENT_EVENT as any).createMany({
        data: [
          { shipmentId: Number(shipmentIds[0]), eventId: `history:${number}:shipped`, kind: 'shipped', occurredAt: new Date(shippedAt), source: 'staff', recordedBy: 'seed', location: warehouse.name },
          { shipmentId: Number(shipmentIds[0]), eventId: `history:${number}:delivered`, kind: 'delivered', occurredAt: new Date(deliveredAt), source: 'carrier', recordedBy: 'carrier-webhook' },
        ],
      });
      const issuedOn = dayOf(deliveredAt);
      const { issued } = await billing.invoiceDelivered(orderId, issuedOn);
      const invoice = issued[0] ? await billing.invoiceByNumber(issued[0]) : null;
      if (invoice) await payFor(invoice, random, now, billing);
      const final = await strapi.db.query(ORDER as any).findOne({ where: { id: orderId }, select: ['orderStatus'] });
      const steps: Array<[OrderStatus | null, OrderStatus, number]> = [
        [null, 'submitted', placedAt],
        ['submitted', 'allocated', placedAt + 600_000],
        ['allocated', 'shipped', shippedAt],
        ['shipped', 'delivered', deliveredAt],
        ['delivered', 'invoiced', deliveredAt + 60_000],
      ];
      if (final.orderStatus === 'closed') steps.push(['invoiced', 'closed', Math.min(now, Date.parse(`${invoice!.dueDate}T10:00:00Z`))]);
      await withKnex(strapi, (knex) =>
        knex('orders')
          .where({ id: orderId })
          .update({ created_at: new Date(placedAt), history: JSON.stringify(steps.map(([from, to, at]) => ({ ...orderStateMachine.step(from, to, { by: to === 'submitted' ? `buyer@${dealer.code.toLowerCase()}.example.cn` : 'platform' }), at: new Date(at).toISOString() }))) }),
      );
      orders += 1;
    }
  }
  log.info(`order history: ${orders} orders over ${MONTHS} months for ${dealers.length} active dealers`);
}

/**
 * Three in four invoices are paid in full in the days before they fall due, the rest up to a month
 * late; a few of the last weeks' invoices only in part. Invoices not due yet are mostly still open.
 * (The dealers' opening balances carry the long-overdue cases.)
 */
async function payFor(invoice: { number: string; totalMinor: number; dueDate: string }, random: () => number, now: number, billing: any) {
  const due = Date.parse(`${invoice.dueDate}T00:00:00Z`);
  const onTime = random() < 0.75;
  const paidAt = onTime ? due - Math.floor(random() * 10) * DAY : due + (5 + Math.floor(random() * 25)) * DAY;
  if (paidAt > now - DAY) return;
  const recent = now - due < 45 * DAY;
  const amountMinor = recent && random() < 0.15 ? Math.round((invoice.totalMinor * (0.4 + random() * 0.5)) / 100) * 100 : invoice.totalMinor;
  if (amountMinor <= 0) return;
  await billing.postPayment({ invoiceNumber: invoice.number, amountMinor, paidOn: dayOf(paidAt), reference: `BANK-${invoice.number.slice(4)}`, idempotencyKey: `history:payment:${invoice.number}`, postedBy: 'seed' });
}

/** The active dealers, by code, through the dealers plug-in's own list. */
export async function activeDealers(strapi: SeedContext['strapi']): Promise<Array<{ id: number; code: string }>> {
  const dealers: Array<{ id: number; code: string }> = [];
  for (let page = 1; ; page += 1) {
    const found = await service(strapi, 'dealers', 'dealers').list({ status: 'active' }, page, 100);
    dealers.push(...found.nodes);
    if (found.nodes.length < 100 || dealers.length >= found.total) return dealers;
  }
}
