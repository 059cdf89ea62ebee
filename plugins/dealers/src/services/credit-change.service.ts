import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, dealerWhere, defineStateMachine, inTransaction, isoDateTime, isUniqueViolation, notFound, notifications, parseInput, printDocument, service } from '@channelflow/sdk';
import { averageUtilisation, overdue, paymentBehaviour } from './credit-ledger';
import { CREDIT_ENTRY, formatCents, toCents, today } from './credit.service';
import { dealersOptions } from '../options';

export const CREDIT_CHANGE = 'plugin::dealers.credit-change-request';
export const CREDIT_CHANGE_PROCESS = 'dealers-credit-limit-change';

/** What a request must be; `minimumTemporarySeconds` is DEALERS_TEMPORARY_LIMIT_MIN_SECONDS (how soon a temporary limit may end at the earliest). */
const requestInput = (minimumTemporarySeconds: number) =>
  z
    .object({
      dealerId: z.number().int().positive(),
      limitCents: z.number().int('amounts are integer minor units (cents)').min(0).max(1e13),
      /** A temporary limit ends then (ISO date-time, at least an hour ahead); a permanent change has none. */
      temporaryUntil: isoDateTime.optional(),
      reason: z.string().trim().min(5, 'say why in a few words').max(2000),
      requestedBy: z.string().min(1).max(200),
      requestedVia: z.enum(['portal', 'staff']),
    })
    .refine((r) => !r.temporaryUntil || Date.parse(r.temporaryUntil) > Date.now() + minimumTemporarySeconds * 1000, {
      message: `a temporary limit must run for at least ${Math.round(minimumTemporarySeconds / 60)} minutes`,
      path: ['temporaryUntil'],
    })
    .refine((r) => !r.temporaryUntil || Date.parse(r.temporaryUntil) < Date.now() + 366 * 86_400_000, {
      message: 'a temporary limit may run for a year at most',
      path: ['temporaryUntil'],
    });
type RequestInput = z.input<ReturnType<typeof requestInput>>;

type TrailEntry = { at: string; by: string; action: string; note?: string | null };

export const CREDIT_CHANGE_STATES = ['in_review', 'approved', 'rejected', 'expired'] as const;
export type CreditChangeStatus = (typeof CREDIT_CHANGE_STATES)[number];

/** A request is decided once (approved or rejected); an approved temporary limit later ends (expired). */
export const creditChangeLifecycle = defineStateMachine<CreditChangeStatus>({
  name: 'Credit-limit request',
  uid: CREDIT_CHANGE,
  states: CREDIT_CHANGE_STATES,
  transitions: {
    in_review: ['approved', 'rejected'],
    approved: ['expired'],
  },
  statusField: 'reviewStatus',
  historyField: 'trail',
  label: (row) => row.number,
});

