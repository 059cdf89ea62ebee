import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';

export interface AdminBootstrap {
  email: string;
  /** Only when the password was generated now: it is shown this once and stored nowhere. */
  generatedPassword: string | null;
  created: boolean;
}

/** The first /admin super admin: from ADMIN_EMAIL/ADMIN_PASSWORD, or generated and printed once. */
export async function ensureAdminUser(strapi: Core.Strapi): Promise<AdminBootstrap> {
  const email = process.env.ADMIN_EMAIL || 'admin@channelflow.local';
  const users = strapi.service('admin::user');
  if (await users.exists()) return { email, generatedPassword: null, created: false };
  const generated = process.env.ADMIN_PASSWORD ? null : `Cf-${randomBytes(9).toString('base64url')}1a`;
  const superAdmin = await strapi.service('admin::role').getSuperAdmin();
  if (!superAdmin) throw new Error('the Strapi super admin role is missing');
  await users.create({
    email,
    firstname: 'Platform',
    lastname: 'Admin',
    password: process.env.ADMIN_PASSWORD ?? generated,
    isActive: true,
    registrationToken: null,
    roles: [superAdmin.id],
  });
  return { email, generatedPassword: generated, created: true };
}
