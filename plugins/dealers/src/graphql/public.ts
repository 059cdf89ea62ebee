import { publicScope, rateLimit, type GraphqlExtension } from '@channelflow/sdk';

export const publicGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type AcceptedDealerInvitation { jwt: String! email: String! role: DealerPortalRole! }
    extend type Mutation {
      "Anyone holding an invitation link: create the portal account (username defaults to the e-mail) and sign in. At most 10 attempts per 10 minutes per address."
      acceptDealerInvitation(token: String!, username: String, password: String!): AcceptedDealerInvitation!
    }
  `,
  resolvers: {
    Mutation: {
      acceptDealerInvitation: publicScope(async (args, { strapi, clientIp }) => {
        rateLimit(`dealers.accept-invitation:${clientIp}`, { limit: 10, windowMs: 10 * 60_000 });
        return strapi.plugin('dealers').service('invitations').accept({ token: args.token, username: args.username ?? undefined, password: args.password });
      }),
    },
  },
};
