import { dealerScope, type GraphqlExtension } from '@channelflow/sdk';

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    extend type Query {
      "Dealer portal: my dealer's __title__ records."
      my__Name__Records: [__Name__Record!]!
    }
  `,
  resolvers: {
    Query: {
      // The dealer comes from the signed-in portal user, never from an argument.
      my__Name__Records: dealerScope(async (_args, { strapi, dealer }) => strapi.plugin('__name__').service('records').listForDealer(dealer.id)),
    },
  },
};
