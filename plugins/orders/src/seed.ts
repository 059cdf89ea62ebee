import type { SeedContext } from '@channelflow/sdk';

const CATEGORIES = [
  { category: 'refrigerators', en: 'Refrigerator', zh: '冰箱', base: 2_999_00 },
  { category: 'washers', en: 'Washing machine', zh: '洗衣机', base: 1_899_00 },
  { category: 'air-conditioners', en: 'Air conditioner', zh: '空调', base: 2_599_00 },
  { category: 'kitchen', en: 'Range hood', zh: '油烟机', base: 1_299_00 },
  { category: 'small-appliances', en: 'Rice cooker', zh: '电饭煲', base: 299_00 },
] as const;
const SERIES = ['A1', 'A3', 'S5', 'S7', 'X9', 'Pro', 'Lite', 'Max'];

/** HQ + one warehouse per region; 40 products (8 per category) with deterministic prices. */
export async function seedCatalog({ strapi, random }: SeedContext): Promise<void> {
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
      await strapi.db.query('plugin::orders.product').create({
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
    }
  }
}
