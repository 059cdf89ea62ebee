import type { Core } from '@strapi/strapi';
import { DEALER_PORTAL_ROLE } from '@channelflow/sdk';

/** users-permissions roles the platform relies on; created once, never renamed (their `type` is the key). */
export const PLATFORM_ROLES = [
  { type: 'platform-admin', name: 'Platform admin', description: 'Configures the platform: processes, templates, tiers, users' },
  { type: 'channel-manager', name: 'Channel manager', description: 'Owns dealers of a region; reviews applications' },
  { type: 'sales-rep', name: 'Sales rep', description: 'Follows up assigned dealers' },
  { type: 'finance', name: 'Finance', description: 'Credit limits, payments, receivables, rebate settlement' },
  { type: 'director', name: 'Director', description: 'Approves what exceeds finance\'s authority, such as large credit limits' },
  { type: DEALER_PORTAL_ROLE, name: 'Dealer portal user', description: 'A dealer\'s staff in the self-service portal' },
] as const;

const PERMISSION = 'plugin::users-permissions.permission';

export async function ensureRoles(strapi: Core.Strapi): Promise<void> {
  const roles = strapi.db.query('plugin::users-permissions.role');
  // Every signed-in person may manage their own account (me, changePassword, sessions, logout):
  // the actions users-permissions grants its own "authenticated" role.
  const authenticated = await roles.findOne({ where: { type: 'authenticated' }, populate: ['permissions'] });
  const accountActions: string[] = (authenticated?.permissions ?? []).map((p: { action: string }) => p.action);
  for (const role of PLATFORM_ROLES) {
    if (await roles.findOne({ where: { type: role.type } })) continue;
    const created = await roles.create({ data: role });
    for (const action of accountActions) await strapi.db.query(PERMISSION).create({ data: { action, role: created.id } });
  }
}

/**
 * Portal accounts come from invitations, never from self-registration. Applied on the first
 * start only, so an admin who deliberately re-opens registration in the admin panel keeps it.
 */
export async function closeSelfRegistrationOnce(strapi: Core.Strapi): Promise<void> {
  const marker = strapi.store({ type: 'core', name: 'channelflow' });
  if (await marker.get({ key: 'registration-closed' })) return;
  const settings = strapi.store({ type: 'plugin', name: 'users-permissions' });
  const advanced = ((await settings.get({ key: 'advanced' })) ?? {}) as Record<string, unknown>;
  await settings.set({ key: 'advanced', value: { ...advanced, allow_register: false } });
  await marker.set({ key: 'registration-closed', value: true });
}
