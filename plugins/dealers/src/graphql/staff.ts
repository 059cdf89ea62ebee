import { parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import { dealerResolvers, dealerTypeDefs } from './types';

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${dealerTypeDefs}
    type DealerPage { nodes: [Dealer!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: dealers, filtered by tier, status, region or a search over name and code."
      dealers(tier: DealerTier, status: DealerStatus, regionCode: String, search: String, page: Int, pageSize: Int): DealerPage!
    }
  `,
  resolvers: {
    ...dealerResolvers,
    Query: {
      dealers: staffScope('dealers.read', async (args, { strapi }) => {
        const filter = { tier: args.tier, status: args.status, regionCode: args.regionCode, search: args.search };
        const present = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== null && v !== undefined));
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('dealers').service('dealers').list(present, page, pageSize);
      }),
    },
  },
};
