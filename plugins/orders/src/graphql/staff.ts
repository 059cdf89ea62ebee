import { z } from 'zod';
import { actorName, notFound, parseArgs, parsePage, staffListScope, staffScope, type GraphqlExtension, service } from '@channelflow/sdk';
import { catalogResolvers, catalogTypeDefs, money, orderLineViews } from './types';


export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${catalogTypeDefs}
    enum WarehouseLevel { hq regional dealer store }
    type Warehouse { documentId: ID! code: String! name: String! level: WarehouseLevel! regionCode: String }
    enum PriceRuleKind { tier_price quantity_break }
    type PriceRule { id: ID! sku: String! kind: PriceRuleKind! tier: String unitPrice: Long minQuantity: Int discountBasisPoints: Int validFrom: String validTo: String note: String }
    input PriceRuleInput { sku: String! kind: PriceRuleKind! tier: String unitPriceMinor: Long minQuantity: Int discountBasisPoints: Int validFrom: String validTo: String note: String }
    type StockLevel { sku: String! warehouseCode: String! onHand: Int! reserved: Int! available: Int! inTransit: Int! safetyStock: Int! }
    enum StockMovementKind { receipt transfer_out transfer_in reservation release shipment return adjustment }
    type StockMovement { id: ID! kind: StockMovementKind! quantity: Int! reference: String actor: String note: String createdAt: String }
    type StockMovementPage { nodes: [StockMovement!]! total: Int! page: Int! pageSize: Int! }
    type StockTransfer { from: StockLevel! to: StockLevel! }
    type OrderStatusChange { from: OrderStatus to: OrderStatus! at: String! by: String! note: String }
    type Order {
      id: ID!
      number: String!
      dealerCode: String!
      status: OrderStatus!
      total: Money!
      creditShortfall: Money
      allowBackorder: Boolean!
      reference: String
      note: String
      placedBy: String!
      submittedAt: String
      processInstanceKey: String
      lines: [OrderLine!]!
      history: [OrderStatusChange!]!
    }
    type OrderPage { nodes: [Order!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: the product catalog, including inactive products when activeOnly is false."
      products(search: String, category: String, activeOnly: Boolean, page: Int, pageSize: Int): ProductPage!
      "Staff: every stock location."
      warehouses: [Warehouse!]!
      "Staff: tier prices and quantity breaks of a product."
      priceRules(sku: String!): [PriceRule!]!
      "Staff: stock levels, optionally for one SKU or one warehouse."
      stockLevels(sku: String, warehouseCode: String): [StockLevel!]!
      "Staff: the stock ledger of one product in one warehouse, newest first."
      stockMovements(sku: String!, warehouseCode: String!, page: Int, pageSize: Int): StockMovementPage!
      "Staff: orders of the dealers I reach, newest first."
      orders(dealerCode: String, status: OrderStatus, page: Int, pageSize: Int): OrderPage!
      "Staff: one order by number."
      order(number: String!): Order!
    }
    extend type Mutation {
      "Staff (orders.manage-prices): add a tier price or a quantity break."
      addPriceRule(input: PriceRuleInput!): PriceRule!
      "Staff (orders.manage-prices): remove a price rule."
      removePriceRule(id: ID!): PriceRule!
      "Staff (orders.manage-stock): goods received into a warehouse."
      receiveStock(sku: String!, warehouseCode: String!, quantity: Int!, idempotencyKey: String!, reference: String): StockLevel!
      "Staff (orders.manage-stock): a stock-take; the counted quantity becomes on hand."
      recordStockTake(sku: String!, warehouseCode: String!, counted: Int!, idempotencyKey: String!, note: String): StockLevel!
      "Staff (orders.manage-stock): send stock to another warehouse; it is in transit there until received."
      transferStock(sku: String!, fromWarehouseCode: String!, toWarehouseCode: String!, quantity: Int!, idempotencyKey: String!): StockTransfer!
      "Staff (orders.manage-stock): a transfer arrived."
      receiveTransfer(sku: String!, warehouseCode: String!, quantity: Int!, idempotencyKey: String!): StockLevel!
      "Staff (orders.manage-stock): the alert line below which replenishment is suggested."
      setSafetyStock(sku: String!, warehouseCode: String!, safetyStock: Int!): StockLevel!
    }
  `,
  resolvers: {
    ...catalogResolvers,
    Query: {
      products: staffScope('orders.read-catalog', async (args, { strapi }) => {
        const filter = { search: args.search ?? undefined, category: args.category ?? undefined, activeOnly: args.activeOnly ?? true };
        const { page, pageSize } = parsePage(args);
        return service(strapi, 'orders', 'catalog').products(filter, page, pageSize);
      }),
      warehouses: staffScope('orders.read-stock', async (_args, { strapi }) => service(strapi, 'orders', 'catalog').warehouses()),
      priceRules: staffScope('orders.read-catalog', async (args, { strapi }) => service(strapi, 'orders', 'catalog').listPriceRules(args.sku)),
      stockLevels: staffScope('orders.read-stock', async (args, { strapi }) => {
        const levels = await service(strapi, 'orders', 'stock').levels();
        return levels.filter((l: any) => (!args.sku || l.sku === args.sku) && (!args.warehouseCode || l.warehouseCode === args.warehouseCode));
      }),
      stockMovements: staffScope('orders.read-stock', async (args, { strapi }) => {
        const level = (await service(strapi, 'orders', 'stock').levels()).find((l: any) => l.sku === args.sku && l.warehouseCode === args.warehouseCode);
        if (!level) throw notFound('Stock level', `${args.sku} in ${args.warehouseCode}`);
        return service(strapi, 'orders', 'stock').movements({ productId: level.productId, warehouseId: level.warehouseId }, parsePage(args));
      }),
      orders: staffScope('orders.read', async (args, { strapi, actor }) => {
        const filter = await staffListScope(strapi, actor, args.dealerCode);
        const page = await service(strapi, 'orders', 'orders').list({ ...filter, status: args.status ?? undefined }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toStaffOrder) };
      }),
      order: staffScope('orders.read', async (args, { strapi, actor }) => {
        const { number } = parseArgs(z.object({ number: z.string().trim().min(1).max(40) }), args);
        const found = await service(strapi, 'orders', 'orders').findByNumber(number);
        if (!found) throw notFound('Order', number);
        // Outside a sales rep's reach the order does not exist for them.
        const reach = await service(strapi, 'dealers', 'dealers').reachableIds(actor);
        if (reach && !reach.includes(found.dealerId)) throw notFound('Order', number);
        return toStaffOrder(found);
      }),
    },
    Mutation: {
      addPriceRule: staffScope('orders.manage-prices', async (args, { strapi }) => {
        const input = args.input ?? {};
        return service(strapi, 'orders', 'catalog').addPriceRule({ ...input, unitPriceMinor: input.unitPriceMinor == null ? input.unitPriceMinor : Number(input.unitPriceMinor) });
      }),
      removePriceRule: staffScope('orders.manage-prices', async (args, { strapi }) => {
        const { id } = parseArgs(z.object({ id: z.coerce.number().int().positive() }), args);
        return service(strapi, 'orders', 'catalog').removePriceRule(id);
      }),
      receiveStock: staffScope('orders.manage-stock', async (args, { strapi, actor }) => service(strapi, 'orders', 'stock').receive({ ...args, reference: args.reference ?? undefined, actor: actorName(actor) })),
      recordStockTake: staffScope('orders.manage-stock', async (args, { strapi, actor }) => service(strapi, 'orders', 'stock').stockTake({ ...args, note: args.note ?? undefined, actor: actorName(actor) })),
      transferStock: staffScope('orders.manage-stock', async (args, { strapi, actor }) => service(strapi, 'orders', 'stock').transfer({ ...args, actor: actorName(actor) })),
      receiveTransfer: staffScope('orders.manage-stock', async (args, { strapi, actor }) => service(strapi, 'orders', 'stock').receiveTransfer({ ...args, actor: actorName(actor) })),
      setSafetyStock: staffScope('orders.manage-stock', async (args, { strapi }) => service(strapi, 'orders', 'stock').setSafetyStock(args)),
    },
    Warehouse: {
      regionCode: (w: { region?: { code: string } | null }) => w.region?.code ?? null,
    },
    PriceRule: {
      unitPrice: (r: { unitPriceMinor: number | null }) => r.unitPriceMinor,
    },
  },
};

function toStaffOrder(order: any) {
  return {
    ...order,
    total: money(order.totalMinor, order.currency),
    creditShortfall: money(order.creditShortfallMinor, order.currency),
    lines: orderLineViews(order),
  };
}
