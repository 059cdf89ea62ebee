import { z } from 'zod';
import { actorName, parseArgs, parsePage, staffListScope, staffScope, presentArgs, type GraphqlExtension, type StaffActor, service } from '@channelflow/sdk';
import type { ClassificationsService, CreditService } from '../contract';

type TierInput = Parameters<ClassificationsService['saveTier']>[0];
import type { Core } from '@strapi/strapi';
import { creditTypeDefs, longToNumber, toCreditEntry, toCreditLimitRequest, toCreditStatement, toCreditSummary } from './credit-types';
import { dealerResolvers, dealerTypeDefs } from './types';

const dealerCode = z.string().trim().min(1).max(20);

export const staffGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    ${dealerTypeDefs}
    ${creditTypeDefs}
    type DealerPage { nodes: [Dealer!]! total: Int! page: Int! pageSize: Int! }
    enum CreditPostKind { payment credit_note adjustment }
    type DealerStatusChange { fromStatus: DealerStatus toStatus: DealerStatus! reason: String! actor: String! at: String! }
    type BlacklistEntry {
      id: ID!
      dealerCode: String
      taxId: String
      legalName: String!
      reason: String!
      addedBy: String!
      addedAt: String!
      "Staff roles that may lift it (platform admins always may)."
      liftableBy: [String!]!
      liftedAt: String
      liftedBy: String
      liftReason: String
    }
    enum DealerApplicationStatus { in_review needs_info approved rejected expired }
    type DealerApplicationStep { at: String! by: String! action: String! note: String }
    enum DealerApplicationDocumentKind { business_license legal_representative_id bank_account_proof store_photo other }
    "A document the applicant uploaded with the application."
    type DealerApplicationDocument {
      id: ID!
      kind: DealerApplicationDocumentKind!
      "The file name the applicant gave."
      name: String!
      "The type recognised from the content: application/pdf, image/jpeg or image/png."
      mime: String!
      "Bytes."
      size: Int!
      "Where the file is (relative to the platform's address with the local upload provider; signed with a private one)."
      url: String
      createdAt: String!
    }
    type DealerApplication {
      number: ID!
      companyName: String!
      taxId: String!
      contactName: String!
      contactEmail: String!
      contactPhone: String
      regionCode: String!
      dealerType: String!
      annualVolume: Money!
      regionsWanted: [String!]!
      businessScale: String
      needs: String
      status: DealerApplicationStatus!
      infoQuestion: String
      infoAnswer: String
      decisionNote: String
      "The dealer created on approval."
      dealer: DealerSummary
      trail: [DealerApplicationStep!]!
      documents: [DealerApplicationDocument!]!
      processInstanceKey: ID
      createdAt: String
    }
    type DealerApplicationPage { nodes: [DealerApplication!]! total: Int! page: Int! pageSize: Int! }
    type BlacklistEntryPage { nodes: [BlacklistEntry!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: dealers, filtered by tier, status, region, sales rep (e-mail), sales team (code) or a search over name, code and tax id."
      dealers(tier: String, status: DealerStatus, regionCode: String, salesRep: String, salesTeam: String, search: String, page: Int, pageSize: Int): DealerPage!
      "Staff: the configured dealer tiers, by rank (includeInactive for retired ones too)."
      dealerTiers(includeInactive: Boolean): [DealerTierDefinition!]!
      "Staff: the configured dealer types."
      dealerTypes(includeInactive: Boolean): [DealerTypeDefinition!]!
      "Staff: one dealer with its parent distributor and sub-dealers."
      dealer(code: String!): Dealer!
      "Staff: a dealer's credit: limit, exposure, available, overdue and ageing."
      dealerCredit(dealerCode: String!): CreditSummary!
      "Staff: a dealer's credit ledger, newest first."
      dealerCreditLedger(dealerCode: String!, kind: CreditEntryKind, page: Int, pageSize: Int): CreditEntryPage!
      "Staff: a dealer's account statement for a period (dates as YYYY-MM-DD)."
      dealerStatement(dealerCode: String!, from: String!, to: String!): CreditStatement!
      "Staff: every status a dealer had, oldest first, with who changed it and why."
      dealerStatusHistory(dealerCode: String!): [DealerStatusChange!]!
      "Channel managers and directors: dealer applications, newest first."
      dealerApplications(status: DealerApplicationStatus, page: Int, pageSize: Int): DealerApplicationPage!
      "Channel managers and directors: one application with its review trail and documents."
      dealerApplication(number: ID!): DealerApplication!
      "Staff: the blacklist (active: true for entries in force, false for lifted ones)."
      blacklist(active: Boolean, page: Int, pageSize: Int): BlacklistEntryPage!
      "Staff: credit limit change requests, newest first."
      creditLimitRequests(dealerCode: String, status: CreditLimitRequestStatus, page: Int, pageSize: Int): CreditLimitRequestPage!
    }
    extend type Mutation {
      "Finance: book a payment, credit note or adjustment (signed) on a dealer's account. Replaying an idempotency key returns the first entry."
      postCreditEntry(dealerCode: String!, kind: CreditPostKind!, amountMinor: Long!, idempotencyKey: String!, reference: String, entryDate: String, note: String): CreditEntry!
      "Channel managers and sales reps: a dealer's contacts, business scale and needs (what is given replaces what was there)."
      updateDealerProfile(dealerCode: String!, contacts: [DealerContactInput!], businessScale: String, needs: String): Dealer!
      "Platform admins: add or change a dealer tier (set active: false to retire it; dealers keep theirs)."
      saveDealerTier(code: String!, name: String!, nameZh: String, rank: Int!, defaultCreditLimitMinor: Long!, active: Boolean): DealerTierDefinition!
      "Platform admins: add or change a dealer type."
      saveDealerType(code: String!, name: String!, nameZh: String, active: Boolean): DealerTypeDefinition!
      "Channel managers and directors: move a dealer to another status (prospect, onboarding, active, suspended, terminated); the reason is recorded."
      changeDealerStatus(dealerCode: String!, status: DealerStatus!, reason: String!): Dealer!
      "Put a dealer (or a company by tax id) on the blacklist; liftableBy names the roles that may lift it (default director)."
      blacklistDealer(dealerCode: String, taxId: String, legalName: String, reason: String!, liftableBy: [String!]): BlacklistEntry!
      "Lift a blacklist entry (roles it names, or a platform admin); a blacklisted dealer becomes suspended."
      liftBlacklistEntry(id: ID!, reason: String!): BlacklistEntry!
      "Sales reps, channel managers, finance: ask for a new limit for a dealer (temporaryUntil: ISO date-time for a temporary one). The dealers-credit-limit-change process decides."
      requestDealerCreditLimitChange(dealerCode: String!, limitMinor: Long!, temporaryUntil: String, reason: String!): CreditLimitRequest!
    }
  `,
  resolvers: {
    ...dealerResolvers,
    Query: {
      dealers: staffScope('dealers.read', async (args, { strapi, actor }) => {
        const filter = { tier: args.tier, status: args.status, regionCode: args.regionCode, salesRep: args.salesRep, salesTeam: args.salesTeam, search: args.search };
        const present = presentArgs(filter);
        const { page, pageSize } = parsePage(args);
        const dealers = service(strapi, 'dealers', 'dealers');
        return dealers.list(present, page, pageSize, await dealers.reachOf(actor));
      }),
      dealerTiers: staffScope('dealers.read', async (args, { strapi, actor }) =>
        (await service(strapi, 'dealers', 'classifications').listTiers(Boolean(args.includeInactive))).map(toTierDefinition),
      ),
      dealerTypes: staffScope('dealers.read', async (args, { strapi, actor }) => service(strapi, 'dealers', 'classifications').listTypes(Boolean(args.includeInactive))),
      dealer: staffScope('dealers.read', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.code);
        return service(strapi, 'dealers', 'dealers').detail(dealer.id);
      }),
      dealerCredit: staffScope('dealers.read-credit', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        return toCreditSummary(await service(strapi, 'dealers', 'credit').summary(dealer.id));
      }),
      dealerCreditLedger: staffScope('dealers.read-credit', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        const { kind } = parseArgs(z.object({ kind: z.enum(['reserve', 'release', 'invoice', 'payment', 'credit_note', 'adjustment']).optional() }), { kind: args.kind });
        const page = await service(strapi, 'dealers', 'credit').ledger(dealer.id, { kind }, parsePage(args));
        return { ...page, nodes: page.nodes.map(toCreditEntry) };
      }),
      dealerApplications: staffScope('dealers.read-applications', async (args, { strapi, actor }) => {
        const { status } = parseArgs(z.object({ status: z.enum(['in_review', 'needs_info', 'approved', 'rejected', 'expired']).optional() }), { status: args.status });
        const page = await service(strapi, 'dealers', 'applications').list({ status }, parsePage(args));
        return { ...page, nodes: await Promise.all(page.nodes.map((a: any) => toDealerApplication(strapi, a))) };
      }),
      dealerApplication: staffScope('dealers.read-applications', async (args, { strapi, actor }) => {
        const { number } = parseArgs(z.object({ number: z.string().min(1).max(50) }), { number: args.number });
        return toDealerApplication(strapi, await service(strapi, 'dealers', 'applications').byNumber(number));
      }),
      dealerStatusHistory: staffScope('dealers.read', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        const changes = await service(strapi, 'dealers', 'dealers').statusHistory(dealer.id);
        return changes.map((c: any) => ({ ...c, fromStatus: c.fromStatus ?? null, at: new Date(c.createdAt).toISOString() }));
      }),
      blacklist: staffScope('dealers.manage-blacklist', async (args, { strapi, actor }) => {
        const page = await service(strapi, 'dealers', 'blacklist').list({ active: args.active ?? undefined }, parsePage(args));
        return { ...page, nodes: await Promise.all(page.nodes.map((e: any) => toBlacklistEntry(strapi, e))) };
      }),
      creditLimitRequests: staffScope('dealers.read-credit', async (args, { strapi, actor }) => {
        const filter = parseArgs(z.object({ status: z.enum(['in_review', 'approved', 'rejected', 'expired']).optional() }), { status: args.status });
        const scope = await staffListScope(strapi, actor, args.dealerCode);
        const page = await service(strapi, 'dealers', 'credit-change').list({ ...scope, status: filter.status }, parsePage(args));
        return { ...page, nodes: page.nodes.map((r: any) => toCreditLimitRequest(r, strapi)) };
      }),
      dealerStatement: staffScope('dealers.read-credit', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        return toCreditStatement(await service(strapi, 'dealers', 'credit').statement(dealer.id, args.from, args.to), { strapi, dealer });
      }),
    },
    Mutation: {
      updateDealerProfile: staffScope('dealers.edit', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        const { dealerCode: _code, ...rest } = args;
        const contacts = rest.contacts?.map((c: Record<string, unknown>) => presentArgs(c));
        return service(strapi, 'dealers', 'dealers')
          .updateProfile({ ...presentArgs(rest), ...(contacts ? { contacts } : {}), dealerId: dealer.id });
      }),
      saveDealerTier: staffScope('dealers.configure', async (args, { strapi, actor }) => {
        const { defaultCreditLimitMinor, ...rest } = args;
        const tier = await service(strapi, 'dealers', 'classifications')
          .saveTier({ ...presentArgs(rest), defaultCreditLimitCents: longToNumber(defaultCreditLimitMinor) } as TierInput); // the service validates it
        return toTierDefinition(tier);
      }),
      saveDealerType: staffScope('dealers.configure', async (args, { strapi, actor }) =>
        service(strapi, 'dealers', 'classifications').saveType(presentArgs(args) as Parameters<ClassificationsService['saveType']>[0]),
      ),
      changeDealerStatus: staffScope('dealers.manage-status', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        await service(strapi, 'dealers', 'dealers').changeStatus({ dealerId: dealer.id, to: args.status, reason: args.reason, actor: actorName(actor) });
        return service(strapi, 'dealers', 'dealers').detail(dealer.id);
      }),
      blacklistDealer: staffScope('dealers.manage-blacklist', async (args, { strapi, actor }) => {
        const dealer = args.dealerCode ? await dealerByCode({ strapi, actor }, args.dealerCode) : null;
        const entry = await service(strapi, 'dealers', 'blacklist').add({
          dealerId: dealer?.id,
          taxId: args.taxId ?? undefined,
          legalName: args.legalName ?? undefined,
          reason: args.reason,
          liftableBy: args.liftableBy ?? undefined,
          actor: actorName(actor),
        }, actor.kind === 'user' ? actor.role : 'api-token');
        return toBlacklistEntry(strapi, entry);
      }),
      liftBlacklistEntry: staffScope('dealers.manage-blacklist', async (args, { strapi, actor }) => {
        const { id } = parseArgs(z.object({ id: z.coerce.number().int().positive() }), { id: args.id });
        const entry = await service(strapi, 'dealers', 'blacklist').lift({
          entryId: id,
          reason: args.reason,
          actor: actorName(actor),
          // API tokens hold no lifting role: lifting is a person's decision.
          actorRole: actor.kind === 'user' ? actor.role : 'api-token',
        });
        return toBlacklistEntry(strapi, entry);
      }),
      requestDealerCreditLimitChange: staffScope('dealers.request-credit-change', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        const request = await service(strapi, 'dealers', 'credit-change').request({
          dealerId: dealer.id,
          limitCents: longToNumber(args.limitMinor),
          temporaryUntil: args.temporaryUntil ?? undefined,
          reason: args.reason,
          requestedBy: actorName(actor),
          requestedVia: 'staff',
        });
        return toCreditLimitRequest(request);
      }),
      postCreditEntry: staffScope('dealers.post-credit', async (args, { strapi, actor }) => {
        const dealer = await dealerByCode({ strapi, actor }, args.dealerCode);
        const { amountMinor, dealerCode: _code, ...rest } = args;
        const entry = await service(strapi, 'dealers', 'credit')
          .post({
            ...presentArgs(rest),
            dealerId: dealer.id,
            amountCents: longToNumber(amountMinor),
            actor: actorName(actor),
          } as Parameters<CreditService['post']>[0]); // the service validates it
        return toCreditEntry(entry);
      }),
    },
  },
};

/** The dealer a staff operation names, if this staff member may work with it (sales reps: their own and their teams'). */
async function dealerByCode({ strapi, actor }: { strapi: Core.Strapi; actor: StaffActor }, raw: unknown) {
  const code = parseArgs(z.object({ dealerCode }), { dealerCode: raw }).dealerCode;
  return service(strapi, 'dealers', 'dealers').visibleByCode(code, actor);
}

async function toBlacklistEntry(strapi: Core.Strapi, e: any) {
  const dealer = e.dealerId ? await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: e.dealerId } }) : null;
  return {
    ...e,
    dealerCode: dealer?.code ?? null,
    addedAt: new Date(e.createdAt).toISOString(),
    liftedAt: e.liftedAt ? new Date(e.liftedAt).toISOString() : null,
  };
}

async function toDealerApplication(strapi: Core.Strapi, a: any) {
  const dealer = a.dealerId ? await strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: a.dealerId } }) : null;
  return {
    ...a,
    annualVolume: { amountMinor: a.annualVolumeCents, currency: a.currency },
    dealer: dealer ? { documentId: dealer.documentId, code: dealer.code, name: dealer.name } : null,
    documents: await service(strapi, 'dealers', 'application-documents').forApplication(a.id),
  };
}

function toTierDefinition(t: any) {
  return { ...t, defaultCreditLimit: { amountMinor: t.defaultCreditLimitCents, currency: 'CNY' } };
}
