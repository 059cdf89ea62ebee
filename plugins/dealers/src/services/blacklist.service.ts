import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, conflict, forbidden, inTransaction, notFound, parseInput, platformRegistry, service } from '@channelflow/sdk';
import { DEALER, taxIdSchema } from './dealers.service';

export const BLACKLIST = 'plugin::dealers.blacklist-entry';

const addInput = z
  .object({
    dealerId: z.number().int().positive().optional(),
    taxId: taxIdSchema.optional(),
    legalName: z.string().trim().min(2).max(200).optional(),
    reason: z.string().trim().min(5, 'say why in a few words').max(2000),
    /** Staff roles that may lift the entry; platform admins always may. */
    liftableBy: z.array(z.string().min(1).max(100)).min(1).default(['director']),
    actor: z.string().min(1).max(200),
  })
  .refine((e) => e.dealerId || e.taxId, { message: 'name a dealer or a tax id', path: ['dealerId'] })
  .refine((e) => e.dealerId || e.legalName, { message: 'a company that is not a dealer needs its legal name', path: ['legalName'] });

/**
 * The blacklist (黑名单): companies the brand stops selling to on credit, by dealer and/or tax id
 * (so a blacklisted company cannot come back through a new application). Blacklisting a dealer
 * moves it to `blacklisted`; lifting the entry moves it to `suspended`, for a manager to
 * reactivate deliberately.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const entries = () => strapi.db.query(BLACKLIST as any);
  const dealers = () => service(strapi, 'dealers', 'dealers');

  return {
    async add(raw: z.input<typeof addInput>, actorRole?: string) {
      const input = parseInput(addInput, raw, 'blacklist entry');
      const undeclared = input.liftableBy.filter((role) => !platformRegistry(strapi).isStaffRole(role));
      if (undeclared.length) {
        throw new ChannelflowError('BAD_INPUT', `Not staff roles: ${undeclared.join(', ')}`, { issues: undeclared.map((role) => ({ path: 'liftableBy', message: `${role} is not a staff role` })) });
      }
      // Whoever blacklists cannot reserve the lifting for themselves (directors and admins may).
      if (actorRole && !['director', 'platform-admin'].includes(actorRole) && input.liftableBy.includes(actorRole as never)) {
        throw new ChannelflowError('BAD_INPUT', `You cannot make ${actorRole} a role that may lift your own blacklisting; name director or platform-admin`, { issues: [{ path: 'liftableBy', message: 'own role' }] });
      }
      return inTransaction(strapi, async () => {
        // By tax id alone it still reaches the dealer holding that tax id.
        const dealer = input.dealerId
          ? await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } })
          : await strapi.db.query(DEALER).findOne({ where: { taxId: input.taxId } });
        if (input.dealerId && !dealer) throw notFound('Dealer', input.dealerId);
        const taxId = input.taxId ?? dealer?.taxId ?? null;
        const open = await this.activeFor({ dealerId: dealer?.id, taxId });
        if (open) throw conflict(`${dealer?.code ?? taxId} is already blacklisted (entry ${open.id})`, { entryId: open.id });
        const entry = await entries().create({
          data: { dealerId: dealer?.id ?? null, taxId, legalName: input.legalName ?? dealer.name, reason: input.reason, addedBy: input.actor, liftableBy: input.liftableBy },
        });
        if (dealer) await dealers().changeStatus({ dealerId: dealer.id, to: 'blacklisted', reason: input.reason, actor: input.actor, via: 'blacklist' });
        return entry;
      });
    },

    async lift(raw: { entryId: number; reason: string; actor: string; actorRole: string }) {
      const input = parseInput(z.object({ entryId: z.number().int().positive(), reason: z.string().trim().min(5, 'say why in a few words').max(2000), actor: z.string(), actorRole: z.string() }), raw, 'lifting');
      return inTransaction(strapi, async () => {
        const entry = await entries().findOne({ where: { id: input.entryId } });
        if (!entry) throw notFound('Blacklist entry', input.entryId);
        if (entry.liftedAt) throw conflict(`Blacklist entry ${entry.id} was already lifted by ${entry.liftedBy}`);
        const may: string[] = entry.liftableBy ?? [];
        if (input.actorRole !== 'platform-admin' && !may.includes(input.actorRole)) {
          throw forbidden(`Only ${may.join(' or ')} (or a platform admin) may lift this entry`);
        }
        const lifted = await entries().update({ where: { id: entry.id }, data: { liftedAt: new Date(), liftedBy: input.actor, liftReason: input.reason } });
        if (entry.dealerId) {
          const dealer = await strapi.db.query(DEALER).findOne({ where: { id: entry.dealerId } });
          if (dealer?.lifecycleStatus === 'blacklisted') {
            await dealers().changeStatus({ dealerId: dealer.id, to: 'suspended', reason: `blacklist lifted: ${input.reason}`, actor: input.actor, via: 'blacklist' });
          }
        }
        return lifted;
      });
    },

    /** The entry in force for a dealer or a tax id, if any (onboarding checks new applicants with it). */
    async activeFor({ dealerId, taxId }: { dealerId?: number | null; taxId?: string | null }) {
      const or = [...(dealerId ? [{ dealerId }] : []), ...(taxId ? [{ taxId }] : [])];
      if (!or.length) return null;
      return entries().findOne({ where: { liftedAt: { $null: true }, $or: or } });
    },

    async list(filter: { active?: boolean }, page: { page: number; pageSize: number }) {
      const where = filter.active === undefined ? {} : filter.active ? { liftedAt: { $null: true } } : { liftedAt: { $notNull: true } };
      const [nodes, total] = await Promise.all([
        entries().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        entries().count({ where }),
      ]);
      return { nodes, total, ...page };
    },
  };
};

export function assertNotBlacklisted(entry: { id: number; reason: string } | null, who: string): void {
  if (entry) throw new ChannelflowError('DEALER_BLOCKED', `${who} is on the blacklist: ${entry.reason}`, { blacklistEntryId: entry.id });
}
