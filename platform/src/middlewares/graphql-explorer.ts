import type { Core } from '@strapi/strapi';
import { EXPLORER_ASSETS_PATH, explorerAsset } from '../graphql/explorer';

/**
 * The development GraphQL explorer's files (GraphiQL, React, its start script) under /graphql/explorer/.
 * In production the explorer does not exist, and neither do these paths.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  const production = process.env.NODE_ENV === 'production';
  const endpoint = String(strapi.plugin('graphql')?.config('endpoint') ?? '/graphql');
  const cache = new Map<string, ReturnType<typeof explorerAsset>>();
  return async (ctx: any, next: () => Promise<void>) => {
    if (production || ctx.method !== 'GET' || !ctx.path.startsWith(`${EXPLORER_ASSETS_PATH}/`)) return next();
    const name = ctx.path.slice(EXPLORER_ASSETS_PATH.length + 1);
    if (!cache.has(name)) cache.set(name, explorerAsset(name, endpoint));
    const asset = cache.get(name);
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
};
