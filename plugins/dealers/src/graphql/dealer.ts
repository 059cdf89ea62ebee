import { dealerScope, type GraphqlExtension } from '@channelflow/sdk';

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type DealerPortalUser { email: String! username: String! role: String! }
    type MyDealer { dealer: Dealer! myRole: String! users: [DealerPortalUser!]! }
    extend type Query {
      "Dealer portal: the signed-in user's own dealer and its portal users."
      myDealer: MyDealer!
    }
  `,
  resolvers: {
    Query: {
      myDealer: dealerScope(async (_args, { strapi, dealer, dealerRole }) => ({
        dealer: await strapi.plugin('dealers').service('dealers').detail(dealer.id),
        myRole: dealerRole,
        users: await strapi.plugin('dealers').service('portal-users').usersOf(dealer.id),
      })),
    },
  },
};
