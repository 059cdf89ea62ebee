import { dealerScope, parsePage, type GraphqlExtension } from '@channelflow/sdk';

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    extend type Query {
      "Dealer portal: the active catalog (tier prices arrive with the orders issue)."
      catalog(search: String, category: String, page: Int, pageSize: Int): ProductPage!
    }
  `,
  resolvers: {
    Query: {
      catalog: dealerScope(async (args, { strapi }) => {
        const filter = { search: args.search ?? undefined, category: args.category ?? undefined, activeOnly: true };
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('orders').service('catalog').products(filter, page, pageSize);
      }),
    },
  },
};
