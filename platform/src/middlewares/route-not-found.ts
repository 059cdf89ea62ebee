import type { Core } from '@strapi/strapi';

/**
 * Every 404 gets a stable code and names what was asked for, instead of Strapi's bare
 * "Not Found". (Strapi's static-file route matches every GET, so "no route" and "no such
 * thing" cannot be told apart here; the method and path are true for both.)
 *
 * That same catch-all GET route makes the router answer any other method on a path that has
 * no route with 405 "Method Not Allowed", as if the path existed (POST /api/dealers, PUT /api/anything):
 * when nothing but catch-all routes matches the path, the answer is the 404 it really is.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  let catchAll: Set<unknown> | null = null;
  const onlyCatchAllMatches = (path: string, method: string): boolean => {
    const router = (strapi.server as unknown as { router?: KoaRouter }).router;
    if (!router?.match) return false;
    // Whatever matches a path nobody defines is a catch-all (the static-file routes).
    catchAll ??= new Set(router.match('/channelflow-route-probe/no/such/path', 'GET').path);
    return !router.match(path, method).path.some((layer) => layer.methods.length > 0 && !catchAll!.has(layer));
  };

  return async (ctx: any, next: () => Promise<void>) => {
    await next();
    if (ctx.status === 405 && onlyCatchAllMatches(ctx.path, ctx.method)) {
      ctx.remove('Allow');
      ctx.status = 404;
      ctx.body = { data: null, error: { status: 404, name: 'NotFoundError', message: 'Not Found', details: {} } };
    }
    const error = ctx.body?.error;
    if (ctx.status === 404 && error?.name === 'NotFoundError' && !error.code) {
      ctx.body = { ...ctx.body, error: { ...error, code: 'NOT_FOUND', message: `${error.message}: ${ctx.method} ${ctx.path}` } };
    }
  };
};

interface KoaRouter {
  match(path: string, method: string): { path: Array<{ methods: string[] }> };
}
