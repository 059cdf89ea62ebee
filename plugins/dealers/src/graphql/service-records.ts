import { z } from 'zod';
import type { Core } from '@strapi/strapi';
import { actorName, dealerScope, notFound, parseArgs, parsePage, staffListScope, staffScope, presentArgs, type GraphqlExtension, type StaffActor, service } from '@channelflow/sdk';
import { toDealerServiceRecords } from './dealer-views';
import type { ServiceRecordsService } from '../contract';

const listArgs = z.object({
  kind: z.enum(['consultation', 'complaint', 'survey']).optional(),
  status: z.enum(['accepted', 'assigned', 'in_progress', 'replied', 'closed']).optional(),
  overdueOnly: z.boolean().default(false),
  assignedToMe: z.boolean().default(false),
});
const MANAGERS = ['platform-admin', 'channel-manager', 'director'];
const asManager = (actor: StaffActor) => actor.kind === 'api-token' || MANAGERS.includes(actor.role);
const serviceRecords = (strapi: Core.Strapi) => service(strapi, 'dealers', 'service-records');

/** Consultations, complaints and surveys: staff log and handle them; a dealer files complaints and follows its own. */
export const serviceRecordsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum ServiceRecordKind { consultation complaint survey }
    enum ServiceChannel { phone email visit portal other }
    enum ServiceRecordStatus { accepted assigned in_progress replied closed }
    type ServiceRecordStep { at: String! by: String! action: String! note: String }
    type ServiceRecord {
      number: ID!
      kind: ServiceRecordKind!
      channel: ServiceChannel!
      subject: String!
      content: String!
      status: ServiceRecordStatus!
      assignee: String
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
    type ServiceRecordPage { nodes: [ServiceRecord!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: service records, newest first; overdueOnly lists open complaints past their due date."
      serviceRecords(dealerCode: String, kind: ServiceRecordKind, status: ServiceRecordStatus, overdueOnly: Boolean, assignedToMe: Boolean, page: Int, pageSize: Int): ServiceRecordPage!
      "Dealer portal: my dealer's consultations, complaints and surveys."
      myServiceRecords(kind: ServiceRecordKind, page: Int, pageSize: Int): DealerServiceRecordPage!
    }
    extend type Mutation {
      "Staff: log a consultation or survey, or accept a complaint received by phone, e-mail or visit (reply due in DEALERS_COMPLAINT_REPLY_DAYS)."
      logServiceRecord(dealerCode: String!, kind: ServiceRecordKind!, channel: ServiceChannel!, subject: String!, content: String!, surveyType: String, feedback: String, score: Int): ServiceRecord!
      "Channel managers: give a complaint to a staff member (e-mail)."
      assignComplaint(number: ID!, assignee: String!): ServiceRecord!
      "The assignee: start handling a complaint."
      startComplaint(number: ID!): ServiceRecord!
      "The assignee: answer the dealer."
      replyToComplaint(number: ID!, reply: String!): ServiceRecord!
      "Staff: close a replied complaint."
      closeComplaint(number: ID!, note: String): ServiceRecord!
      "Dealer portal: file a complaint."
      fileComplaint(subject: String!, content: String!): DealerServiceRecord!
      "Dealer portal (owner): close my dealer's replied complaint, satisfied."
      closeMyComplaint(number: ID!, note: String): DealerServiceRecord!
    }
  `,
  resolvers: {
    Query: {
      serviceRecords: staffScope('dealers.read', async (args, { strapi, actor }) => {
        const filter = parseArgs(listArgs, { kind: args.kind, status: args.status, overdueOnly: args.overdueOnly, assignedToMe: args.assignedToMe });
        // A sales rep sees their dealers' records, and whatever complaint is assigned to them.
        const scope = filter.assignedToMe && !args.dealerCode ? {} : await staffListScope(strapi, actor, args.dealerCode);
        return serviceRecords(strapi).list(
          { ...scope, kind: filter.kind, status: filter.status, overdueOnly: filter.overdueOnly, assignee: filter.assignedToMe ? actorName(actor) : undefined },
          parsePage(args),
        );
      }),
      myServiceRecords: dealerScope(async (args, { strapi, dealer }) => {
        const { kind } = parseArgs(listArgs.pick({ kind: true }), { kind: args.kind });
        const page = await serviceRecords(strapi).list({ dealerId: dealer.id, kind }, parsePage(args));
        return { ...page, nodes: await toDealerServiceRecords(strapi, dealer.id, page.nodes) };
      }),
    },
    Mutation: {
      logServiceRecord: staffScope('dealers.service', async (args, { strapi, actor }) => {
        const dealer = await service(strapi, 'dealers', 'dealers').visibleByCode(String(args.dealerCode), actor);
        const { dealerCode: _code, ...rest } = args;
        return serviceRecords(strapi).create({
          ...presentArgs(rest),
          dealerId: dealer.id,
          recordedBy: actorName(actor),
        } as Parameters<ServiceRecordsService['create']>[0]); // the service validates it
      }),
      assignComplaint: staffScope('dealers.service', async (args, { strapi, actor }) => {
        await withinReach(strapi, actor, String(args.number));
        return serviceRecords(strapi).advance({ number: String(args.number), step: 'assign', assignee: args.assignee, actor: actorName(actor), asManager: asManager(actor) });
      }),
      startComplaint: staffScope('dealers.service', async (args, { strapi, actor }) => {
        await withinReach(strapi, actor, String(args.number));
        return serviceRecords(strapi).advance({ number: String(args.number), step: 'start', actor: actorName(actor), asManager: asManager(actor) });
      }),
      replyToComplaint: staffScope('dealers.service', async (args, { strapi, actor }) => {
        await withinReach(strapi, actor, String(args.number));
        return serviceRecords(strapi).advance({ number: String(args.number), step: 'reply', note: args.reply, actor: actorName(actor), asManager: asManager(actor) });
      }),
      closeComplaint: staffScope('dealers.service', async (args, { strapi, actor }) => {
        await withinReach(strapi, actor, String(args.number));
        return serviceRecords(strapi).advance({ number: String(args.number), step: 'close', note: args.note ?? undefined, actor: actorName(actor), asManager: asManager(actor) });
      }),
      fileComplaint: dealerScope({ allowInactive: true }, async (args, { strapi, dealer, user }) => {
        const record = await serviceRecords(strapi).create({ kind: 'complaint', dealerId: dealer.id, channel: 'portal', subject: args.subject, content: args.content, recordedBy: user.email });
        return (await toDealerServiceRecords(strapi, dealer.id, [record]))[0];
      }),
      closeMyComplaint: dealerScope({ roles: ['owner'], allowInactive: true }, async (args, { strapi, dealer, user }) => {
        const record = await serviceRecords(strapi).advance({ number: String(args.number), step: 'close', note: args.note ?? undefined, actor: user.email, asManager: false, dealerId: dealer.id });
        return (await toDealerServiceRecords(strapi, dealer.id, [record]))[0];
      }),
    },
  },
};

/** A sales rep works on the records of dealers in their reach and on complaints assigned to them; anything else is NOT_FOUND. */
async function withinReach(strapi: Core.Strapi, actor: StaffActor, number: string): Promise<void> {
  const dealers = service(strapi, 'dealers', 'dealers');
  const ids: number[] | null = await dealers.reachableIds(actor);
  if (!ids) return;
  const record = await strapi.db.query('plugin::dealers.service-record').findOne({ where: { number } });
  if (!record || (!ids.includes(record.dealerId) && record.assignee !== actorName(actor))) throw notFound('Service record', number);
}
