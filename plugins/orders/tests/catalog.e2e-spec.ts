import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const CATALOG = 'query ($search: String, $pageSize: Int) { catalog(search: $search, pageSize: $pageSize) { total nodes { sku name basePrice { amountMinor currency } price { amountMinor } } } }';
const PRODUCTS = 'query ($activeOnly: Boolean) { products(activeOnly: $activeOnly) { total nodes { sku active } } }';

describe('orders plug-in: catalog and warehouses', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    const products = env.strapi.db.query('plugin::orders.product');
    await products.create({ data: { sku: 'AU-0101', name: 'Aurora Refrigerator A1', category: 'refrigerators', basePriceMinor: 299900, currency: 'CNY' } });
    await products.create({ data: { sku: 'AU-0102', name: 'Aurora Refrigerator A3', category: 'refrigerators', basePriceMinor: 349900, currency: 'CNY' } });
    await products.create({ data: { sku: 'AU-0199', name: 'Aurora Refrigerator Old', category: 'refrigerators', basePriceMinor: 199900, currency: 'CNY', active: false } });
    const east = await env.strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East China' } });
    await env.strapi.db.query('plugin::orders.warehouse').create({ data: { code: 'WH-HQ', name: 'HQ', level: 'hq' } });
    await env.strapi.db.query('plugin::orders.warehouse').create({ data: { code: 'WH-EAST', name: 'East', level: 'regional', region: east.id } });
  });
  afterAll(() => env?.destroy());

  it('shows dealers the active catalog with prices in minor units (no price rules: the list price)', async () => {
    const dealer = await env.asDealer(await env.createDealer());
    const { catalog } = await dealer.query(CATALOG);
    expect(catalog.nodes).toEqual([
      { sku: 'AU-0101', name: 'Aurora Refrigerator A1', basePrice: { amountMinor: 299900, currency: 'CNY' }, price: { amountMinor: 299900 } },
      { sku: 'AU-0102', name: 'Aurora Refrigerator A3', basePrice: { amountMinor: 349900, currency: 'CNY' }, price: { amountMinor: 349900 } },
    ]);
  });

  it('searches by SKU or name', async () => {
    const dealer = await env.asDealer(await env.createDealer());
    const { catalog } = await dealer.query(CATALOG, { search: 'a3' });
    expect(catalog.nodes.map((p: any) => p.sku)).toEqual(['AU-0102']);
  });

  it('refuses catalog pages over 100 rows and anonymous callers', async () => {
    const dealer = await env.asDealer(await env.createDealer());
    await dealer.expectError('BAD_INPUT', CATALOG, { pageSize: 500 });
    await env.anonymous.expectError('UNAUTHENTICATED', CATALOG);
  });

  it('shows staff discontinued products on request', async () => {
    const rep = await env.asStaff('sales-rep');
    expect((await rep.query(PRODUCTS, { activeOnly: false })).products.total).toBe(3);
    expect((await rep.query(PRODUCTS, {})).products.total).toBe(2);
  });

  it('shows warehouses to roles holding orders.read-stock only', async () => {
    const manager = await env.asStaff('channel-manager');
    const { warehouses } = await manager.query('{ warehouses { code level regionCode } }');
    expect(warehouses).toEqual([
      { code: 'WH-EAST', level: 'regional', regionCode: 'EAST' },
      { code: 'WH-HQ', level: 'hq', regionCode: null },
    ]);
    const finance = await env.asStaff('finance');
    const error = await finance.expectError('FORBIDDEN', '{ warehouses { code } }');
    expect(error.message).toContain('orders.read-stock');
  });
});
