import { actorName, parsePage, staffListScope, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import { recordResolvers, recordTypeDefs } from './types';

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${recordTypeDefs}
    type __Name__RecordPage { nodes: [__Name__Record!]! total: Int! page: Int! pageSize: Int! }
    "Amounts in integer minor units (fen), Long as every amount of the platform."
    input Create__Name__RecordInput { dealerCode: String! title: String! amountMinor: Long! }
    extend type Query {
      "Staff: the __title__ records of the dealers I reach (a sales rep: the dealers assigned to them or their teams), or of one of them."
      __nameCamel__Records(dealerCode: String, page: Int, pageSize: Int): __Name__RecordPage!
      "Staff: what has been approved for a dealer I reach so far, from the ledger."
      __nameCamel__Approved(dealerCode: String!): Money!
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
      // A staff list shows only the dealers the actor reaches; a dealer outside it is NOT_FOUND.
      __nameCamel__Records: staffScope('__name__.read', async (args, { strapi, actor }) => {
        const { page, pageSize } = parsePage(args);
        return strapi.plugin('__name__').service('records').list(await staffListScope(strapi, actor, args.dealerCode), page, pageSize);
      }),
      __nameCamel__Approved: staffScope('__name__.read', async (args, { strapi, actor }) => {
        const { dealerId } = (await staffListScope(strapi, actor, String(args.dealerCode))) as { dealerId: number };
        return strapi.plugin('__name__').service('records').approvedFor(dealerId);
      }),
    },
    Mutation: {
      create__Name__Record: staffScope('__name__.write', async (args, { strapi, actor }) =>
        strapi.plugin('__name__').service('records').create({ ...args.input, amountMinor: Number(args.input.amountMinor) }, actorName(actor)),
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
