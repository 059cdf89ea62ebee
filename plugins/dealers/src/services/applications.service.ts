import { createHash, randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { afterCommit, ChannelflowError, conflict, defineStateMachine, inTransaction, isChannelflowError, isUniqueViolation, notFound, notifications, parseInput, publicUrl, workflows, service } from '@channelflow/sdk';
import { DEALER_ONBOARDED } from '../events';
import { DEALER, taxIdSchema } from './dealers.service';
import { DOCUMENT_KIND_WORDS, type DocumentKind } from './application-documents.service';
import { dealersOptions, requiredDocumentKinds } from '../options';

export const APPLICATION = 'plugin::dealers.application';
export const ONBOARDING_PROCESS = 'dealers-onboarding';
/** Published when a dealer is onboarded; processes of other plug-ins (training) may start on it. */
export const ONBOARDING_COMPLETED = 'onboarding.completed';
export const INFO_PROVIDED = 'dealers.application-info-provided';
/** What an applicant is told when a check on the company itself fails. */
export const APPLICATION_NOT_ACCEPTED = 'We cannot accept this application. Please contact our channel team if you believe this is a mistake.';

const submitInput = z.object({
  companyName: z.string().trim().min(2).max(200),
  taxId: taxIdSchema,
  contactName: z.string().trim().min(2).max(100),
  contactEmail: z.email().transform((e) => e.toLowerCase()),
  contactPhone: z.string().trim().regex(/^\+?[0-9 -]{6,20}$/, 'phone numbers are digits, spaces and dashes').optional(),
  regionCode: z.string().trim().min(1).max(20),
  dealerType: z.string().trim().min(1).max(31),
  annualVolumeCents: z.number().int().min(0).max(1e14),
  regionsWanted: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
  businessScale: z.string().trim().max(2000).optional(),
  needs: z.string().trim().max(2000).optional(),
  locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
  /** Tokens of uploads (POST /api/dealers/application-documents) to attach. */
  documents: z.array(z.string().trim().min(20).max(100)).max(10, 'at most 10 documents').default([]),
});

export const APPLICATION_STATES = ['in_review', 'needs_info', 'approved', 'rejected', 'expired'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATES)[number];

/**
 * An application's way through dealers-onboarding: reviewed, perhaps asked about (again, while
 * waiting: the new question replaces the link), then approved, rejected or expired unanswered.
 */
export const applicationLifecycle = defineStateMachine<ApplicationStatus>({
  name: 'Application',
  uid: APPLICATION,
  states: APPLICATION_STATES,
  transitions: {
    in_review: ['needs_info', 'approved', 'rejected'],
    needs_info: ['needs_info', 'in_review', 'rejected', 'expired'],
  },
  statusField: 'reviewStatus',
  historyField: 'trail',
  label: (row) => row.number,
});

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const now = () => new Date().toISOString();
type Step = { at: string; by: string; action: string; note?: string | null };

/**
 * Dealer applications (经销商申请). Submitting starts the dealers-onboarding process, which
 * checks, routes to review, asks for information, and on approval calls `approve` here.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const applications = () => strapi.db.query(APPLICATION as any);
  const lifecycle = applicationLifecycle.bind(strapi);

  async function load(id: number) {
    const application = await applications().findOne({ where: { id } });
    if (!application) throw notFound('Application', id);
    return application;
  }

  async function letter(application: any, template: string, data: Record<string, unknown> = {}) {
    await notifications(strapi).sendEmail({
      to: application.contactEmail,
      template: `dealers/${template}`,
      locale: application.locale,
      data: { contactName: application.contactName, companyName: application.companyName, applicationNumber: application.number, ...data },
    });
  }

  return {
    async submit(raw: z.input<typeof submitInput>) {
      const input = parseInput(submitInput, raw, 'application');
      await service(strapi, 'dealers', 'classifications').requireType(input.dealerType);
      const region = await strapi.db.query('api::region.region').findOne({ where: { code: input.regionCode } });
      if (!region) throw new ChannelflowError('BAD_INPUT', `There is no region ${input.regionCode}`, { issues: [{ path: 'regionCode', message: 'unknown region' }] });
      const { infoAnswerWindow } = dealersOptions.of(strapi);
      const requiredDocuments = requiredDocumentKinds(strapi);
      const { documents, ...fields } = input;
      // Anyone may know a tax id: say no more than that it is taken.
      const taken = () => conflict('An application for this tax id is already being reviewed');
      const created = await strapi.db.transaction(async () => {
        const open = await applications().findOne({ where: { taxId: input.taxId, reviewStatus: { $in: ['in_review', 'needs_info'] } } });
        if (open) throw taken();
        const number = `APP-${now().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex').toUpperCase()}`;
        const application = await applications().create({
          data: { ...fields, number, currency: 'CNY', ...applicationLifecycle.initial('in_review', { by: input.contactEmail, action: 'submitted' }) },
        });
        await service(strapi, 'dealers', 'application-documents').attach(application.id, documents);
        // Started after the commit by the platform outbox (retried until it runs), so no application waits without its process.
        await afterCommit(strapi).startProcess({
          bpmnProcessId: ONBOARDING_PROCESS,
          businessKey: application.number,
          idempotencyKey: `dealers.onboarding:${application.number}`,
          variables: {
            applicationId: application.id,
            applicationNumber: application.number,
            regionCode: input.regionCode,
            dealerType: input.dealerType,
            annualVolumeCents: input.annualVolumeCents,
            // How long an applicant has to answer a question (ISO 8601 duration).
            infoAnswerWindow,
            // Document kinds the checks insist on; the BPMN or an operator may change the variable.
            requiredDocuments,
          },
          recordKeyOn: { uid: APPLICATION, id: application.id, fields: ['processInstanceKey'] },
        });
        return application;
      }).catch((error: unknown) => {
        // Two submissions at once: the partial unique index (dealer_applications_one_open) lets one in.
        throw isUniqueViolation(error) ? taken() : error;
      });
      // Usually started by now (the key is in the answer); if the engine is away the outbox keeps trying.
      await afterCommit(strapi).settle(`dealers.onboarding:${created.number}`);
      return toApplication(await load(created.id));
    },

    /**
     * Automatic checks: already a dealer, on the blacklist, or a required document missing.
     * `checkFailure` is for staff (the trail); `applicantReason` is what the applicant may be told:
     * anyone can apply with any tax id, so it never says whether a company is a dealer or blacklisted.
     */
    async check(id: number, requiredDocuments: DocumentKind[] = []): Promise<{ checksPassed: boolean; checkFailure: string | null; applicantReason: string | null; tierOptions: Array<{ label: string; value: string }> }> {
      const application = await load(id);
      const dealer = await strapi.db.query(DEALER).findOne({ where: { taxId: application.taxId } });
      const blacklisted = await service(strapi, 'dealers', 'blacklist').activeFor({ taxId: application.taxId });
      const attached: DocumentKind[] = await service(strapi, 'dealers', 'application-documents').kindsOf(id);
      const missing = requiredDocuments.filter((kind) => !attached.includes(kind));
      const checkFailure = dealer
        ? `Tax id ${application.taxId} already belongs to dealer ${dealer.code}`
        : blacklisted
          ? `Tax id ${application.taxId} is on the blacklist`
          : missing.length
            ? `Required documents are missing: ${missing.map((k) => DOCUMENT_KIND_WORDS[k]).join(', ')}`
            : null;
      await lifecycle.record(application, { by: 'process', action: checkFailure ? 'checks failed' : 'checks passed', note: checkFailure });
      // The reviewer picks from the tiers configured now.
      const tierOptions = (await service(strapi, 'dealers', 'classifications').listTiers()).map((t: any) => ({ label: t.nameZh ? `${t.name} ${t.nameZh}` : t.name, value: t.code }));
      const applicantReason = !checkFailure ? null : dealer || blacklisted ? APPLICATION_NOT_ACCEPTED : checkFailure;
      return { checksPassed: !checkFailure, checkFailure, applicantReason, tierOptions };
    },

    async sendLetter(id: number, kind: 'received' | 'rejected' | 'welcome') {
      const application = await load(id);
      if ((application.trail ?? []).some((s: Step) => s.action === `letter sent (${kind})`)) return;
      const dealer = application.dealerId ? await strapi.db.query(DEALER).findOne({ where: { id: application.dealerId } }) : null;
      await letter(application, `application-${kind}`, { reason: application.decisionNote, dealerCode: dealer?.code ?? null, salesRep: dealer?.salesRep ?? null });
      await lifecycle.record(await load(id), { by: 'process', action: `letter sent (${kind})` });
    },

    /** Asks the applicant a question; the e-mailed link answers it (answerInfoRequest). */
    async requestInfo(id: number, question: string, askedBy: string | null) {
      const application = await load(id);
      const token = randomBytes(24).toString('base64url');
      await lifecycle.move(application, 'needs_info', { by: askedBy ?? 'reviewer', action: 'information requested', note: question, data: { infoQuestion: question, infoAnswer: null, answerTokenHash: hash(token) } });
      await letter(application, 'application-needs-info', { question, answerUrl: `${publicUrl(strapi)}/portal/application-answer?token=${token}` });
    },

    /** The applicant's answer (public, by the e-mailed token): back to review. */
    async answerInfo(token: string, answer: string) {
      const input = parseInput(z.object({ token: z.string().min(20).max(200), answer: z.string().trim().min(2).max(5000) }), { token, answer }, 'answer');
      const application = await applications().findOne({ where: { answerTokenHash: hash(input.token) } });
      if (!application || application.reviewStatus !== 'needs_info') {
        throw answerLinkInvalid();
      }
      // The record and the message together: the outbox tells the process after the commit, once (by message id).
      await strapi.db.transaction(async () => {
        // A second answer racing this one finds the link used: the same refusal as afterwards.
        await lifecycle
          .move(application, 'in_review', { by: application.contactEmail, action: 'information provided', note: input.answer, data: { infoAnswer: input.answer, answerTokenHash: null } })
          .catch((error: unknown) => {
            throw isChannelflowError(error) && error.code === 'CONFLICT' ? answerLinkInvalid() : error;
          });
        await afterCommit(strapi).publishMessage({ name: INFO_PROVIDED, correlationKey: application.number, variables: { infoAnswer: input.answer }, messageId: `${application.number}:${hash(input.token)}`, timeToLiveMs: 3_600_000 });
      });
      return toApplication(await load(application.id));
    },

    async reject(id: number, reason: string, by: string | null) {
      const application = await load(id);
      if (application.reviewStatus === 'rejected') return toApplication(application);
      return toApplication(await lifecycle.move(application, 'rejected', { by: by ?? 'process', note: reason, data: { decisionNote: reason } }));
    },

    async expire(id: number) {
      const application = await load(id);
      if (application.reviewStatus !== 'needs_info') return toApplication(application);
      return toApplication(await lifecycle.move(application, 'expired', { by: 'process', note: 'no answer in time', data: { answerTokenHash: null } }));
    },

    /**
     * Approval: the dealer (onboarding → active, recorded), its credit account with the tier's
     * default limit and its sales rep (the least loaded of the region's teams) in one transaction,
     * then the owner's invitation. A retried job finds the dealer and only finishes what is missing.
     */
    async approve(id: number, decision: { tier: string | null; reviewer: string | null; note: string | null }) {
      const by = decision.reviewer ?? 'process';
      const dealer = await inTransaction(strapi, async () => {
        const application = await load(id);
        if (application.dealerId) return strapi.db.query(DEALER).findOne({ where: { id: application.dealerId } });
        const dealers = service(strapi, 'dealers', 'dealers');
        const classifications = service(strapi, 'dealers', 'classifications');
        const tier = decision.tier ? await classifications.requireTier(decision.tier) : await classifications.entryTier();
        const assignment = await assignRep(strapi, application.regionCode);
        const created = await dealers.create({
          code: `A${String(application.id).padStart(5, '0')}`,
          name: application.companyName,
          taxId: application.taxId,
          tier: tier.code,
          dealerType: application.dealerType,
          status: 'onboarding',
          regionCode: application.regionCode,
        });
        await strapi.db.query(DEALER).update({
          where: { id: created.id },
          data: {
            salesRep: assignment.salesRep,
            salesTeam: assignment.salesTeam,
            businessScale: application.businessScale ?? null,
            needs: application.needs ?? null,
            contacts: [{ name: application.contactName, role: 'owner', email: application.contactEmail, ...(application.contactPhone ? { phone: application.contactPhone } : {}) }],
          },
        });
        await dealers.changeStatus({ dealerId: created.id, to: 'active', reason: `application ${application.number} approved`, actor: by });
        await service(strapi, 'dealers', 'credit').openAccount({ dealerId: created.id, limitCents: tier.defaultCreditLimitCents, currency: application.currency });
        await lifecycle.move(application, 'approved', { by, note: decision.note, data: { dealerId: created.id, decisionNote: decision.note } });
        await afterCommit(strapi).emit(
          DEALER_ONBOARDED,
          { dealerId: created.id, dealerCode: created.code, applicationNumber: application.number, tier: tier.code, regionCode: application.regionCode, ownerEmail: application.contactEmail },
          { eventId: `${DEALER_ONBOARDED}:${created.code}` },
        );
        return created;
      });
      const application = await load(id);
      // Once: a re-delivered job finds the step in the trail, or the invitation it sent before recording it.
      const invitedBefore = await strapi.db.query('plugin::dealers.invitation').count({ where: { dealerId: dealer.id, email: application.contactEmail.toLowerCase() } });
      if (!invitedBefore && !(application.trail ?? []).some((s: Step) => s.action === 'owner invited')) {
        await service(strapi, 'dealers', 'invitations').invite({ dealerId: dealer.id, email: application.contactEmail, role: 'owner', invitedBy: by, inviterName: 'Channelflow' });
        await lifecycle.record(application, { by: 'process', action: 'owner invited', note: application.contactEmail });
      }
      return { dealerId: dealer.id, dealerCode: dealer.code };
    },

    async publishOnboarded(id: number) {
      const application = await load(id);
      const dealer = await strapi.db.query(DEALER).findOne({ where: { id: application.dealerId } });
      if (!dealer) throw notFound('Dealer of application', application.number);
      await workflows(strapi).publishMessage({
        name: ONBOARDING_COMPLETED,
        correlationKey: dealer.code,
        messageId: `onboarded:${dealer.code}`,
        // Buffered for a minute so that a repeated job cannot announce the dealer twice.
        timeToLiveMs: 60_000,
        variables: { dealerId: dealer.id, dealerCode: dealer.code, tier: dealer.tier, regionCode: application.regionCode, ownerEmail: application.contactEmail },
      });
    },

    async list(filter: { status?: string }, page: { page: number; pageSize: number }) {
      const where = filter.status ? { reviewStatus: filter.status } : {};
      const [rows, total] = await Promise.all([
        applications().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        applications().count({ where }),
      ]);
      return { nodes: rows.map(toApplication), total, ...page };
    },

    async byNumber(number: string) {
      const application = await applications().findOne({ where: { number } });
      if (!application) throw notFound('Application', number);
      return toApplication(application);
    },
  };
};

