import { z } from 'zod';
import { dealerScope, parseArgs, parsePage, rateLimit, type GraphqlExtension, service } from '@channelflow/sdk';
import { longToNumber, toCreditSummary } from './credit-types';
import { dealerViewTypeDefs, toDealerCreditLimitRequests, toDealerCreditStatement } from './dealer-views';

const OWNERS = { roles: ['owner'] } as const;
const INVITATIONS_PER_HOUR = 20;

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${dealerViewTypeDefs}
    type DealerPortalUser { email: String! username: String! role: String! }
    type MyDealer { dealer: Dealer! myRole: String! users: [DealerPortalUser!]! }
    enum DealerPortalRole { owner buyer finance viewer }
    enum DealerInvitationStatus { pending accepted revoked expired }
    type DealerInvitation { id: ID! email: String! role: DealerPortalRole! status: DealerInvitationStatus! invitedBy: String! expiresAt: String! createdAt: String }
    extend type Query {
      "Dealer portal: the signed-in user's own dealer and its portal users."
      myDealer: MyDealer!
      "Dealer portal: my dealer's credit: limit (and temporary limit), exposure, available, overdue."
      myCredit: CreditSummary!
      "Dealer portal: my dealer's account statement for a period (dates as YYYY-MM-DD), with ageing."
      myStatement(from: String!, to: String!): DealerCreditStatement!
      "Dealer portal: my dealer's credit limit requests, newest first."
      myCreditLimitRequests(page: Int, pageSize: Int): DealerCreditLimitRequestPage!
      "Dealer portal (owner): invitations sent for my dealer, newest first."
      myDealerInvitations: [DealerInvitation!]!
    }
    extend type Mutation {
      "Dealer portal (owner, finance): ask for a new credit limit, permanent or until temporaryUntil (ISO date-time)."
      requestCreditLimitChange(limitMinor: Long!, temporaryUntil: String, reason: String!): DealerCreditLimitRequest!
      "Dealer portal (owner): invite a colleague by e-mail with a role; the e-mail carries a one-time link valid for 7 days. At most 20 invitations per hour per dealer."
      inviteDealerUser(email: String!, role: DealerPortalRole!): DealerInvitation!
      "Dealer portal (owner): withdraw an invitation that was not accepted yet."
      revokeDealerInvitation(id: ID!): DealerInvitation!
    }
  `,
  resolvers: {
    Query: {
      myDealer: dealerScope(async (_args, { strapi, dealer, dealerRole }) => ({
        dealer: await service(strapi, 'dealers', 'dealers').detail(dealer.id),
        myRole: dealerRole,
        users: await service(strapi, 'dealers', 'portal-users').usersOf(dealer.id),
      })),
      myCredit: dealerScope(async (_args, { strapi, dealer }) => toCreditSummary(await service(strapi, 'dealers', 'credit').summary(dealer.id))),
      myStatement: dealerScope(async (args, { strapi, dealer }) =>
        toDealerCreditStatement(await service(strapi, 'dealers', 'credit').statement(dealer.id, args.from, args.to), { strapi, dealer }),
      ),
      myDealerInvitations: dealerScope(OWNERS, async (_args, { strapi, dealer }) => service(strapi, 'dealers', 'invitations').listFor(dealer.id)),
      myCreditLimitRequests: dealerScope(async (args, { strapi, dealer }) => {
        const page = await service(strapi, 'dealers', 'credit-change').list({ dealerId: dealer.id }, parsePage(args));
        return { ...page, nodes: await toDealerCreditLimitRequests(strapi, dealer.id, page.nodes) };
      }),
    },
    Mutation: {
      inviteDealerUser: dealerScope(OWNERS, async (args, { strapi, dealer, user }) => {
        // Per dealer, not per owner: each invitation is an e-mail the brand sends to an address the dealer chose.
        rateLimit(`dealers.invite:${dealer.id}`, { limit: INVITATIONS_PER_HOUR, windowMs: 3_600_000 });
        return service(strapi, 'dealers', 'invitations').invite({ dealerId: dealer.id, email: args.email, role: args.role, invitedBy: user.email, inviterName: user.username });
      }),
      revokeDealerInvitation: dealerScope(OWNERS, async (args, { strapi, dealer }) => {
        const { id } = parseArgs(z.object({ id: z.coerce.number().int().positive() }), { id: args.id });
        return service(strapi, 'dealers', 'invitations').revoke(dealer.id, id);
      }),
      requestCreditLimitChange: dealerScope({ roles: ['owner', 'finance'] }, async (args, { strapi, dealer, user }) => {
        const request = await service(strapi, 'dealers', 'credit-change').request({
          dealerId: dealer.id,
          limitCents: longToNumber(args.limitMinor),
          temporaryUntil: args.temporaryUntil ?? undefined,
          reason: args.reason,
          requestedBy: user.email,
          requestedVia: 'portal',
        });
        const [view] = await toDealerCreditLimitRequests(strapi, dealer.id, [request]);
        return view;
      }),
    },
  },
};
