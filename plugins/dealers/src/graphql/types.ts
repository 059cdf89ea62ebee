export const dealerTypeDefs = /* GraphQL */ `
  "A tier dealers are graded in (admin-configured; default gold, silver, bronze)."
  type DealerTierDefinition { code: String! name: String! nameZh: String rank: Int! defaultCreditLimit: Money! active: Boolean! }
  "A kind of dealer (admin-configured; default distributor, sub-dealer, store)."
  type DealerTypeDefinition { code: String! name: String! nameZh: String active: Boolean! }
  enum DealerStatus { prospect onboarding active suspended blacklisted terminated }
  type DealerRegion { code: String! name: String! nameZh: String }
  type DealerContact { name: String! role: String email: String phone: String }
  input DealerContactInput { name: String! role: String email: String phone: String }
  type DealerSummary { documentId: ID! code: String! name: String! }
  type Dealer {
    documentId: ID!
    code: String!
    name: String!
    "Unified social credit code (统一社会信用代码)."
    taxId: String
    "A tier code (dealerTiers)."
    tier: String!
    "A dealer type code (dealerTypes)."
    dealerType: String!
    status: DealerStatus!
    city: String
    region: DealerRegion
    parent: DealerSummary
    "Sub-dealers supplied by this dealer (empty unless loaded as one dealer's detail)."
    children: [DealerSummary!]!
    "The sales rep who follows this dealer (e-mail)."
    salesRep: String
    "The sales team (salesTeams) the dealer belongs to."
    salesTeam: String
    contacts: [DealerContact!]!
    businessScale: String
    needs: String
  }
`;

export const dealerResolvers = {
  Dealer: {
    status: (d: { lifecycleStatus: string }) => d.lifecycleStatus,
    children: (d: { children?: unknown[] }) => d.children ?? [],
    contacts: (d: { contacts?: unknown[] | null }) => d.contacts ?? [],
  },
};
