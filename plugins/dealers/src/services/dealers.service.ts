import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, conflict, inTransaction, isUniqueViolation, notFound, paginate, parseInput, withKnex, type DealerRef, type StaffActor, service } from '@channelflow/sdk';
import { creditCodeProblem } from './tax-id';

export const DEALER = 'plugin::dealers.dealer';
const PROFILE_CACHE_MS = 5_000;
export const STATUS_CHANGE = 'plugin::dealers.status-change';

export const DEALER_STATUSES = ['prospect', 'onboarding', 'active', 'suspended', 'blacklisted', 'terminated'] as const;
export type DealerStatus = (typeof DEALER_STATUSES)[number];

/**
 * Where a dealer may go from each status. Blacklisting and lifting it belong to the blacklist
 * (which records why and who may lift it); terminated is final.
 */
export const STATUS_TRANSITIONS: Record<DealerStatus, readonly DealerStatus[]> = {
  prospect: ['onboarding', 'terminated'],
  onboarding: ['active', 'terminated'],
  active: ['suspended', 'terminated'],
  suspended: ['active', 'terminated'],
  blacklisted: [],
  terminated: [],
};

/** Unified social credit code, normalised (upper case, no spaces) and checked. */
export const taxIdSchema = z
  .string()
  .transform((v) => v.replace(/\s+/g, '').toUpperCase())
  .superRefine((v, ctx) => {
    const problem = creditCodeProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const createDealerInput = z.object({
  code: z.string().trim().regex(/^[A-Z0-9-]{3,20}$/, 'codes are 3-20 upper-case letters, digits or dashes'),
  name: z.string().trim().min(2).max(200),
  taxId: taxIdSchema.optional(),
  /** A code from the admin-configured tiers and dealer types (checked in create). */
  tier: z.string().trim().min(1).max(31).default('bronze'),
  dealerType: z.string().trim().min(1).max(31).default('store'),
  status: z.enum(DEALER_STATUSES).default('active'),
  regionCode: z.string().optional(),
  parentCode: z.string().optional(),
  city: z.string().max(100).optional(),
});

export const dealerContact = z.object({
  name: z.string().trim().min(1).max(100),
  role: z.string().trim().max(100).optional(),
  email: z.email().optional(),
  phone: z.string().trim().regex(/^\+?[0-9 -]{6,20}$/, 'phone numbers are digits, spaces and dashes').optional(),
});

export const profileInput = z.object({
  dealerId: z.number().int().positive(),
  contacts: z.array(dealerContact).max(20).optional(),
  businessScale: z.string().trim().max(2000).optional(),
  needs: z.string().trim().max(2000).optional(),
});

export const dealerFilter = z.object({
  tier: z.string().max(31).optional(),
  status: z.enum(DEALER_STATUSES).optional(),
  regionCode: z.string().optional(),
  salesRep: z.string().trim().max(200).optional(),
  salesTeam: z.string().trim().max(20).optional(),
  search: z.string().trim().max(100).optional(),
});

/**
 * The dealers a staff member works with: null for all (managers, finance, directors, admins,
 * API tokens); a sales rep reaches the dealers assigned to them or to one of their sales teams.
 */
export type DealerReach = { salesRep: string; teams: string[] } | null;

export function reachWhere(reach: DealerReach): Record<string, unknown> | null {
  if (!reach) return null;
  return { $or: [{ salesRep: reach.salesRep }, ...(reach.teams.length ? [{ salesTeam: { $in: reach.teams } }] : [])] };
}

/** The reference other plug-ins and scopes use; the full record stays inside this plug-in. */
export const toDealerRef = (d: { id: number; documentId: string; code: string; name: string; lifecycleStatus: string }): DealerRef => ({
  id: d.id,
  documentId: d.documentId,
  code: d.code,
  name: d.name,
  status: d.lifecycleStatus,
});

export default ({ strapi }: { strapi: Core.Strapi }) => {
  // Dealer profiles are remembered for PROFILE_CACHE_MS; a change to a dealer on this instance forgets them (lifecycles).
  const profiles = new Map<number, { until: number; profile: CommercialProfile }>();

  /** One query: every order asks for the profile of its dealer. */
  async function loadCommercialProfile(id: number): Promise<CommercialProfile | null> {
    const link = joinTableOf(strapi, DEALER, 'region');
    const row: any = await withKnex(strapi, (knex) =>
      knex('dealers as d')
        .leftJoin(`${link.table} as l`, `l.${link.own}`, 'd.id')
        .leftJoin('regions as r', 'r.id', `l.${link.other}`)
        .where('d.id', id)
        .first('d.id', 'd.code', 'd.name', 'd.lifecycle_status', 'd.tier', 'd.sales_rep', 'd.sales_team', 'r.id as region_id', 'r.code as region_code'),
    );
    if (!row) return null;
    return {
      id: Number(row.id),
      code: row.code,
      name: row.name,
      status: row.lifecycle_status,
      tier: row.tier,
      regionId: row.region_id === null || row.region_id === undefined ? null : Number(row.region_id),
      regionCode: row.region_code ?? null,
      salesRep: row.sales_rep ?? null,
      salesTeam: row.sales_team ?? null,
    };
  }

  return {
    async create(raw: z.input<typeof createDealerInput>): Promise<DealerRef> {
      const input = parseInput(createDealerInput, raw, 'dealer');
      return inTransaction(strapi, async () => {
        const classifications = service(strapi, 'dealers', 'classifications');
        await classifications.requireTier(input.tier);
        await classifications.requireType(input.dealerType);
        const duplicate = () => conflict(`A dealer with code ${input.code} already exists`, { code: input.code });
        if (await strapi.db.query(DEALER).findOne({ where: { code: input.code } })) throw duplicate();
        const sameTaxId = input.taxId ? await strapi.db.query(DEALER).findOne({ where: { taxId: input.taxId } }) : null;
        if (sameTaxId) throw conflict(`Dealer ${sameTaxId.code} already has tax id ${input.taxId}`, { taxId: input.taxId, dealerCode: sameTaxId.code });
        const region = input.regionCode
          ? await strapi.db.query('api::region.region').findOne({ where: { code: input.regionCode } })
          : null;
        if (input.regionCode && !region) throw notFound('Region', input.regionCode);
        const parent = input.parentCode ? await strapi.db.query(DEALER).findOne({ where: { code: input.parentCode } }) : null;
        if (input.parentCode && !parent) throw notFound('Dealer', input.parentCode);
        const { regionCode: _r, parentCode: _p, status: lifecycleStatus, ...fields } = input;
        // The unique index settles a race the check above cannot see.
        const dealer = await strapi.db
          .query(DEALER)
          .create({ data: { ...fields, lifecycleStatus, region: region?.id ?? null, parent: parent?.id ?? null } })
          .catch((error: unknown) => {
            throw isUniqueViolation(error) ? conflict(`A dealer with code ${input.code} or tax id ${input.taxId ?? '-'} already exists`) : error;
          });
        await strapi.db.query(STATUS_CHANGE as any).create({ data: { dealerId: dealer.id, fromStatus: null, toStatus: dealer.lifecycleStatus, reason: 'created', actor: 'platform' } });
        return toDealerRef(dealer);
      });
    },

    async reachOf(actor: StaffActor): Promise<DealerReach> {
      if (actor.kind !== 'user' || actor.role !== 'sales-rep') return null;
      const teams = await strapi.service('api::sales-team.sales-team').membershipOf(actor.user.id);
      return { salesRep: actor.user.email, teams: teams.map((t: { code: string }) => t.code) };
    },

    /** A dealer by code as `actor` may see it; others' dealers are NOT_FOUND, as if they did not exist. */
    async visibleByCode(code: string, actor: StaffActor): Promise<DealerRef> {
      const scope = reachWhere(await this.reachOf(actor));
      const dealer = await strapi.db.query(DEALER).findOne({ where: scope ? { $and: [{ code }, scope] } : { code } });
      if (!dealer) throw notFound('Dealer', code);
      return toDealerRef(dealer);
    },

    /** Ids of the dealers `actor` reaches, for lists of other records (requests, service records); null for all. */
    async reachableIds(actor: StaffActor): Promise<number[] | null> {
      const scope = reachWhere(await this.reachOf(actor));
      if (!scope) return null;
      return (await strapi.db.query(DEALER).findMany({ where: scope, select: ['id'] })).map((d: { id: number }) => d.id);
    },

    async list(raw: unknown, page: number, pageSize: number, reach: DealerReach = null) {
      const filter = parseInput(dealerFilter, raw, 'dealer filter');
      const where: Record<string, unknown> = {};
      if (filter.tier) where.tier = filter.tier;
      if (filter.status) where.lifecycleStatus = filter.status;
      if (filter.regionCode) where.region = { code: filter.regionCode };
      if (filter.salesRep) where.salesRep = filter.salesRep;
      if (filter.salesTeam) where.salesTeam = filter.salesTeam;
      if (filter.search) where.$or = [{ name: { $containsi: filter.search } }, { code: { $containsi: filter.search } }, { taxId: { $containsi: filter.search } }];
      const scope = reachWhere(reach);
      return paginate(strapi, DEALER, { where: scope ? { $and: [where, scope] } : where, populate: ['region', 'parent'], orderBy: { code: 'asc' } }, { page, pageSize });
    },

    /**
     * Moves a dealer to another status along STATUS_TRANSITIONS and records who, when and why.
     * `via: 'blacklist'` is the blacklist's own way in and out of `blacklisted`.
     */
    async changeStatus(raw: { dealerId: number; to: DealerStatus; reason: string; actor: string; via?: 'blacklist' }) {
      const input = parseInput(
        z.object({ dealerId: z.number().int().positive(), to: z.enum(DEALER_STATUSES), reason: z.string().trim().min(3, 'say why').max(2000), actor: z.string().min(1).max(200), via: z.literal('blacklist').optional() }),
        raw,
        'status change',
      );
      return inTransaction(strapi, async () => {
        const dealer = await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } });
        if (!dealer) throw notFound('Dealer', input.dealerId);
        const from = dealer.lifecycleStatus as DealerStatus;
        const allowed = input.via === 'blacklist' ? (input.to === 'blacklisted' ? from !== 'terminated' && from !== 'blacklisted' : from === 'blacklisted') : STATUS_TRANSITIONS[from].includes(input.to);
        if (!allowed) {
          const hint = from === 'blacklisted' || input.to === 'blacklisted' ? ' (blacklisting and lifting go through the blacklist)' : '';
          throw new ChannelflowError('CONFLICT', `Dealer ${dealer.code} cannot go from ${from} to ${input.to}${hint}`, { from, to: input.to, allowed: STATUS_TRANSITIONS[from] });
        }
        // Only if nobody changed it meanwhile: the status read above is the one being left.
        const updated = await strapi.db.query(DEALER).updateMany({ where: { id: dealer.id, lifecycleStatus: from }, data: { lifecycleStatus: input.to } });
        if (!updated.count) throw conflict(`Dealer ${dealer.code} changed status meanwhile; look again`);
        await strapi.db.query(STATUS_CHANGE as any).create({ data: { dealerId: dealer.id, fromStatus: from, toStatus: input.to, reason: input.reason, actor: input.actor } });
        return toDealerRef({ ...dealer, lifecycleStatus: input.to });
      });
    },

    async statusHistory(dealerId: number) {
      return strapi.db.query(STATUS_CHANGE as any).findMany({ where: { dealerId }, orderBy: [{ id: 'asc' }] });
    },

    /** Contacts, business scale and needs: what the channel team knows about the dealer. */
    async updateProfile(raw: z.input<typeof profileInput>) {
      const input = parseInput(profileInput, raw, 'dealer profile');
      const dealer = await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } });
      if (!dealer) throw notFound('Dealer', input.dealerId);
      const { dealerId, ...changes } = input;
      return strapi.db.query(DEALER).update({ where: { id: dealerId }, data: changes, populate: ['region', 'parent', 'children'] });
    },

    /** For other plug-ins: a dealer by its code, or null. */
    async findByCode(code: string): Promise<DealerRef | null> {
      const dealer = await strapi.db.query(DEALER).findOne({ where: { code } });
      return dealer ? toDealerRef(dealer) : null;
    },

    /**
     * For other plug-ins: what prices, stock and reports need to know of a dealer (tier, region, who
     * follows it), or null. One query: every order asks it.
     */
    async commercialProfile(id: number): Promise<CommercialProfile | null> {
      const hit = profiles.get(id);
      if (hit && hit.until > Date.now()) return hit.profile;
      const profile = await loadCommercialProfile(id);
      if (profile) profiles.set(id, { until: Date.now() + PROFILE_CACHE_MS, profile });
      return profile;
    },

    /** Forgets remembered profiles (a dealer changed on this instance). */
    forgetProfiles() {
      profiles.clear();
    },

    async detail(id: number) {
      return strapi.db.query(DEALER).findOne({ where: { id }, populate: ['region', 'parent', 'children'] });
    },
  };
};

export interface CommercialProfile {
  id: number;
  code: string;
  name: string;
  status: string;
  tier: string;
  regionId: number | null;
  regionCode: string | null;
  salesRep: string | null;
  salesTeam: string | null;
}

/** The link table Strapi keeps for a relation, and its two columns. */
export function joinTableOf(strapi: Core.Strapi, uid: string, attribute: string): { table: string; own: string; other: string } {
  const joinTable = (strapi.db.metadata.get(uid as any).attributes as any)[attribute]?.joinTable;
  if (!joinTable) throw new Error(`${uid}.${attribute} is not a relation with a link table`);
  return { table: joinTable.name, own: joinTable.joinColumn.name, other: joinTable.inverseJoinColumn.name };
}
