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
  }
`;

export const dealerResolvers = {
  Dealer: {
    // GraphQL enum values cannot contain dashes.
    dealerType: (d: { dealerType: string }) => d.dealerType.replace('-', '_'),
  },
};
