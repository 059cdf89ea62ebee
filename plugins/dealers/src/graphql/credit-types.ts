import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { parseArgs, printDocument, service } from '@channelflow/sdk';
import type { Ageing } from '../services/credit-ledger';

export const creditTypeDefs = /* GraphQL */ `
  "Open receivables by days past due."
  type CreditAgeing { current: Money! days1to30: Money! days31to60: Money! days61to90: Money! over90: Money! }
  type CreditSummary {
    currency: String!
    limit: Money!
    temporaryLimit: Money
    temporaryLimitExpiresAt: String
    "True while the temporary limit replaces the permanent one."
    temporaryLimitActive: Boolean!
    effectiveLimit: Money!
    "Held for submitted orders and other reservations."
    reserved: Money!
    "Invoiced and not yet paid (after payments, credit notes and adjustments)."
    receivable: Money!
    exposure: Money!
    available: Money!
    overdue: Money!
    oldestDaysLate: Int!
    ageing: CreditAgeing!
    paymentTermDays: Int!
    asOf: String!
  }
  enum CreditEntryKind { reserve release invoice payment credit_note adjustment }
  type CreditEntry {
    id: ID!
    kind: CreditEntryKind!
    amount: Money!
    reference: String
    entryDate: String!
    dueDate: String
    note: String
    idempotencyKey: String!
    createdAt: String
  }
  type CreditEntryPage { nodes: [CreditEntry!]! total: Int! page: Int! pageSize: Int! }
  enum CreditLimitRequestStatus { in_review approved rejected expired }
  type CreditLimitRequestStep { at: String! by: String! action: String! note: String }
  type CreditLimitRequest {
    number: ID!
    dealerCode: String!
    status: CreditLimitRequestStatus!
    currentLimit: Money!
    requestedLimit: Money!
    "Set for a temporary limit: when it ends."
    temporaryUntil: String
    reason: String!
    requestedBy: String!
    requestedVia: String!
    "Staff only: what the decision rests on (on-time rate, days late, overdue, utilisation)."
    score: JSON
    trail: [CreditLimitRequestStep!]!
    "Staff only: the deciding process instance."
    processInstanceKey: ID
    createdAt: String
    "The decision letter as a printed document, once decided (null before)."
    letter: PrintedDocument
  }
  "A document printed in the platform's print layout: its number, the page, and its A4 PDF (base64, pages numbered)."
  type PrintedDocument {
    number: String!
    html(locale: String): String!
    pdf(locale: String): String!
  }
  type CreditLimitRequestPage { nodes: [CreditLimitRequest!]! total: Int! page: Int! pageSize: Int! }
  type CreditStatementLine { entry: CreditEntry! debit: Money! credit: Money! balance: Money! }
  "An account statement (对账单): balance brought forward, lines with the running balance, balance carried forward."
  type CreditStatement {
    from: String!
    to: String!
    opening: Money!
    totalDebit: Money!
    totalCredit: Money!
    closing: Money!
    ageing: CreditAgeing!
    lines: [CreditStatementLine!]!
    "The statement as a printable page (template dealers/account-statement, layout print), in zh-CN (default) or en."
    html(locale: String): String!
    "The same page as an A4 PDF (base64), its pages numbered."
    pdf(locale: String): String!
  }
`;

const money = (amountMinor: number, currency: string) => ({ amountMinor, currency });
const ageingOf = (a: Ageing, currency: string) =>
  Object.fromEntries(Object.entries(a).map(([bucket, cents]) => [bucket, money(cents, currency)]));

export function toCreditSummary(s: any) {
  return {
    currency: s.currency,
    limit: money(s.limitCents, s.currency),
    temporaryLimit: s.temporaryLimitCents === null ? null : money(s.temporaryLimitCents, s.currency),
    temporaryLimitExpiresAt: s.temporaryLimitExpiresAt,
    temporaryLimitActive: s.temporaryLimitActive,
    effectiveLimit: money(s.effectiveLimitCents, s.currency),
    reserved: money(s.reservedCents, s.currency),
    receivable: money(s.receivableCents, s.currency),
    exposure: money(s.exposureCents, s.currency),
    available: money(s.availableCents, s.currency),
    overdue: money(s.overdueCents, s.currency),
    oldestDaysLate: s.oldestDaysLate,
    ageing: ageingOf(s.ageing, s.currency),
    paymentTermDays: s.paymentTermDays,
    asOf: s.asOf,
  };
}

export function toCreditEntry(e: any) {
  return { ...e, amount: money(e.amountCents, e.currency) };
}

/** With `printable`, the statement also renders itself as a printed document: HTML, and its PDF (GraphQL calls `html` and `pdf` with their arguments). */
export function toCreditStatement(s: any, printable?: { strapi: Core.Strapi; dealer: { code: string; name: string } }) {
  const print = (args: { locale?: string | null }) => {
    const locale = printLocale(args);
    if (!printable) throw new Error('this statement was not loaded for printing');
    return printDocument(printable.strapi, 'dealers/account-statement', {
      locale,
      title: { 'zh-CN': '对账单', en: 'Account statement' },
      number: `ST-${printable.dealer.code}-${s.from.replaceAll('-', '')}-${s.to.replaceAll('-', '')}`,
      data: { ...s, dealerCode: printable.dealer.code, dealerName: printable.dealer.name },
    });
  };
  return {
    html: async (args: { locale?: string | null }) => (await print(args)).html,
    pdf: async (args: { locale?: string | null }) => (await (await print(args)).pdf()).toString('base64'),
    from: s.from,
    to: s.to,
    opening: money(s.openingCents, s.currency),
    totalDebit: money(s.debitCents, s.currency),
    totalCredit: money(s.creditCents, s.currency),
    closing: money(s.closingCents, s.currency),
    ageing: ageingOf(s.ageing, s.currency),
    lines: s.lines.map((l: any) => ({
      entry: toCreditEntry(l),
      debit: money(l.debitCents, s.currency),
      credit: money(l.creditCents, s.currency),
      balance: money(l.balanceCents, s.currency),
    })),
  };
}

/** The staff view, with the brand's risk assessment and process internals (dealers get dealer-views.ts). */
export function toCreditLimitRequest(r: any, strapi?: Core.Strapi) {
  return {
    ...r,
    letter: strapi && ['approved', 'rejected', 'expired'].includes(r.status) ? printedLetter(strapi, r.id) : null,
    currentLimit: money(r.currentLimitCents, r.currency),
    requestedLimit: money(r.requestedLimitCents, r.currency),
  };
}

/** GraphQL Long arrives as a BigInt; anything beyond 2^53 is far over every amount limit and refused there. */
export function longToNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/** The decision letter of a request, printed in the locale each field asks for. */
function printedLetter(strapi: Core.Strapi, requestId: number) {
  const print = (args: { locale?: string | null }) => {
    const locale = printLocale(args);
    return service(strapi, 'dealers', 'credit-change').printedDecisionLetter(requestId, locale);
  };
  return {
    number: async () => (await print({}))!.number,
    html: async (args: { locale?: string | null }) => (await print(args))!.html,
    pdf: async (args: { locale?: string | null }) => (await (await print(args))!.pdf()).toString('base64'),
  };
}

/** The locale a printed document's field asks for (zh-CN or en; none: the brand's default). */
function printLocale(args: { locale?: string | null }) {
  return parseArgs(z.object({ locale: z.enum(['zh-CN', 'en']).optional() }), args).locale;
}
