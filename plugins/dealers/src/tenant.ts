import { service, type TenantProvider } from '@channelflow/sdk';

/** Dealers are the platform's tenant: dealer-scoped operations, staff lists and the test helpers reach them through this. */
export const dealersTenant: TenantProvider = {
  resolveUser: (strapi, userId) => service(strapi, 'dealers', 'portal-users').dealerOf(userId),
  linkUser: (strapi, input) => service(strapi, 'dealers', 'portal-users').link(input),
  createTenant: (strapi, attributes) => service(strapi, 'dealers', 'dealers').create(attributes),
  visibleByCode: (strapi, code, actor) => service(strapi, 'dealers', 'dealers').visibleByCode(code, actor),
  reachableIds: (strapi, actor) => service(strapi, 'dealers', 'dealers').reachableIds(actor),
  demoLogins: (strapi, limit) => service(strapi, 'dealers', 'portal-users').demoLogins(limit),
};
