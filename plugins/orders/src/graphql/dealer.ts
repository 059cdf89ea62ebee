import { z } from 'zod';
import { dealerScope, parseArgs, parsePage, type GraphqlExtension, service } from '@channelflow/sdk';
import { money, orderLineViews } from './types';

const BUYERS = { roles: ['owner', 'buyer'] } as const;
const orderIdArgs = z.object({ id: z.coerce.number().int().positive('order ids are positive numbers') });

export const dealerGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type CatalogQuantityBreak { minQuantity: Int! discountBasisPoints: Int! unitPrice: Money! }
    type CatalogAvailability { warehouseCode: String! warehouseName: String! available: Int! }
    type CatalogItem {
      sku: String!
      name: String!
      nameZh: String
      unit: String!
      category: String!
      "The brand's list price."
      basePrice: Money!
      "My unit price today (my tier's price, for one unit)."
      price: Money!
      "Lower unit prices from these quantities on."
      quantityBreaks: [CatalogQuantityBreak!]!
      "Units available to me now, over the warehouses serving my region."
      available: Int!
      availability: [CatalogAvailability!]!
    }
    type CatalogItemPage { nodes: [CatalogItem!]! total: Int! page: Int! pageSize: Int! }
    type DealerOrderStatusChange { status: OrderStatus! at: String! }
    type DealerOrder {
      id: ID!
      number: String!
      status: OrderStatus!
      total: Money!
      "While waiting for credit approval: how much the order exceeds my available credit."
      creditShortfall: Money
      allowBackorder: Boolean!
      reference: String
      note: String
      placedBy: String!
      submittedAt: String
      lines: [OrderLine!]!
      history: [DealerOrderStatusChange!]!
    }
    type DealerOrderPage { nodes: [DealerOrder!]! total: Int! page: Int! pageSize: Int! }
    type PlacedOrder { order: DealerOrder! "True when this idempotency key had placed the order before: nothing new was written." replayed: Boolean! }
    input OrderLineInput {
      sku: String!
      quantity: Int!
      "The unit price the portal showed; kept for comparison, never charged (the server resolves every price)."
      quotedUnitPrice: Long
    }
    input PlaceOrderInput {
      "A key of your choosing (e.g. a UUID per checkout): sending the same order again with it places nothing twice."
      idempotencyKey: String!
      lines: [OrderLineInput!]!
      "Accept an order larger than the stock available now; the rest ships when stock arrives."
      allowBackorder: Boolean
      "Your own reference, e.g. a purchase-order number."
      reference: String
      note: String
    }
    input OrderDraftInput {
      lines: [OrderLineInput!]!
      allowBackorder: Boolean
      reference: String
      note: String
    }
    extend type Query {
      "Dealer portal: the catalog with my prices and the stock available to me."
      catalog(search: String, category: String, page: Int, pageSize: Int): CatalogItemPage!
      "Dealer portal: my orders, newest first."
      myOrders(status: OrderStatus, page: Int, pageSize: Int): DealerOrderPage!
      "Dealer portal: one of my orders."
      myOrder(id: ID!): DealerOrder!
    }
    extend type Mutation {
      "Dealer portal (owner, buyer): place an order. Stock and credit are reserved together; OUT_OF_STOCK says what is available; an order over my available credit waits for finance."
      placeOrder(input: PlaceOrderInput!): PlacedOrder!
      "Dealer portal (owner, buyer): cancel an order that has not shipped; its stock and credit are released."
      cancelOrder(id: ID!, reason: String!): DealerOrder!
      "Dealer portal (owner, buyer): save a draft order (today's prices shown, nothing reserved); with id, replace that draft's lines."
      saveOrderDraft(id: ID, input: OrderDraftInput!): DealerOrder!
      "Dealer portal (owner, buyer): place a saved draft, exactly as placeOrder would; the draft becomes the order."
      placeOrderDraft(id: ID!, idempotencyKey: String!): PlacedOrder!
    }
  `,
  resolvers: {
    Query: {
      catalog: dealerScope(async (args, { strapi, dealer }) => {
        const filter = { search: args.search ?? undefined, category: args.category ?? undefined };
        const { page, pageSize } = parsePage(args);
        return service(strapi, 'orders', 'catalog').dealerCatalog(dealer.id, filter, page, pageSize);
      }),
      myOrders: dealerScope(async (args, { strapi, dealer }) => {
        const page = await service(strapi, 'orders', 'orders').list({ dealerId: dealer.id, status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toDealerOrder) };
      }),
      myOrder: dealerScope(async (args, { strapi, dealer }) => {
        const { id } = parseArgs(orderIdArgs, args);
        return toDealerOrder(await service(strapi, 'orders', 'orders').detailForDealer(id, dealer.id));
      }),
    },
    Mutation: {
      placeOrder: dealerScope(BUYERS, async (args, { strapi, dealer, user }) => {
        const input = args.input ?? {};
        const placed = await service(strapi, 'orders', 'orders').place({
          dealerId: dealer.id,
          idempotencyKey: input.idempotencyKey,
          lines: (input.lines ?? []).map((l: any) => ({ sku: l.sku, quantity: l.quantity, quotedUnitPriceMinor: l.quotedUnitPrice == null ? undefined : Number(l.quotedUnitPrice) })),
          allowBackorder: input.allowBackorder ?? false,
          reference: input.reference ?? undefined,
          note: input.note ?? undefined,
          placedBy: user.email,
        });
        return { order: toDealerOrder(placed), replayed: placed.replayed };
      }),
      saveOrderDraft: dealerScope(BUYERS, async (args, { strapi, dealer, user }) => {
        const { id } = parseArgs(z.object({ id: z.coerce.number().int().positive().nullish() }), { id: args.id });
        const input = args.input ?? {};
        const draft = await service(strapi, 'orders', 'orders').saveDraft(id ?? null, {
          dealerId: dealer.id,
          lines: (input.lines ?? []).map((l: any) => ({ sku: l.sku, quantity: l.quantity })),
          allowBackorder: input.allowBackorder ?? false,
          reference: input.reference ?? undefined,
          note: input.note ?? undefined,
          placedBy: user.email,
        });
        return toDealerOrder(draft);
      }),
      placeOrderDraft: dealerScope(BUYERS, async (args, { strapi, dealer, user }) => {
        const { id } = parseArgs(orderIdArgs, args);
        const placed = await service(strapi, 'orders', 'orders').placeDraft(id, { dealerId: dealer.id, idempotencyKey: args.idempotencyKey, placedBy: user.email });
        return { order: toDealerOrder(placed), replayed: placed.replayed };
      }),
      cancelOrder: dealerScope(BUYERS, async (args, { strapi, dealer, user }) => {
        const { id } = parseArgs(orderIdArgs, args);
        const orders = service(strapi, 'orders', 'orders');
        await orders.detailForDealer(id, dealer.id);
        return toDealerOrder(await orders.cancel(id, { reason: args.reason, actor: user.email }));
      }),
    },
    CatalogItem: {
      basePrice: (p: any) => money(Number(p.basePriceMinor), p.currency),
      price: (p: any) => money(p.unitPriceMinor, p.currency),
      quantityBreaks: (p: any) => p.quantityBreaks.map((b: any) => ({ ...b, unitPrice: money(b.unitPriceMinor, p.currency) })),
    },
  },
};

/** What a dealer sees of an order: no staff e-mail addresses, process keys or internal notes. */
function toDealerOrder(order: any) {
  return {
    id: order.id,
    number: order.number,
    status: order.status,
    total: money(order.totalMinor, order.currency),
    creditShortfall: order.status === 'pending_approval' ? money(order.creditShortfallMinor, order.currency) : null,
    allowBackorder: order.allowBackorder,
    reference: order.reference,
    note: order.note,
    placedBy: order.placedBy,
    submittedAt: order.submittedAt,
    lines: orderLineViews(order),
    // Entries that keep the status (e.g. "decision letter sent") are staff notes, not steps.
    history: order.history.filter((h: any) => h.from !== h.to).map((h: any) => ({ status: h.to, at: h.at })),
  };
}