function answerLinkInvalid() {
  return new ChannelflowError('ANSWER_LINK_INVALID', 'This answer link is not valid any more (already answered, or the application was closed)');
}

/**
 * The sales rep for a new dealer of `regionCode`: the one with the fewest dealers among the
 * region's teams, or among all reps when the region has no team with reps yet.
 */
async function assignRep(strapi: Core.Strapi, regionCode: string): Promise<{ salesRep: string | null; salesTeam: string | null }> {
  const regional = await strapi.service('api::sales-team.sales-team').staffInRegion(regionCode, 'sales-rep');
  const candidates: Array<{ email: string; teamCode: string | null }> = regional.length
    ? regional
    : (await strapi.db.query('plugin::users-permissions.user').findMany({ where: { role: { type: 'sales-rep' }, blocked: false }, orderBy: { id: 'asc' } })).map((r: any) => ({ email: r.email, teamCode: null }));
  if (!candidates.length) return { salesRep: null, salesTeam: null };
  const loads = await Promise.all(candidates.map(async (c) => ({ ...c, dealers: await strapi.db.query(DEALER).count({ where: { salesRep: c.email } }) })));
  const chosen = loads.sort((a, b) => a.dealers - b.dealers)[0]!;
  return { salesRep: chosen.email, salesTeam: chosen.teamCode };
}

export function toApplication(a: any) {
  return {
    id: a.id,
    number: a.number,
    companyName: a.companyName,
    taxId: a.taxId,
    contactName: a.contactName,
    contactEmail: a.contactEmail,
    contactPhone: a.contactPhone ?? null,
    regionCode: a.regionCode,
    dealerType: a.dealerType,
    annualVolumeCents: Number(a.annualVolumeCents),
    currency: a.currency,
    regionsWanted: a.regionsWanted ?? [],
    businessScale: a.businessScale ?? null,
    needs: a.needs ?? null,
    status: a.reviewStatus,
    infoQuestion: a.infoQuestion ?? null,
    infoAnswer: a.infoAnswer ?? null,
    decisionNote: a.decisionNote ?? null,
    dealerId: a.dealerId ?? null,
    trail: (a.trail ?? []) as Step[],
    processInstanceKey: a.processInstanceKey ?? null,
    createdAt: a.createdAt ? new Date(a.createdAt).toISOString() : null,
  };
}
