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
`;

export const catalogResolvers = {
  Product: {
    basePrice: (p: { basePriceMinor: number; currency: string }) => ({ amountMinor: p.basePriceMinor, currency: p.currency }),
  },
};
