export const recordTypeDefs = /* GraphQL */ `
  type __Name__Record {
    documentId: ID!
    title: String!
    amountMinor: Int!
    currency: String!
    dealerCode: String!
  }
`;

export const recordResolvers = {
  __Name__Record: {
    dealerCode: (r: { dealer?: { code: string } | null }) => r.dealer?.code ?? '',
  },
};
