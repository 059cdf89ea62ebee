import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { conflict, DEALER_ROLES, inTransaction, isUniqueViolation, notFound, parseInput, withKnex, type DealerRef, type DealerRole } from '@channelflow/sdk';
import { DEALER, joinTableOf, toDealerRef } from './dealers.service';

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
  /** The dealer a portal user belongs to, and their role there; one query, as every dealer request asks it. */
  async dealerOf(userId: number): Promise<{ dealer: DealerRef; role: DealerRole } | null> {
    const link = joinTableOf(strapi, PORTAL_USER, 'dealer');
    const row: any = await withKnex(strapi, (knex) =>
      knex('dealer_portal_users as p')
        .join(`${link.table} as l`, `l.${link.own}`, 'p.id')
        .join('dealers as d', 'd.id', `l.${link.other}`)
        .where('p.user_id', userId)
        .first('p.role', 'd.id', 'd.document_id', 'd.code', 'd.name', 'd.lifecycle_status'),
    );
    if (!row) return null;
    return { dealer: toDealerRef({ id: Number(row.id), documentId: row.document_id, code: row.code, name: row.name, lifecycleStatus: row.lifecycle_status }), role: row.role };
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