/**
 * Credit-limit change requests. The decision itself is the dealers-credit-limit-change process
 * (scoring, FEEL thresholds, finance and director approval, the letter, the timer that ends a
 * temporary limit); this service starts it and carries out what its jobs decide.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const requests = () => strapi.db.query(CREDIT_CHANGE as any);
  const credit = () => service(strapi, 'dealers', 'credit');
  const lifecycle = creditChangeLifecycle.bind(strapi);

  async function load(requestId: number) {
    const request = await requests().findOne({ where: { id: requestId } });
    if (!request) throw notFound('Credit limit change request', requestId);
    return request;
  }

  return {
    /** Opens a request and starts its process; one open request per dealer at a time. */
    async request(raw: RequestInput) {
      const input = parseInput(requestInput(dealersOptions.of(strapi).temporaryLimitMinSeconds), raw, 'credit limit change');
      const dealer = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: input.dealerId } });
      if (!dealer) throw notFound('Dealer', input.dealerId);
      const summary = await credit().summary(input.dealerId);
      if (input.temporaryUntil && input.limitCents <= summary.limitCents) {
        throw new ChannelflowError('BAD_INPUT', `A temporary limit raises the limit of ${formatCents(summary.limitCents, summary.currency)}; ask for more, or for a permanent change`);
      }
      if (!input.temporaryUntil && input.limitCents === summary.limitCents) {
        throw new ChannelflowError('BAD_INPUT', `The limit already is ${formatCents(summary.limitCents, summary.currency)}`);
      }
      const alreadyOpen = (open: { number: string } | null) =>
        conflict(`Dealer ${dealer.code} already has a credit limit request in review${open ? ` (${open.number})` : ''}`, open ? { number: open.number } : undefined);
      const created = await strapi.db.transaction(async () => {
        const open = await requests().findOne({ where: { dealerId: input.dealerId, reviewStatus: 'in_review' } });
        if (open) throw alreadyOpen(open);
        const number = `CLR-${today().replace(/-/g, '')}-${dealer.code}-${Date.now().toString(36).slice(-4).toUpperCase()}`;
        const row = await requests().create({
          data: {
            number,
            dealerId: input.dealerId,
            dealerCode: dealer.code,
            currency: summary.currency,
            currentLimitCents: summary.limitCents,
            requestedLimitCents: input.limitCents,
            temporaryUntil: input.temporaryUntil ?? null,
            reason: input.reason,
            requestedBy: input.requestedBy,
            requestedVia: input.requestedVia,
            ...creditChangeLifecycle.initial('in_review', { by: input.requestedBy, action: 'requested', note: input.reason }),
          },
        });
        // Started after the commit by the platform outbox (retried until it runs), so no request waits without its process.
        await afterCommit(strapi).startProcess({
          bpmnProcessId: CREDIT_CHANGE_PROCESS,
          businessKey: row.number,
          idempotencyKey: `dealers.credit-change:${row.number}`,
          variables: {
            requestId: row.id,
            requestNumber: row.number,
            dealerId: input.dealerId,
            dealerCode: dealer.code,
            currency: summary.currency,
            currentLimitCents: summary.limitCents,
            requestedLimitCents: input.limitCents,
            increaseCents: input.limitCents - summary.limitCents,
            // Whoever asked may not approve it (the approval tasks' notCompletableByVariable).
            requestedBy: input.requestedBy,
            temporary: Boolean(input.temporaryUntil),
            temporaryUntil: input.temporaryUntil ? new Date(input.temporaryUntil).toISOString() : null,
          },
          recordKeyOn: { uid: CREDIT_CHANGE, id: row.id, fields: ['processInstanceKey'] },
        });
        return row;
      }).catch(async (error: unknown) => {
        // A concurrent request opened first (index dealer_credit_change_requests_one_open): the same answer as the check.
        if (!isUniqueViolation(error)) throw error;
        throw alreadyOpen(await requests().findOne({ where: { dealerId: input.dealerId, reviewStatus: 'in_review' } }));
      });
      // Usually started by now (the key is in the answer); if the engine is away the outbox keeps trying.
      await afterCommit(strapi).settle(`dealers.credit-change:${created.number}`);
      return toRequest(await requests().findOne({ where: { id: created.id } }));
    },

    async list(filter: { dealerId?: number; dealerIds?: number[] | null; status?: string }, page: { page: number; pageSize: number }) {
      const where = {
        ...dealerWhere(filter),
        ...(filter.status ? { reviewStatus: filter.status } : {}),
      };
      const [rows, total] = await Promise.all([
        requests().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        requests().count({ where }),
      ]);
      return { nodes: rows.map(toRequest), total, ...page };
    },

    /** What the decision rests on: payment behaviour over six months, what is overdue, how much of the limit was used. */
    async score(requestId: number) {
      const request = await load(requestId);
      const entries = await strapi.db.query(CREDIT_ENTRY as any).findMany({ where: { dealerId: request.dealerId, kind: { $notIn: ['reserve', 'release'] } } });
      const lines = entries.map((e: any) => ({ kind: e.kind, amountCents: toCents(e.amountCents), date: e.entryDate, dueDate: e.dueDate, reference: e.reference }));
      const asOf = today();
      const behaviour = paymentBehaviour(lines, asOf, 180);
      const late = overdue(lines, asOf);
      // Increases approved without a person in the last 90 days count against the automatic allowance.
      const since = new Date(Date.now() - 90 * 86_400_000);
      const recent = await requests().findMany({ where: { dealerId: request.dealerId, reviewStatus: { $in: ['approved', 'expired'] }, createdAt: { $gte: since }, id: { $ne: requestId } } });
      const recentAutoIncreaseCents = recent
        .filter((r: any) => (r.trail ?? []).some((t: TrailEntry) => t.action === 'approved' && t.by === 'automatic'))
        .reduce((sum: number, r: any) => sum + Math.max(0, toCents(r.requestedLimitCents) - toCents(r.currentLimitCents)), 0);
      const score = {
        recentAutoIncreaseCents,
        onTimeRate: behaviour.onTimeRate,
        averageDaysLate: behaviour.averageDaysLate,
        invoicesDue: behaviour.invoicesDue,
        overdueCents: late.overdueCents,
        utilisationPct: averageUtilisation(lines, asOf, 6, toCents(request.currentLimitCents)),
      };
      await lifecycle.record(request, { by: 'process', action: 'scored', data: { score } });
      return score;
    },

    /** Puts the approved limit in force: permanent, or temporary until the request's date. */
    async apply(requestId: number, decidedBy: string[], note: string | null = null) {
      const request = await load(requestId);
      if (request.reviewStatus === 'approved') return toRequest(request); // a repeated job
      const limitCents = toCents(request.requestedLimitCents);
      // The decision first, guarded, then the limit in the same transaction: a request decided meanwhile changes no limit.
      const approved = await inTransaction(strapi, async () => {
        const row = await lifecycle.move(request, 'approved', { by: decidedBy.join(', ') || 'automatic', note });
        await credit().setLimit(
          request.temporaryUntil
            ? { dealerId: request.dealerId, temporaryLimitCents: limitCents, expiresAt: new Date(request.temporaryUntil).toISOString() }
            : { dealerId: request.dealerId, limitCents },
        );
        return row;
      });
      return toRequest(approved);
    },

    async reject(requestId: number, decidedBy: string, note: string | null) {
      const request = await load(requestId);
      if (request.reviewStatus === 'rejected') return toRequest(request);
      return toRequest(await lifecycle.move(request, 'rejected', { by: decidedBy, note }));
    },

    /** The temporary limit's timer: back to the permanent limit, unless another change replaced it since. */
    async expire(requestId: number) {
      const request = await load(requestId);
      if (request.reviewStatus === 'expired') return toRequest(request);
      creditChangeLifecycle.assertMove(request, 'expired');
      return toRequest(
        await inTransaction(strapi, async () => {
          const summary = await credit().summary(request.dealerId);
          const stillOurs = summary.temporaryLimitCents === toCents(request.requestedLimitCents) && summary.temporaryLimitExpiresAt === new Date(request.temporaryUntil).toISOString();
          const row = await lifecycle.move(request, 'expired', { by: 'process', action: 'temporary limit ended', note: stillOurs ? null : 'already replaced' });
          if (stillOurs) await credit().setLimit({ dealerId: request.dealerId, clearTemporaryLimit: true });
          return row;
        }),
      );
    },

    /** The decision letter printed as a document (the e-mailed text in the print layout), or null before a decision. */
    async printedDecisionLetter(requestId: number, locale?: 'zh-CN' | 'en') {
      const request = await load(requestId);
      if (request.reviewStatus !== 'approved' && request.reviewStatus !== 'rejected' && request.reviewStatus !== 'expired') return null;
      const dealer = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: request.dealerId } });
      return printDocument(strapi, 'dealers/credit-decision', {
        locale,
        title: { 'zh-CN': '信用额度决定书', en: 'Credit limit decision' },
        number: `CL-${request.number}`,
        data: decisionLetterData(request, dealer),
      });
    },

    /** The decision letter to the dealer's owners (and the requester), once per request and outcome. */
    async sendDecisionLetter(requestId: number) {
      const request = await load(requestId);
      const trail: TrailEntry[] = request.trail ?? [];
      if (trail.some((t) => t.action === `letter sent (${request.reviewStatus})`)) return { sent: 0 };
      const dealer = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: request.dealerId } });
      const owners = (await service(strapi, 'dealers', 'portal-users').usersOf(request.dealerId)).filter((u: any) => u.role === 'owner' || u.role === 'finance');
      const recipients = [...new Set([...owners.map((u: any) => u.email), ...(request.requestedBy.includes('@') ? [request.requestedBy] : [])])];
      for (const to of recipients) {
        await notifications(strapi).sendEmail({ to, template: 'dealers/credit-decision', dealerDocumentId: dealer?.documentId, data: decisionLetterData(request, dealer) });
      }
      await lifecycle.record(await load(requestId), { by: 'process', action: `letter sent (${request.reviewStatus})`, note: recipients.join(', ') });
      return { sent: recipients.length };
    },
  };
};

