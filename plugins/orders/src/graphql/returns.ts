import { z } from 'zod';
import { dealerScope, parseArgs, parsePage, staffListScope, staffScope, type GraphqlExtension, service } from '@channelflow/sdk';
import { money } from './types';

const orderIdArgs = z.object({ orderId: z.coerce.number().int().positive('order ids are positive numbers') });

/** Returns (RMA): dealers request and follow them; staff see those of the dealers they reach. */
export const returnsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum ReturnStatus { requested approved rejected credited }
    type ReturnLine { sku: String! quantity: Int! unitPrice: Money! }
    type ReturnStep { status: ReturnStatus! at: String! note: String }
    type OrderReturn {
      number: String!
      orderNumber: String!
      dealerCode: String!
      status: ReturnStatus!
      lines: [ReturnLine!]!
      reason: String!
      total: Money!
      warehouseCode: String
      creditNoteNumber: String
      history: [ReturnStep!]!
    }
    type OrderReturnPage { nodes: [OrderReturn!]! total: Int! page: Int! pageSize: Int! }
    type RequestedReturn { return: OrderReturn! replayed: Boolean! }
    input ReturnLineInput { sku: String! quantity: Int! }
    input RequestReturnInput { orderId: ID! idempotencyKey: String! lines: [ReturnLineInput!]! reason: String! }
    extend type Query {
      "Dealer portal: my returns, newest first."
      myReturns(status: ReturnStatus, page: Int, pageSize: Int): OrderReturnPage!
      "Staff: returns of the dealers I reach, newest first."
      returns(dealerCode: String, status: ReturnStatus, page: Int, pageSize: Int): OrderReturnPage!
    }
    extend type Mutation {
      "Dealer portal (owner, buyer): ask to return delivered units of one of my orders; staff approve, and a credit note follows receipt."
      requestReturn(input: RequestReturnInput!): RequestedReturn!
    }
  `,
  resolvers: {
    Query: {
      myReturns: dealerScope(async (args, { strapi, dealer }) => {
        const page = await service(strapi, 'orders', 'returns').list({ dealerId: dealer.id, status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map((r: any) => toReturnView(r)) };
      }),
      returns: staffScope('orders.read', async (args, { strapi, actor }) => {
        const filter = await staffListScope(strapi, actor, args.dealerCode);
        const page = await service(strapi, 'orders', 'returns').list({ ...filter, status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map((r: any) => toReturnView(r)) };
      }),
    },
    Mutation: {
      requestReturn: dealerScope({ roles: ['owner', 'buyer'] }, async (args, { strapi, dealer, user }) => {
        const input = args.input ?? {};
        const { orderId } = parseArgs(orderIdArgs, { orderId: input.orderId });
        const requested = await service(strapi, 'orders', 'returns').request({
          dealerId: dealer.id,
          orderId,
          idempotencyKey: input.idempotencyKey,
          lines: input.lines ?? [],
          reason: input.reason,
          requestedBy: user.email,
        });
        return { return: toReturnView(requested), replayed: requested.replayed };
      }),
    },
  },
};

/** Each step shows its status and note; who took it stays with staff (not in this type). */
function toReturnView(r: any) {
  return {
    ...r,
    total: money(r.totalMinor, r.currency),
    lines: r.lines.map((l: any) => ({ sku: l.sku, quantity: l.quantity, unitPrice: money(l.unitPriceMinor, r.currency) })),
    history: r.history.map((h: any) => ({ status: h.to, at: h.at, note: h.note ?? null })),
  };
}
