import type { Core } from '@strapi/strapi';
import { DEALER_PORTAL_ROLE } from '@channelflow/sdk';

/** users-permissions roles the platform relies on; created once, never renamed (their `type` is the key). */
export const PLATFORM_ROLES = [
  { type: 'platform-admin', name: 'Platform admin', description: 'Configures the platform: processes, templates, tiers, users' },
  { type: 'channel-manager', name: 'Channel manager', description: 'Owns dealers of a region; reviews applications' },
  { type: 'sales-rep', name: 'Sales rep', description: 'Follows up assigned dealers' },
  { type: 'finance', name: 'Finance', description: 'Credit limits, payments, receivables, rebate settlement' },
  { type: DEALER_PORTAL_ROLE, name: 'Dealer portal user', description: 'A dealer\'s staff in the self-service portal' },
] as const;

export async function ensureRoles(strapi: Core.Strapi): Promise<void> {
  const roles = strapi.db.query('plugin::users-permissions.role');
  for (const role of PLATFORM_ROLES) {
    const existing = await roles.findOne({ where: { type: role.type } });
    if (!existing) await roles.create({ data: role });
  }
}
