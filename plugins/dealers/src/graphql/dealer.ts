import { dealerScope, parsePage, type GraphqlExtension } from '@channelflow/sdk';
import { longToNumber, toCreditLimitRequest, toCreditStatement, toCreditSummary } from './credit-types';

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
      "Dealer portal: my dealer's credit limit requests, newest first."
      myCreditLimitRequests(page: Int, pageSize: Int): CreditLimitRequestPage!
    }
    extend type Mutation {
      "Dealer portal (owner, finance): ask for a new credit limit, permanent or until temporaryUntil (ISO date-time)."
      requestCreditLimitChange(limitMinor: Long!, temporaryUntil: String, reason: String!): CreditLimitRequest!
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
      myCreditLimitRequests: dealerScope(async (args, { strapi, dealer }) => {
        const page = await strapi.plugin('dealers').service('credit-change').list({ dealerId: dealer.id }, parsePage(args));
        return { ...page, nodes: page.nodes.map((r: any) => toCreditLimitRequest(r, true)) };
      }),
    },
    Mutation: {
      requestCreditLimitChange: dealerScope({ roles: ['owner', 'finance'] }, async (args, { strapi, dealer, user }) => {
        const request = await strapi.plugin('dealers').service('credit-change').request({
          dealerId: dealer.id,
          limitCents: longToNumber(args.limitMinor),
          temporaryUntil: args.temporaryUntil ?? undefined,
          reason: args.reason,
          requestedBy: user.email,
          requestedVia: 'portal',
        });
        return toCreditLimitRequest(request, true);
      }),
    },
  },
};
