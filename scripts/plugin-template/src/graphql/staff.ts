import { parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import { recordResolvers, recordTypeDefs } from './types';

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${recordTypeDefs}
    type __Name__RecordPage { nodes: [__Name__Record!]! total: Int! page: Int! pageSize: Int! }
    input Create__Name__RecordInput { dealerCode: String! title: String! amountMinor: Int! currency: String }
    extend type Query {
      "Staff: every __title__ record."
      __nameCamel__Records(page: Int, pageSize: Int): __Name__RecordPage!
    }
    extend type Mutation {
      "Staff: record __title__ for a dealer."
      create__Name__Record(input: Create__Name__RecordInput!): __Name__Record!
    }
  `,
  resolvers: {
    ...recordResolvers,
    Query: {
      __nameCamel__Records: staffScope('__name__.read', async (args, { strapi }) => {
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('__name__').service('records').list(page, pageSize);
      }),
    },
    Mutation: {
      create__Name__Record: staffScope('__name__.write', async (args, { strapi }) =>
        strapi.plugin('__name__').service('records').create({ ...args.input, currency: args.input.currency ?? undefined }),
      ),
    },
  },
};
