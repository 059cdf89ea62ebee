import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, isUniqueViolation, conflict, parseInput } from '@channelflow/sdk';
import { toCents } from './credit.service';

export const DEALER_TIER = 'plugin::dealers.dealer-tier';
export const DEALER_TYPE = 'plugin::dealers.dealer-type';

/** What a new platform starts with; admins add, rename and retire tiers and types afterwards. */
export const DEFAULT_TIERS = [
  { code: 'gold', name: 'Gold', nameZh: '金牌', rank: 1, defaultCreditLimitCents: 500_000_000 },
  { code: 'silver', name: 'Silver', nameZh: '银牌', rank: 2, defaultCreditLimitCents: 200_000_000 },
  { code: 'bronze', name: 'Bronze', nameZh: '铜牌', rank: 3, defaultCreditLimitCents: 50_000_000 },
];
export const DEFAULT_TYPES = [
  { code: 'distributor', name: 'Distributor', nameZh: '经销商' },
  { code: 'sub-dealer', name: 'Sub-dealer', nameZh: '分销商' },
  { code: 'store', name: 'Store', nameZh: '门店' },
];

const code = z.string().trim().regex(/^[a-z][a-z0-9-]{1,30}$/, 'codes are 2-31 lower-case letters, digits or dashes');
const tierInput = z.object({
  code,
  name: z.string().trim().min(1).max(100),
  nameZh: z.string().trim().max(100).optional(),
  rank: z.number().int().min(0).max(1000),
  defaultCreditLimitCents: z.number().int().min(0).max(1e13),
  active: z.boolean().default(true),
});
const typeInput = z.object({ code, name: z.string().trim().min(1).max(100), nameZh: z.string().trim().max(100).optional(), active: z.boolean().default(true) });

/** Dealer tiers and dealer types: admin-configurable lists every dealer refers to by code. */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const tiers = () => strapi.db.query(DEALER_TIER as any);
  const types = () => strapi.db.query(DEALER_TYPE as any);

  const save = async (repository: any, data: { code: string }) => {
    const existing = await repository.findOne({ where: { code: data.code } });
    try {
      return existing ? await repository.update({ where: { id: existing.id }, data }) : await repository.create({ data });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`${data.code} was created meanwhile; save again`);
      throw error;
    }
  };

  return {
    /** On every start: an empty list gets the defaults, so a new platform can create dealers at once. */
    async ensureDefaults() {
      if (!(await tiers().count({}))) for (const t of DEFAULT_TIERS) await tiers().create({ data: t });
      if (!(await types().count({}))) for (const t of DEFAULT_TYPES) await types().create({ data: t });
    },

    async listTiers(includeInactive = false) {
      return (await tiers().findMany({ where: includeInactive ? {} : { active: true }, orderBy: [{ rank: 'asc' }, { code: 'asc' }] })).map(toTier);
    },

    async listTypes(includeInactive = false) {
      return (await types().findMany({ where: includeInactive ? {} : { active: true }, orderBy: [{ code: 'asc' }] })).map((t: any) => ({ ...t, nameZh: t.nameZh ?? null }));
    },

    /** The active tier `code`; BAD_INPUT naming the known ones otherwise. */
    async requireTier(tierCode: string) {
      const tier = await tiers().findOne({ where: { code: tierCode, active: true } });
      if (!tier) throw unknown('tier', tierCode, (await this.listTiers()).map((t) => t.code));
      return toTier(tier);
    },

    async requireType(typeCode: string) {
      const type = await types().findOne({ where: { code: typeCode, active: true } });
      if (!type) throw unknown('dealer type', typeCode, (await this.listTypes()).map((t: any) => t.code));
      return type;
    },

    /** The tier a dealer gets when nobody chose one: the last in rank. */
    async entryTier() {
      const [lowest] = (await this.listTiers()).slice(-1);
      if (!lowest) throw new ChannelflowError('CONFLICT', 'No active dealer tier is configured');
      return lowest;
    },

    async saveTier(raw: z.input<typeof tierInput>) {
      return toTier(await save(tiers(), parseInput(tierInput, raw, 'dealer tier')));
    },

    async saveType(raw: z.input<typeof typeInput>) {
      return save(types(), parseInput(typeInput, raw, 'dealer type'));
    },
  };
};

function toTier(t: any) {
  return { code: t.code, name: t.name, nameZh: t.nameZh ?? null, rank: t.rank, defaultCreditLimitCents: toCents(t.defaultCreditLimitCents), active: Boolean(t.active) };
}

function unknown(what: string, value: string, known: string[]) {
  return new ChannelflowError('BAD_INPUT', `There is no active ${what} "${value}" (known: ${known.join(', ') || 'none'})`, { issues: [{ path: what === 'tier' ? 'tier' : 'dealerType', message: `unknown ${what}` }] });
}
