import type { Core } from '@strapi/strapi';

const CODES: Record<number, string> = {
  400: 'BAD_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_INPUT',
  413: 'BAD_INPUT',
  429: 'RATE_LIMITED',
};

/**
 * Failures raised before Apollo runs (a bad or expired token, an oversized body) would
 * otherwise answer in Strapi's REST shape; GraphQL clients get GraphQL errors with a code.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  const endpoint = strapi.config.get('plugin::graphql.endpoint', '/graphql') as string;
  const asGraphql = (ctx: any, status: number, message: string) => {
    ctx.status = status;
    ctx.type = 'application/json';
    ctx.body = { data: null, errors: [{ message, extensions: { code: CODES[status] ?? 'BAD_INPUT' } }] };
  };
  const messageFor = (status: number, fallback: string) =>
    status === 401 ? 'Missing, invalid or expired credentials: sign in again' : fallback;

  return async (ctx: any, next: () => Promise<void>) => {
    if (ctx.path !== endpoint) return next();
    try {
      await next();
    } catch (error: any) {
      const status: number = error?.status ?? error?.statusCode ?? 500;
      if (status >= 500) throw error;
      asGraphql(ctx, status, messageFor(status, error?.message ?? 'Bad request'));
      return;
    }
    // Strapi's ctx.unauthorized() and friends answer in the REST shape without throwing.
    const body = ctx.body;
    if (ctx.status >= 400 && ctx.status < 500 && body && typeof body === 'object' && 'error' in body && !('errors' in body)) {
      asGraphql(ctx, ctx.status, messageFor(ctx.status, body.error?.message ?? 'Bad request'));
    }
  };
};
