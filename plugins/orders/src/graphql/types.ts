export const catalogTypeDefs = /* GraphQL */ `
  type Product {
    documentId: ID!
    sku: String!
    name: String!
    nameZh: String
    unit: String!
    category: String!
    basePrice: Money!
    active: Boolean!
  }
  type ProductPage { nodes: [Product!]! total: Int! page: Int! pageSize: Int! }
  enum OrderStatus { draft submitted pending_approval allocated shipped delivered invoiced closed cancelled }
  type OrderLine {
    lineNo: Int!
    sku: String!
    name: String!
    quantity: Int!
    "Units no warehouse could reserve yet; they ship when stock arrives."
    backorderedQuantity: Int!
    listPrice: Money!
    unitPrice: Money!
    "The quantity break applied, in basis points (300 = 3%)."
    discountBasisPoints: Int!
    lineTotal: Money!
    "What the portal showed per unit when the order was placed; never charged."
    quotedUnitPrice: Money
  }
`;

const money = (amountMinor: number | null, currency: string) => (amountMinor === null ? null : { amountMinor, currency });

export const catalogResolvers = {
  Product: {
    basePrice: (p: { basePriceMinor: number; currency: string }) => money(Number(p.basePriceMinor), p.currency),
  },
};

/** Order-line fields shared by the staff and dealer order types; the parent carries the order's currency. */
export function orderLineViews(order: { currency: string; lines: any[] }) {
  return order.lines.map((l) => ({
    ...l,
    listPrice: money(l.listPriceMinor, order.currency),
    unitPrice: money(l.unitPriceMinor, order.currency),
    lineTotal: money(l.lineTotalMinor, order.currency),
    quotedUnitPrice: money(l.quotedUnitPriceMinor, order.currency),
  }));
}

export { money };
