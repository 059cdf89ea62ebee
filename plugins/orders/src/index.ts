import { definePlugin, mergeGraphql } from '@channelflow/sdk';
import productSchema from './content-types/product/schema.json';
import warehouseSchema from './content-types/warehouse/schema.json';
import priceRuleSchema from './content-types/price-rule/schema.json';
import stockLevelSchema from './content-types/stock-level/schema.json';
import stockMovementSchema from './content-types/stock-movement/schema.json';
import orderSchema from './content-types/order/schema.json';
import orderLineSchema from './content-types/order-line/schema.json';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { approveOverLimitJob } from './jobs/approve-over-limit.job';
import { rejectOrderJob } from './jobs/reject-order.job';
import { seedCatalog } from './seed';
import catalogService from './services/catalog.service';
import stockService from './services/stock.service';
import ordersService, { allocationRuleFromEnv } from './services/orders.service';

/** Catalog with tier prices, multi-level stock, and dealer orders reserving stock and credit together. */
export default definePlugin({
  name: 'orders',
  contentTypes: {
    product: { schema: productSchema },
    warehouse: { schema: warehouseSchema },
    'price-rule': { schema: priceRuleSchema },
    'stock-level': { schema: stockLevelSchema },
    // Stock moves only by appending movements, also in the admin panel: a correction is a stock-take.
    'stock-movement': { schema: stockMovementSchema, lifecycles: appendOnly('Stock movements') },
    order: { schema: orderSchema },
    'order-line': { schema: orderLineSchema },
  },
  services: { catalog: catalogService, stock: stockService, orders: ordersService },
  jobs: [approveOverLimitJob, rejectOrderJob],
  graphql: mergeGraphql(staffGraphql, dealerGraphql),
  permissions: {
    'orders.read-catalog': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'orders.read-stock': ['channel-manager', 'sales-rep', 'director'],
    'orders.read': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'orders.manage-stock': ['channel-manager'],
    'orders.manage-prices': ['channel-manager', 'director'],
  },
  bootstrap: async ({ strapi }) => {
    allocationRuleFromEnv(); // a mistyped ORDERS_ALLOCATION_RULE stops the start, not an order
    const raw = (sql: string) => strapi.db.connection.raw(sql);
    // One level per product × warehouse, so two first receipts cannot create two.
    await raw('create unique index if not exists order_stock_levels_product_warehouse on order_stock_levels (product_id, warehouse_id)');
    await raw('create index if not exists order_stock_movements_order on order_stock_movements (order_id)');
    await raw('create index if not exists order_stock_movements_level on order_stock_movements (product_id, warehouse_id)');
    await raw('create index if not exists order_lines_order on order_lines (order_id)');
    await raw('create index if not exists orders_dealer_status on orders (dealer_id, status)');
    await raw('create index if not exists order_price_rules_product on order_price_rules (product_id)');
  },
  seed: seedCatalog,
  seedAfter: ['dealers'],
});

function appendOnly(what: string) {
  const refuse = () => {
    throw new Error(`${what} cannot be changed or deleted; book a correcting movement instead`);
  };
  return { beforeUpdate: refuse, beforeUpdateMany: refuse, beforeDelete: refuse, beforeDeleteMany: refuse };
}
