import { dealerScope, type GraphqlExtension } from '@channelflow/sdk';
import { toCreditStatement, toCreditSummary } from './credit-types';

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type DealerPortalUser { email: String! username: String! role: String! }
    type MyDealer { dealer: Dealer! myRole: String! users: [DealerPortalUser!]! }
    extend type Query {
      "Dealer portal: the signed-in user's own dealer and its portal users."
      myDealer: MyDealer!
      "Dealer portal: my dealer's credit: limit (and temporary limit), exposure, available, overdue."
      myCredit: CreditSummary!
      "Dealer portal: my dealer's account statement for a period (dates as YYYY-MM-DD), with ageing."
      myStatement(from: String!, to: String!): CreditStatement!
    }
  `,
  resolvers: {
    Query: {
      myDealer: dealerScope(async (_args, { strapi, dealer, dealerRole }) => ({
        dealer: await strapi.plugin('dealers').service('dealers').detail(dealer.id),
        myRole: dealerRole,
        users: await strapi.plugin('dealers').service('portal-users').usersOf(dealer.id),
      })),
      myCredit: dealerScope(async (_args, { strapi, dealer }) => toCreditSummary(await strapi.plugin('dealers').service('credit').summary(dealer.id))),
      myStatement: dealerScope(async (args, { strapi, dealer }) =>
        toCreditStatement(await strapi.plugin('dealers').service('credit').statement(dealer.id, args.from, args.to)),
      ),
    },
  },
};
