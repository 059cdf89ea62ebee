import { withKnex, type SeedContext, service } from '@channelflow/sdk';
import { activeDealers, seedOrderHistory } from './seed-history';

const CATEGORIES = [
  { category: 'refrigerators', en: 'Refrigerator', zh: '冰箱', base: 2_999_00 },
  { category: 'washers', en: 'Washing machine', zh: '洗衣机', base: 1_899_00 },
  { category: 'air-conditioners', en: 'Air conditioner', zh: '空调', base: 2_599_00 },
  { category: 'kitchen', en: 'Range hood', zh: '油烟机', base: 1_299_00 },
  { category: 'small-appliances', en: 'Rice cooker', zh: '电饭煲', base: 299_00 },
] as const;
const SERIES = ['A1', 'A3', 'S5', 'S7', 'X9', 'Pro', 'Lite', 'Max'];

/**
 * HQ + one warehouse per region; 40 products (8 per category) with deterministic prices; tier
 * prices for gold and silver, quantity breaks for everyone, a spring promotion; stock in every
 * warehouse with safety stock.
 */
export async function seedCatalog(context: SeedContext): Promise<void> {
  const { strapi, random } = context;
  const regions = await strapi.db.query('api::region.region').findMany({ orderBy: { code: 'asc' } });
  await strapi.db.query('plugin::orders.warehouse').create({ data: { code: 'WH-HQ', name: 'HQ central warehouse', level: 'hq' } });
  for (const region of regions) {
    await strapi.db.query('plugin::orders.warehouse').create({
      data: { code: `WH-${region.code}`, name: `${region.name} regional warehouse`, level: 'regional', region: region.id },
    });
  }
  for (const [c, cat] of CATEGORIES.entries()) {
    for (const [s, series] of SERIES.entries()) {
      // ±30% around the category's base in whole basis points, rounded down to ¥10 steps: integer maths only.
      const basisPoints = 7000 + Math.floor(random() * 6001);
      const basePriceMinor = Math.floor((cat.base * basisPoints) / 10_000 / 1000) * 1000;
      const product = await strapi.db.query('plugin::orders.product').create({
        data: {
          sku: `AU-${String(c + 1).padStart(2, '0')}${String(s + 1).padStart(2, '0')}`,
          name: `Aurora ${cat.en} ${series}`,
          nameZh: `极光${cat.zh} ${series}`,
          unit: 'pcs',
          category: cat.category,
          basePriceMinor,
          currency: 'CNY',
          // One discontinued model per category keeps "active only" filters honest.
          active: s !== SERIES.length - 1,
        },
      });
      await seedPrices(strapi, product);
      if (product.active) await seedStock(strapi, product, random);
    }
  }
  await seedOrderHistory(context);
  await seedOpenOrders(context);
}

/** A few orders placed today, which the platform fulfils once it runs (processes start with the runtime). */
async function seedOpenOrders({ strapi, random }: SeedContext) {
  const dealers = await activeDealers(strapi);
  const products: any[] = await strapi.db.query('plugin::orders.product').findMany({ where: { active: true }, orderBy: { sku: 'asc' } });
  const orders = service(strapi, 'orders', 'orders');
  for (let i = 0; i < 6 && dealers.length; i += 1) {
    const dealer = dealers[Math.floor(random() * dealers.length)];
    const product = products[Math.floor(random() * products.length)];
    await orders
      .place({ dealerId: dealer.id, idempotencyKey: `seed-open-${i + 1}`, lines: [{ sku: product.sku, quantity: 1 + Math.floor(random() * 5) }], placedBy: `buyer@${dealer.code.toLowerCase()}.example.cn` })
      .catch(() => undefined); // out of stock in its region: the demo simply has one order fewer
  }
}

const TIER_DISCOUNT_BASIS_POINTS = { gold: 900, silver: 500 } as const;

async function seedPrices(strapi: SeedContext['strapi'], product: { id: number; sku: string; basePriceMinor: number }) {
  const rules = strapi.db.query('plugin::orders.price-rule');
  for (const [tier, basisPoints] of Object.entries(TIER_DISCOUNT_BASIS_POINTS)) {
    // Whole yuan: the tier's discount off the list price, rounded down.
    const unitPriceMinor = Math.floor((product.basePriceMinor * (10_000 - basisPoints)) / 10_000 / 100) * 100;
    await rules.create({ data: { productId: product.id, sku: product.sku, kind: 'tier_price', tier, unitPriceMinor, note: `${tier} price` } });
  }
  await rules.create({ data: { productId: product.id, sku: product.sku, kind: 'quantity_break', tier: null, minQuantity: 10, discountBasisPoints: 300, note: '10+ units −3%' } });
  await rules.create({ data: { productId: product.id, sku: product.sku, kind: 'quantity_break', tier: null, minQuantity: 50, discountBasisPoints: 500, note: '50+ units −5%' } });
  await rules.create({ data: { productId: product.id, sku: product.sku, kind: 'quantity_break', tier: 'gold', minQuantity: 50, discountBasisPoints: 700, note: 'gold 50+ units −7%' } });
}

async function seedStock(strapi: SeedContext['strapi'], product: { id: number; sku: string }, random: () => number) {
  const stock = service(strapi, 'orders', 'stock');
  const warehouses = await strapi.db.query('plugin::orders.warehouse').findMany({ orderBy: { code: 'asc' } });
  for (const warehouse of warehouses) {
    const hq = warehouse.level === 'hq';
    // Some regional shelves run low, so replenishment and split shipments have something to show.
    const quantity = hq ? 400 + Math.floor(random() * 1600) : Math.floor(random() * 120);
    if (quantity > 0) {
      const key = `seed:receipt:${product.sku}:${warehouse.code}`;
      await stock.receive({ sku: product.sku, warehouseCode: warehouse.code, quantity, idempotencyKey: key, reference: 'opening stock', actor: 'seed' });
      // Received some time in the last eight months, so stock age (库龄) has something to show.
      const receivedAt = new Date(Date.now() - (10 + Math.floor(random() * 230)) * 86_400_000);
      await withKnex(strapi, (knex) => knex('order_stock_movements').where({ idempotency_key: key }).update({ created_at: receivedAt, updated_at: receivedAt }));
    }
    await stock.setSafetyStock({ sku: product.sku, warehouseCode: warehouse.code, safetyStock: hq ? 200 : 20 });
  }
}
