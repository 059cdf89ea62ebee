import { dealerScope, parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';

export const dealersGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum DealerTier { gold silver bronze }
    enum DealerType { distributor sub_dealer store }
    enum DealerStatus { prospect onboarding active suspended blacklisted terminated }
    type DealerRegion { code: String! name: String! nameZh: String }
    type DealerSummary { documentId: ID! code: String! name: String! }
    type Dealer {
      documentId: ID!
      code: String!
      name: String!
      tier: DealerTier!
      dealerType: DealerType!
      status: DealerStatus!
      city: String
      region: DealerRegion
      parent: DealerSummary
    }
    type DealerPage { nodes: [Dealer!]! total: Int! page: Int! pageSize: Int! }
    type DealerPortalUser { email: String! username: String! role: String! }
    type MyDealer { dealer: Dealer! myRole: String! users: [DealerPortalUser!]! }
    extend type Query {
      "Staff: dealers, filtered by tier, status, region or a search over name and code."
      dealers(tier: DealerTier, status: DealerStatus, regionCode: String, search: String, page: Int, pageSize: Int): DealerPage!
      "Dealer portal: the signed-in user's own dealer and its portal users."
      myDealer: MyDealer!
    }
  `,
  resolvers: {
    Query: {
      dealers: staffScope('dealers.read', async (args, { strapi }) => {
        const { page, pageSize } = parsePage(args);
        const { page: _p, pageSize: _s, ...filter } = args;
        return strapi.plugin('dealers').service('dealers').list(withoutNulls(filter), page, pageSize);
      }),
      myDealer: dealerScope(async (_args, { strapi, dealer, dealerRole }) => ({
        dealer: await strapi.plugin('dealers').service('dealers').detail(dealer.id),
        myRole: dealerRole,
        users: await strapi.plugin('dealers').service('portal-users').usersOf(dealer.id),
      })),
    },
    Dealer: {
      // GraphQL enum values cannot contain dashes.
      dealerType: (d: { dealerType: string }) => d.dealerType.replace('-', '_'),
    },
  },
};

function withoutNulls(o: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}
