import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { conflict, inTransaction, isUniqueViolation, notFound, paginate, parseInput, type DealerRef } from '@channelflow/sdk';

export const DEALER = 'plugin::dealers.dealer';

export const createDealerInput = z.object({
  code: z.string().trim().regex(/^[A-Z0-9-]{3,20}$/, 'codes are 3-20 upper-case letters, digits or dashes'),
  name: z.string().trim().min(2).max(200),
  tier: z.enum(['gold', 'silver', 'bronze']).default('bronze'),
  dealerType: z.enum(['distributor', 'sub-dealer', 'store']).default('store'),
  status: z.enum(['prospect', 'onboarding', 'active', 'suspended', 'blacklisted', 'terminated']).default('active'),
  regionCode: z.string().optional(),
  parentCode: z.string().optional(),
  city: z.string().max(100).optional(),
});

export const dealerFilter = z.object({
  tier: z.enum(['gold', 'silver', 'bronze']).optional(),
  status: z.enum(['prospect', 'onboarding', 'active', 'suspended', 'blacklisted', 'terminated']).optional(),
  regionCode: z.string().optional(),
  search: z.string().trim().max(100).optional(),
});

/** The reference other plug-ins and scopes use; the full record stays inside this plug-in. */
export const toDealerRef = (d: { id: number; documentId: string; code: string; name: string; status: string }): DealerRef => ({
  id: d.id,
  documentId: d.documentId,
  code: d.code,
  name: d.name,
  status: d.status,
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async create(raw: z.input<typeof createDealerInput>): Promise<DealerRef> {
    const input = parseInput(createDealerInput, raw, 'dealer');
    return inTransaction(strapi, async () => {
      const duplicate = () => conflict(`A dealer with code ${input.code} already exists`, { code: input.code });
      if (await strapi.db.query(DEALER).findOne({ where: { code: input.code } })) throw duplicate();
      const region = input.regionCode
        ? await strapi.db.query('api::region.region').findOne({ where: { code: input.regionCode } })
        : null;
      if (input.regionCode && !region) throw notFound('Region', input.regionCode);
      const parent = input.parentCode ? await strapi.db.query(DEALER).findOne({ where: { code: input.parentCode } }) : null;
      if (input.parentCode && !parent) throw notFound('Dealer', input.parentCode);
      const { regionCode: _r, parentCode: _p, ...fields } = input;
      // The unique index settles a race the check above cannot see.
      const dealer = await strapi.db
        .query(DEALER)
        .create({ data: { ...fields, region: region?.id ?? null, parent: parent?.id ?? null } })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? duplicate() : error;
        });
      return toDealerRef(dealer);
    });
  },

  async list(raw: unknown, page: number, pageSize: number) {
    const filter = parseInput(dealerFilter, raw, 'dealer filter');
    const where: Record<string, unknown> = {};
    if (filter.tier) where.tier = filter.tier;
    if (filter.status) where.status = filter.status;
    if (filter.regionCode) where.region = { code: filter.regionCode };
    if (filter.search) where.$or = [{ name: { $containsi: filter.search } }, { code: { $containsi: filter.search } }];
    return paginate(strapi, DEALER, { where, populate: ['region', 'parent'], orderBy: { code: 'asc' } }, { page, pageSize });
  },

  /** For other plug-ins: a dealer by its code, or null. */
  async findByCode(code: string): Promise<DealerRef | null> {
    const dealer = await strapi.db.query(DEALER).findOne({ where: { code } });
    return dealer ? toDealerRef(dealer) : null;
  },

  async detail(id: number) {
    return strapi.db.query(DEALER).findOne({ where: { id }, populate: ['region', 'parent', 'children'] });
  },
});
