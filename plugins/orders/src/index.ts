import { definePlugin } from '@channelflow/sdk';
import productSchema from './content-types/product/schema.json';
import warehouseSchema from './content-types/warehouse/schema.json';
import { catalogGraphql } from './graphql/catalog.graphql';
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
  graphql: catalogGraphql,
  permissions: {
    'orders.read-catalog': ['channel-manager', 'sales-rep', 'finance'],
    'orders.read-stock': ['channel-manager', 'sales-rep'],
  },
  seed: seedCatalog,
  seedAfter: ['dealers'],
});
