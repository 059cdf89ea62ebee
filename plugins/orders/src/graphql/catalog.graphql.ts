import { dealerScope, parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';

export const catalogGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type Money { amountMinor: Int! currency: String! }
    type Product {
      documentId: ID!
      sku: String!
      name: String!
      nameZh: String
      unit: String!
      category: String!
      basePrice: Money!
      active: Boolean!
    }
    type ProductPage { nodes: [Product!]! total: Int! page: Int! pageSize: Int! }
    enum WarehouseLevel { hq regional dealer store }
    type Warehouse { documentId: ID! code: String! name: String! level: WarehouseLevel! regionCode: String }
    extend type Query {
      "Staff: the product catalog, including inactive products when activeOnly is false."
      products(search: String, category: String, activeOnly: Boolean, page: Int, pageSize: Int): ProductPage!
      "Staff: every stock location."
      warehouses: [Warehouse!]!
      "Dealer portal: the active catalog (tier prices arrive with the orders issue)."
      catalog(search: String, category: String, page: Int, pageSize: Int): ProductPage!
    }
  `,
  resolvers: {
    Query: {
      products: staffScope('orders.read-catalog', async (args, { strapi }) => {
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('orders').service('catalog').products(
          { search: args.search ?? undefined, category: args.category ?? undefined, activeOnly: args.activeOnly ?? true },
          page,
          pageSize,
        );
      }),
      warehouses: staffScope('orders.read-stock', async (_args, { strapi }) => strapi.plugin('orders').service('catalog').warehouses()),
      catalog: dealerScope(async (args, { strapi }) => {
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('orders').service('catalog').products(
          { search: args.search ?? undefined, category: args.category ?? undefined, activeOnly: true },
          page,
          pageSize,
        );
      }),
    },
    Product: {
      basePrice: (p: { basePriceMinor: number; currency: string }) => ({ amountMinor: p.basePriceMinor, currency: p.currency }),
    },
    Warehouse: {
      regionCode: (w: { region?: { code: string } | null }) => w.region?.code ?? null,
    },
  },
};
