import type { Core } from '@strapi/strapi';
import { DEALER_PORTAL_ROLE, platformRegistry, type KnownStaffRole, type RoleDefinition } from '@channelflow/sdk';

/** The platform's staff roles, declared like any plug-in's (the platform registers them as plug-in "platform"). */
export const PLATFORM_STAFF_ROLES: Array<RoleDefinition & { type: KnownStaffRole }> = [
  { type: 'platform-admin', name: 'Platform admin', description: 'Configures the platform: processes, templates, tiers, users' },
  { type: 'channel-manager', name: 'Channel manager', description: 'Owns dealers of a region; reviews applications' },
  { type: 'sales-rep', name: 'Sales rep', description: 'Follows up assigned dealers' },
  { type: 'finance', name: 'Finance', description: 'Credit limits, payments, receivables, rebate settlement' },
  { type: 'director', name: 'Director', description: 'Approves what exceeds finance\'s authority, such as large credit limits' },
];

const DEALER_PORTAL: RoleDefinition = { type: DEALER_PORTAL_ROLE, name: 'Dealer portal user', description: 'A dealer\'s staff in the self-service portal' };

const PERMISSION = 'plugin::users-permissions.permission';

/**
 * Creates every declared staff role and the portal role once, by `type`; an existing role keeps
 * the name and permissions an admin gave it.
 */
export async function ensureRoles(strapi: Core.Strapi): Promise<void> {
  const roles = strapi.db.query('plugin::users-permissions.role');
  // Every signed-in person may manage their own account (me, changePassword, sessions, logout):
  // the actions users-permissions grants its own "authenticated" role.
  const authenticated = await roles.findOne({ where: { type: 'authenticated' }, populate: ['permissions'] });
  const accountActions: string[] = (authenticated?.permissions ?? []).map((p: { action: string }) => p.action);
  const declared = platformRegistry(strapi).listRoles().map(({ type, name, description }) => ({ type, name, description: description ?? '' }));
  for (const role of [...declared, DEALER_PORTAL]) {
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
