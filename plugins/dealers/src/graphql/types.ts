export const dealerTypeDefs = /* GraphQL */ `
  enum DealerTier { gold silver bronze }
  enum DealerType { distributor sub_dealer store }
  enum DealerStatus { prospect onboarding active suspended blacklisted terminated }
  type DealerRegion { code: String! name: String! nameZh: String }
  type DealerSummary { documentId: ID! code: String! name: String! }
  type Dealer {
    documentId: ID!
    code: String!
    name: String!
    "Unified social credit code (统一社会信用代码)."
    taxId: String
    tier: DealerTier!
    dealerType: DealerType!
    status: DealerStatus!
    city: String
    region: DealerRegion
    parent: DealerSummary
    "Sub-dealers supplied by this dealer (empty unless loaded as one dealer's detail)."
    children: [DealerSummary!]!
    "The sales rep who follows this dealer (e-mail)."
    salesRep: String
  }
`;

export const dealerResolvers = {
  Dealer: {
    // GraphQL enum values cannot contain dashes.
    dealerType: (d: { dealerType: string }) => d.dealerType.replace('-', '_'),
    children: (d: { children?: unknown[] }) => d.children ?? [],
  },
};
