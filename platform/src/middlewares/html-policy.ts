import type { Core } from '@strapi/strapi';
import { PRINTABLE_PAGE_CSP } from '@channelflow/sdk';

/**
 * HTML the platform serves outside the admin panel (a plug-in's page, a printable statement, an uploaded .html file
 * under /uploads, any page added later) gets the printable-page policy: no script at all. The admin panel keeps
 * strapi::security's policy, and so does the GraphQL playground, which Strapi serves with its own exceptions.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  const adminPath = String(strapi.config.get('admin.path', '/admin'));
  const graphqlPath = String(strapi.plugin('graphql')?.config('endpoint') ?? '/graphql');
  const keepsPolicy = (path: string) => [adminPath, graphqlPath].some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (ctx.response.is('html') && !keepsPolicy(ctx.path)) ctx.set('Content-Security-Policy', PRINTABLE_PAGE_CSP);
  };
};