export function toRequest(r: any) {
  return {
    id: r.id,
    number: r.number,
    dealerId: r.dealerId,
    dealerCode: r.dealerCode,
    currency: r.currency,
    currentLimitCents: toCents(r.currentLimitCents),
    requestedLimitCents: toCents(r.requestedLimitCents),
    temporaryUntil: r.temporaryUntil ? new Date(r.temporaryUntil).toISOString() : null,
    reason: r.reason,
    requestedBy: r.requestedBy,
    requestedVia: r.requestedVia,
    status: r.reviewStatus,
    score: r.score ?? null,
    trail: (r.trail ?? []) as TrailEntry[],
    processInstanceKey: r.processInstanceKey ?? null,
    createdAt: r.createdAt ? new Date(r.createdAt).toISOString() : null,
  };
}

/** What the decision letter says, e-mailed or printed. */
function decisionLetterData(request: any, dealer: any) {
  const decision = [...((request.trail ?? []) as TrailEntry[])].reverse().find((t) => t.action === 'approved' || t.action === 'rejected');
  return {
    dealerName: dealer?.name,
    dealerCode: request.dealerCode,
    requestNumber: request.number,
    approved: request.reviewStatus === 'approved' || (request.reviewStatus === 'expired' && decision?.action === 'approved'),
    currency: request.currency,
    requestedLimitCents: toCents(request.requestedLimitCents),
    previousLimitCents: toCents(request.currentLimitCents),
    temporaryUntil: request.temporaryUntil,
    note: decision?.note ?? null,
  };
}
