import type { Core } from '@strapi/strapi';
import { platformRegistry, service } from '@channelflow/sdk';
import { toCreditLimitRequest, toCreditStatement } from './credit-types';

/**
 * What a dealer sees of records staff also work on. Staff types carry internal fields (ledger notes,
 * idempotency keys, staff e-mail addresses, raw errors); the dealer types here leave them out, and
 * people on the brand's side appear by their role ("Finance"), never by address.
 */
export const dealerViewTypeDefs = /* GraphQL */ `
  "A ledger entry as the dealer sees it: what it is, the amount, its dates and the document it books (invoice, payment or credit note number)."
  type DealerCreditEntry { id: ID! kind: CreditEntryKind! amount: Money! reference: String entryDate: String! dueDate: String createdAt: String }
  type DealerCreditStatementLine { entry: DealerCreditEntry! debit: Money! credit: Money! balance: Money! }
  "My account statement (对账单): balance brought forward, lines with the running balance, balance carried forward."
  type DealerCreditStatement {
    from: String!
    to: String!
    opening: Money!
    totalDebit: Money!
    totalCredit: Money!
    closing: Money!
    ageing: CreditAgeing!
    lines: [DealerCreditStatementLine!]!
    "The statement as a printable page (template dealers/account-statement, layout print), in zh-CN (default) or en."
    html(locale: String): String!
    "The same page as an A4 PDF (base64), its pages numbered."
    pdf(locale: String): String!
  }
  "A credit limit request as the dealer sees it; brand staff appear by role."
  type DealerCreditLimitRequest {
    number: ID!
    status: CreditLimitRequestStatus!
    currentLimit: Money!
    requestedLimit: Money!
    "Set for a temporary limit: when it ends."
    temporaryUntil: String
    reason: String!
    requestedBy: String!
    requestedVia: String!
    trail: [CreditLimitRequestStep!]!
    createdAt: String
    "The decision letter as a printed document, once decided (null before)."
    letter: PrintedDocument
  }
  type DealerCreditLimitRequestPage { nodes: [DealerCreditLimitRequest!]! total: Int! page: Int! pageSize: Int! }
  "A consultation, complaint or survey as the dealer sees it; brand staff appear by role."
  type DealerServiceRecord {
    number: ID!
    kind: ServiceRecordKind!
    channel: ServiceChannel!
    subject: String!
    content: String!
    status: ServiceRecordStatus!
    "Complaints: who on the brand's side handles it (a role)."
    handledBy: String
    "Complaints: when the reply is due."
    dueAt: String
    "An open complaint past its due date."
    overdue: Boolean!
    reply: String
    surveyType: String
    score: Int
    feedback: String
    recordedBy: String!
    createdAt: String
    closedAt: String
    trail: [ServiceRecordStep!]!
  }
  type DealerServiceRecordPage { nodes: [DealerServiceRecord!]! total: Int! page: Int! pageSize: Int! }
`;

type Step = { at: string; by: string; action: string; note?: string | null };
/** Names the dealer may see for the actors recorded on its records. */
type Label = (actor: string | null | undefined) => string;

const SYSTEM_ACTORS = new Set(['process', 'automatic', 'platform']);
/** Trail notes of a credit limit request that were written for the dealer (reason, decision note). */
const DEALER_NOTES = new Set(['requested', 'approved', 'rejected', 'temporary limit ended']);
const NOT_STARTED_NOTE = 'The request could not be processed and was closed; nothing changed. Please ask again.';

/** Lines carry only the dealer's ledger fields, so neither the GraphQL answer nor the printable page can show more. */
export function toDealerCreditStatement(s: any, printable: { strapi: Core.Strapi; dealer: { code: string; name: string } }) {
  const lines = s.lines.map((l: any) => ({ ...dealerEntryFields(l), debitCents: l.debitCents, creditCents: l.creditCents, balanceCents: l.balanceCents }));
  return toCreditStatement({ ...s, lines }, printable);
}

export async function toDealerCreditLimitRequests(strapi: Core.Strapi, dealerId: number, requests: any[]) {
  const label = await actorLabels(strapi, dealerId, requests.flatMap((r) => [r.requestedBy, ...(r.trail ?? []).map((t: Step) => t.by)]));
  return requests.map((r) => {
    const { number, status, currentLimit, requestedLimit, temporaryUntil, reason, requestedVia, createdAt, letter } = toCreditLimitRequest(r, strapi);
    const trail = (r.trail ?? []).map((t: Step) => ({
      at: t.at,
      by: label(t.by),
      action: t.action,
      note: t.action === 'not started' ? NOT_STARTED_NOTE : DEALER_NOTES.has(t.action) ? (t.note ?? null) : null,
    }));
    return { number, status, currentLimit, requestedLimit, temporaryUntil, reason, requestedBy: label(r.requestedBy), requestedVia, trail, createdAt, letter };
  });
}

export async function toDealerServiceRecords(strapi: Core.Strapi, dealerId: number, records: any[]) {
  const label = await actorLabels(strapi, dealerId, records.flatMap((r) => [r.recordedBy, r.assignee, ...(r.trail ?? []).flatMap((t: Step) => [t.by, t.action === 'assign' ? t.note : null])]));
  return records.map(({ assignee, dealerId: _dealerId, trail, recordedBy, ...r }) => ({
    ...r,
    handledBy: assignee ? label(assignee) : null,
    recordedBy: label(recordedBy),
    // Assigning names the handler in the note: by role as well.
    trail: (trail ?? []).map((t: Step) => ({ ...t, by: label(t.by), note: t.action === 'assign' && t.note ? label(t.note) : (t.note ?? null) })),
  }));
}

/**
 * The dealer's own portal users keep their address (the dealer knows them); staff become their
 * role's name; API tokens and anything unknown become "Staff". "a, b" (several deciders) maps each.
 */
async function actorLabels(strapi: Core.Strapi, dealerId: number, actors: Array<string | null | undefined>): Promise<Label> {
  const addresses = [...new Set(actors.flatMap((a) => (a ?? '').split(', ')).filter((a) => a.includes('@')))];
  const colleagues = new Set(((await service(strapi, 'dealers', 'portal-users').usersOf(dealerId)) as Array<{ email?: string }>).map((u) => u.email?.toLowerCase()));
  const staff = addresses.length
    ? await strapi.db.query('plugin::users-permissions.user').findMany({ where: { email: { $in: addresses } }, populate: ['role'] })
    : [];
  const roleOf = new Map<string, string>(
    staff.filter((u: any) => platformRegistry(strapi).isStaffRole(u.role?.type)).map((u: any) => [String(u.email).toLowerCase(), String(u.role.name)]),
  );
  const one = (actor: string) => {
    if (SYSTEM_ACTORS.has(actor)) return actor;
    const address = actor.toLowerCase();
    if (colleagues.has(address)) return actor;
    return roleOf.get(address) ?? 'Staff';
  };
  return (actor) => (actor ? actor.split(', ').map(one).join(', ') : 'Staff');
}

/** Kind, amount, dates and the document reference: not the staff note, idempotency key, reservation key or actor. */
function dealerEntryFields(l: any) {
  return { id: l.id, kind: l.kind, amountCents: l.amountCents, currency: l.currency, reference: l.reference ?? null, entryDate: l.entryDate, dueDate: l.dueDate ?? null, createdAt: l.createdAt ?? null };
}
