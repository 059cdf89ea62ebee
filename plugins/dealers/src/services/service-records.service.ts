import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, dayOf, dealerWhere, defineStateMachine, forbidden, notFound, paginate, parseInput, platformRegistry } from '@channelflow/sdk';
import { dealersOptions } from '../options';

export const SERVICE_RECORD = 'plugin::dealers.service-record';

export const SERVICE_RECORD_STATES = ['accepted', 'assigned', 'in_progress', 'replied', 'closed'] as const;
export type ServiceRecordStatus = (typeof SERVICE_RECORD_STATES)[number];

/**
 * A complaint's way: accept → assign → handle → reply → close (re-assigning is allowed until it is replied).
 * Consultations and surveys are created closed: done when logged.
 */
export const serviceRecordLifecycle = defineStateMachine<ServiceRecordStatus>({
  name: 'Complaint',
  uid: SERVICE_RECORD,
  states: SERVICE_RECORD_STATES,
  transitions: {
    accepted: ['assigned'],
    assigned: ['assigned', 'in_progress', 'replied'],
    in_progress: ['assigned', 'replied'],
    replied: ['closed'],
  },
  statusField: 'caseStatus',
  historyField: 'trail',
  label: (row) => row.number,
});

/** The steps staff and dealers take on a complaint, and where each leads; the trail names the step. */
export const COMPLAINT_STEPS = { assign: 'assigned', start: 'in_progress', reply: 'replied', close: 'closed' } as const satisfies Record<string, ServiceRecordStatus>;
export type ComplaintStep = keyof typeof COMPLAINT_STEPS;

const channel = z.enum(['phone', 'email', 'visit', 'portal', 'other']);
const text = (max: number) => z.string().trim().min(2, 'write at least a few characters').max(max);
const recordInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('consultation'), dealerId: z.number().int().positive(), channel, subject: text(200), content: text(5000), recordedBy: z.string().min(1) }),
  z.object({ kind: z.literal('complaint'), dealerId: z.number().int().positive(), channel, subject: text(200), content: text(5000), recordedBy: z.string().min(1) }),
  z.object({
    kind: z.literal('survey'),
    dealerId: z.number().int().positive(),
    channel,
    surveyType: text(100),
    subject: text(200),
    content: text(5000),
    feedback: z.string().trim().max(5000).optional(),
    score: z.number().int().min(1).max(5).optional(),
    recordedBy: z.string().min(1),
  }),
]);

type Step = { at: string; by: string; action: string; note?: string | null };

