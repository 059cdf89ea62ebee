import { parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import { catalogResolvers, catalogTypeDefs } from './types';

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${catalogTypeDefs}
    enum WarehouseLevel { hq regional dealer store }
    type Warehouse { documentId: ID! code: String! name: String! level: WarehouseLevel! regionCode: String }
    extend type Query {
      "Staff: the product catalog, including inactive products when activeOnly is false."
      products(search: String, category: String, activeOnly: Boolean, page: Int, pageSize: Int): ProductPage!
      "Staff: every stock location."
      warehouses: [Warehouse!]!
    }
  `,
  resolvers: {
    ...catalogResolvers,
    Query: {
      products: staffScope('orders.read-catalog', async (args, { strapi }) => {
        const filter = { search: args.search ?? undefined, category: args.category ?? undefined, activeOnly: args.activeOnly ?? true };
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('orders').service('catalog').products(filter, page, pageSize);
      }),
      warehouses: staffScope('orders.read-stock', async (_args, { strapi }) => strapi.plugin('orders').service('catalog').warehouses()),
    },
    Warehouse: {
      regionCode: (w: { region?: { code: string } | null }) => w.region?.code ?? null,
    },
  },
};
