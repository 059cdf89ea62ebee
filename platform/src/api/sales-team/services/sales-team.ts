import { factories } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, inTransaction, notFound, parseInput, platformRegistry } from '@channelflow/sdk';

const TEAM = 'api::sales-team.sales-team';
const USER = 'plugin::users-permissions.user';

export const saveTeamInput = z.object({
  code: z.string().trim().regex(/^[A-Z0-9-]{2,20}$/, 'codes are 2-20 upper-case letters, digits or dashes'),
  name: z.string().trim().min(2).max(100),
  regionCode: z.string().trim().min(1).max(20),
  /** Staff e-mail addresses; what is given replaces the members there were. */
  memberEmails: z.array(z.email().transform((e) => e.toLowerCase())).max(200).default([]),
  active: z.boolean().default(true),
});

export interface TeamMembership {
  code: string;
  name: string;
  regionCode: string | null;
}

/** A staff member's task groups: their role, their role in each region they serve, and each team. */
export function staffGroups(role: string, teams: TeamMembership[]): string[] {
  const groups = new Set([role]);
  for (const team of teams) {
    if (team.regionCode) groups.add(`${role}:${team.regionCode}`);
    groups.add(`team:${team.code}`);
  }
  return [...groups];
}

/**
 * Sales teams (销售团队): each serves one region. Membership is what routes a region's work
 * (application reviews, new dealers) to the right people, and what a team's dealers hang off.
 */
export default factories.createCoreService(TEAM as any, ({ strapi }) => ({
  async save(raw: z.input<typeof saveTeamInput>) {
    const input = parseInput(saveTeamInput, raw, 'sales team');
    return inTransaction(strapi, async () => {
      const region = await strapi.db.query('api::region.region').findOne({ where: { code: input.regionCode } });
      if (!region) throw notFound('Region', input.regionCode);
      const members = input.memberEmails.length
        ? await strapi.db.query(USER).findMany({ where: { email: { $in: input.memberEmails } }, populate: ['role'] })
        : [];
      const unknown = input.memberEmails.filter((email) => !members.some((m: any) => m.email === email && platformRegistry(strapi).isStaffRole(m.role?.type)));
      if (unknown.length) {
        throw new ChannelflowError('BAD_INPUT', `Not staff members: ${unknown.join(', ')}`, { issues: unknown.map((email) => ({ path: 'memberEmails', message: `${email} is not a staff member` })) });
      }
      const data = { name: input.name, region: region.id, members: members.map((m: any) => m.id), active: input.active };
      const existing = await strapi.db.query(TEAM).findOne({ where: { code: input.code } });
      const saved = existing
        ? await strapi.db.query(TEAM).update({ where: { id: existing.id }, data })
        : await strapi.db.query(TEAM).create({ data: { code: input.code, ...data } });
      return strapi.db.query(TEAM).findOne({ where: { id: saved.id }, populate: { region: true, members: { populate: ['role'] } } });
    });
  },

  async list(includeInactive = false) {
    return strapi.db.query(TEAM).findMany({
      where: includeInactive ? {} : { active: true },
      orderBy: { code: 'asc' },
      populate: { region: true, members: { populate: ['role'] } },
    });
  },

  /** The active teams a staff member belongs to. */
  async membershipOf(userId: number): Promise<TeamMembership[]> {
    const teams = await strapi.db.query(TEAM).findMany({ where: { active: true, members: { id: userId } }, populate: ['region'], orderBy: { code: 'asc' } });
    return teams.map((t: any) => ({ code: t.code, name: t.name, regionCode: t.region?.code ?? null }));
  },

  /** Unblocked staff of `role` in the active teams of `regionCode`, with the team each serves in. */
  async staffInRegion(regionCode: string, role: string): Promise<Array<{ id: number; email: string; username: string; teamCode: string }>> {
    const teams = await strapi.db.query(TEAM).findMany({
      where: { active: true, region: { code: regionCode } },
      orderBy: { code: 'asc' },
      populate: { members: { populate: ['role'] } },
    });
    const seen = new Set<number>();
    const staff: Array<{ id: number; email: string; username: string; teamCode: string }> = [];
    for (const team of teams) {
      for (const m of (team.members ?? []).sort((a: any, b: any) => a.id - b.id)) {
        if (m.blocked || m.role?.type !== role || seen.has(m.id)) continue;
        seen.add(m.id);
        staff.push({ id: m.id, email: m.email, username: m.username, teamCode: team.code });
      }
    }
    return staff;
  },
}));
