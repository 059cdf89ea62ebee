import { parsePage, staffScope, actorName, type GraphqlExtension } from '@channelflow/sdk';
import { recordResolvers, recordTypeDefs } from './types';

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${recordTypeDefs}
    type __Name__RecordPage { nodes: [__Name__Record!]! total: Int! page: Int! pageSize: Int! }
    input Create__Name__RecordInput { dealerCode: String! title: String! amountMinor: Int! currency: String }
    extend type Query {
      "Staff: every __title__ record."
      __nameCamel__Records(page: Int, pageSize: Int): __Name__RecordPage!
      "Staff: what has been approved for a dealer so far (minor units), from the ledger."
      __nameCamel__Approved(dealerCode: String!): Int!
    }
    extend type Mutation {
      "Staff: record __title__ for a dealer (submitted)."
      create__Name__Record(input: Create__Name__RecordInput!): __Name__Record!
      "Staff: approve a submitted record; books its amount to the dealer's ledger and emits __name__.record-approved."
      approve__Name__Record(documentId: ID!): __Name__Record!
      "Staff: reject a submitted record."
      reject__Name__Record(documentId: ID!, reason: String!): __Name__Record!
    }
  `,
  resolvers: {
    ...recordResolvers,
    Query: {
      __nameCamel__Records: staffScope('__name__.read', async (args, { strapi }) => {
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('__name__').service('records').list(page, pageSize);
      }),
      __nameCamel__Approved: staffScope('__name__.read', async (args, { strapi }) => strapi.plugin('__name__').service('records').approvedFor(args.dealerCode)),
    },
    Mutation: {
      create__Name__Record: staffScope('__name__.write', async (args, { strapi, actor }) =>
        strapi.plugin('__name__').service('records').create({ ...args.input, currency: args.input.currency ?? undefined }, actorName(actor)),
      ),
      approve__Name__Record: staffScope('__name__.approve', async (args, { strapi, actor }) =>
        strapi.plugin('__name__').service('records').approve(String(args.documentId), actorName(actor)),
      ),
      reject__Name__Record: staffScope('__name__.approve', async (args, { strapi, actor }) =>
        strapi.plugin('__name__').service('records').reject(String(args.documentId), actorName(actor), String(args.reason)),
      ),
    },
  },
};
