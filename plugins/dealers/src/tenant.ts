import type { TenantProvider } from '@channelflow/sdk';

/** Dealers are the platform's tenant: dealer-scoped operations and the test helpers reach them through this. */
export const dealersTenant: TenantProvider = {
  resolveUser: (strapi, userId) => strapi.plugin('dealers').service('portal-users').dealerOf(userId),
  linkUser: (strapi, input) => strapi.plugin('dealers').service('portal-users').link(input),
  createTenant: (strapi, attributes) => strapi.plugin('dealers').service('dealers').create(attributes),
};
