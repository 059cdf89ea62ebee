import { recordLifecycle } from '../services/records.state-machine';

export const recordTypeDefs = /* GraphQL */ `
  type __Name__RecordStep {
    at: String!
    by: String!
    from: String
    to: String!
    action: String!
    note: String
  }
  type __Name__Record {
    documentId: ID!
    title: String!
    "The platform's Money: integer minor units (Long) and the currency."
    amount: Money!
    dealerCode: String!
    "submitted, approved or rejected"
    status: String!
    history: [__Name__RecordStep!]!
  }
`;

export const recordResolvers = {
  __Name__Record: {
    status: (r: { recordStatus: string }) => r.recordStatus,
    dealerCode: (r: { dealer?: { code: string } | null }) => r.dealer?.code ?? '',
    // biginteger columns come back as strings on PostgreSQL.
    amount: (r: { amountMinor: number | string; currency: string }) => ({ amountMinor: Number(r.amountMinor), currency: r.currency }),
    history: (r: unknown) => recordLifecycle.historyOf(r),
  },
};
