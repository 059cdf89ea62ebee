import { definePlugin, mergeGraphql } from '@channelflow/sdk';
import productSchema from './content-types/product/schema.json';
import warehouseSchema from './content-types/warehouse/schema.json';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { seedCatalog } from './seed';
import catalogService from './services/catalog.service';

/** Catalog and stock locations now; orders, stock, fulfilment and invoices grow here (issue 5). */
export default definePlugin({
  name: 'orders',
  contentTypes: {
    product: { schema: productSchema },
    warehouse: { schema: warehouseSchema },
  },
  services: { catalog: catalogService },
  graphql: mergeGraphql(staffGraphql, dealerGraphql),
  permissions: {
    'orders.read-catalog': ['channel-manager', 'sales-rep', 'finance'],
    'orders.read-stock': ['channel-manager', 'sales-rep'],
  },
  seed: seedCatalog,
  seedAfter: ['dealers'],
});