/**
 * Service records of a dealer: consultations and surveys are logged as they happened;
 * complaints are handled along serviceRecordLifecycle against a due date for the reply.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const records = () => strapi.db.query(SERVICE_RECORD as any);
  const lifecycle = serviceRecordLifecycle.bind(strapi);

  async function load(number: string, dealerId?: number) {
    const record = await records().findOne({ where: { number, ...(dealerId ? { dealerId } : {}) } });
    if (!record) throw notFound('Service record', number);
    return record;
  }

  return {
    async create(raw: z.input<typeof recordInput>) {
      const input = parseInput(recordInput, raw, 'service record');
      if (!(await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: input.dealerId } }))) throw notFound('Dealer', input.dealerId);
      const prefix = { consultation: 'CON', complaint: 'CMP', survey: 'SUR' }[input.kind];
      const now = new Date();
      const record = await records().create({
        data: {
          ...input,
          number: `${prefix}-${dayOf(now).replace(/-/g, '')}-${randomBytes(3).toString('hex').toUpperCase()}`,
          // Consultations and surveys are done when logged; a complaint starts accepted, with its due date.
          ...(input.kind === 'complaint'
            ? serviceRecordLifecycle.initial('accepted', { by: input.recordedBy })
            : serviceRecordLifecycle.initial('closed', { by: input.recordedBy, action: 'logged' })),
          dueAt: input.kind === 'complaint' ? new Date(now.getTime() + dealersOptions.of(strapi).complaintReplyDays * 86_400_000) : null,
          closedAt: input.kind === 'complaint' ? null : now,
        },
      });
      return toRecord(record);
    },

    /**
     * Moves a complaint one step. Assigning names the handler; starting and replying are the
     * assignee's (or a manager's, `asManager`); closing follows the reply.
     */
    async advance(raw: { number: string; step: ComplaintStep; actor: string; asManager: boolean; assignee?: string; note?: string; dealerId?: number }) {
      const input = parseInput(
        z.object({
          number: z.string().min(1).max(50),
          step: z.enum(['assign', 'start', 'reply', 'close']),
          actor: z.string().min(1),
          asManager: z.boolean(),
          assignee: z.email().optional(),
          note: z.string().trim().max(5000).optional(),
          dealerId: z.number().int().positive().optional(),
        }),
        raw,
        'complaint step',
      );
      const record = await load(input.number, input.dealerId);
      if (record.kind !== 'complaint') throw new ChannelflowError('CONFLICT', `${record.number} is a ${record.kind}, not a complaint`);
      const to = COMPLAINT_STEPS[input.step];
      // Refused before who-may-do-it: a step the complaint is past is a CONFLICT for anyone.
      serviceRecordLifecycle.assertMove(record, to);
      const changes: Record<string, unknown> = {};
      if (input.step === 'assign') {
        if (!input.asManager) throw forbidden('Only a channel manager assigns complaints');
        if (!input.assignee) throw new ChannelflowError('BAD_INPUT', 'Name the staff member (e-mail) who handles the complaint', { issues: [{ path: 'assignee', message: 'required' }] });
        const staff = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { email: input.assignee }, populate: ['role'] });
        if (!staff || !platformRegistry(strapi).isStaffRole(staff.role?.type)) throw notFound('Staff member', input.assignee);
        changes.assignee = input.assignee;
      }
      if ((input.step === 'start' || input.step === 'reply') && record.assignee !== input.actor && !input.asManager) {
        throw forbidden(`Complaint ${record.number} is handled by ${record.assignee}`);
      }
      if (input.step === 'reply') {
        if (!input.note || input.note.length < 2) throw new ChannelflowError('BAD_INPUT', 'Write the reply to the dealer', { issues: [{ path: 'note', message: 'required' }] });
        changes.reply = input.note;
      }
      if (input.step === 'close') changes.closedAt = new Date();
      // Only if nobody moved it meanwhile (CONFLICT otherwise).
      await lifecycle.move(record, to, { by: input.actor, action: input.step, note: input.assignee ?? input.note ?? null, data: changes });
      return toRecord(await load(record.number));
    },

    async list(filter: { dealerId?: number; dealerIds?: number[] | null; kind?: string; status?: string; overdueOnly?: boolean; assignee?: string }, page: { page: number; pageSize: number }) {
      const where: Record<string, unknown> = dealerWhere(filter);
      if (filter.kind) where.kind = filter.kind;
      if (filter.status) where.caseStatus = filter.status;
      if (filter.assignee) where.assignee = filter.assignee;
      if (filter.overdueOnly) Object.assign(where, { kind: 'complaint', caseStatus: { $in: ['accepted', 'assigned', 'in_progress'] }, dueAt: { $lt: new Date() } });
      const result = await paginate(strapi, SERVICE_RECORD, { where, orderBy: [{ id: 'desc' }] }, page);
      return { ...result, nodes: result.nodes.map(toRecord) };
    },
  };
};

export function toRecord(r: any) {
  const open = r.kind === 'complaint' && ['accepted', 'assigned', 'in_progress'].includes(r.caseStatus);
  return {
    number: r.number,
    dealerId: r.dealerId,
    kind: r.kind,
    channel: r.channel,
    subject: r.subject,
    content: r.content,
    status: r.caseStatus,
    assignee: r.assignee ?? null,
    dueAt: r.dueAt ? new Date(r.dueAt).toISOString() : null,
    overdue: open && r.dueAt ? new Date(r.dueAt) < new Date() : false,
    reply: r.reply ?? null,
    surveyType: r.surveyType ?? null,
    score: r.score ?? null,
    feedback: r.feedback ?? null,
    recordedBy: r.recordedBy,
    createdAt: r.createdAt ? new Date(r.createdAt).toISOString() : null,
    closedAt: r.closedAt ? new Date(r.closedAt).toISOString() : null,
    trail: (r.trail ?? []) as Step[],
  };
}
