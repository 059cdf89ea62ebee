import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { conflict, DEALER_ROLES, inTransaction, isUniqueViolation, notFound, parseInput, type DealerRef, type DealerRole } from '@channelflow/sdk';
import { DEALER, toDealerRef } from './dealers.service';

const PORTAL_USER = 'plugin::dealers.portal-user';

const linkInput = z.object({
  userId: z.number().int().positive(),
  dealerId: z.number().int().positive(),
  role: z.enum(DEALER_ROLES),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  /** Binds a portal account to one dealer; an account can never belong to two dealers. */
  async link(raw: z.input<typeof linkInput>) {
    const input = parseInput(linkInput, raw, 'portal user link');
    return inTransaction(strapi, async () => {
      const existing = await strapi.db.query(PORTAL_USER).findOne({ where: { userId: input.userId }, populate: ['dealer'] });
      if (existing) throw conflict(`This portal account already belongs to dealer ${existing.dealer?.code}`);
      const dealer = await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } });
      if (!dealer) throw notFound('Dealer', input.dealerId);
      // userId is unique in the database: two concurrent invitations cannot both succeed.
      return strapi.db
        .query(PORTAL_USER)
        .create({ data: { user: input.userId, userId: input.userId, dealer: dealer.id, role: input.role } })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? conflict('This portal account already belongs to a dealer') : error;
        });
    });
  },

  /** The dealer a portal account acts for, or null when it is not linked. */
  async dealerOf(userId: number): Promise<{ dealer: DealerRef; role: DealerRole } | null> {
    const link = await strapi.db.query(PORTAL_USER).findOne({ where: { userId }, populate: ['dealer'] });
    if (!link?.dealer) return null;
    return { dealer: toDealerRef(link.dealer), role: link.role };
  },

  async usersOf(dealerId: number) {
    const links = await strapi.db.query(PORTAL_USER).findMany({ where: { dealer: dealerId }, populate: ['user'], orderBy: { id: 'asc' } });
    return links.map((l: any) => ({ email: l.user?.email, username: l.user?.username, role: l.role }));
  },

  /** A few seeded owner logins for the start-up banner. */
  async demoLogins(limit: number) {
    const links = await strapi.db.query(PORTAL_USER).findMany({
      where: { role: 'owner' },
      populate: ['user', 'dealer'],
      orderBy: { id: 'asc' },
      limit,
    });
    return links.map((l: any) => ({ email: l.user?.email, dealer: `${l.dealer?.code} ${l.dealer?.name}`, role: l.role }));
  },
});
