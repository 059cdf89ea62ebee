/**
 * Every 404 gets a stable code and names what was asked for, instead of Strapi's bare
 * "Not Found". (Strapi's static-file route matches every GET, so "no route" and "no such
 * thing" cannot be told apart here; the method and path are true for both.)
 */
export default () => async (ctx: any, next: () => Promise<void>) => {
  await next();
  const error = ctx.body?.error;
  if (ctx.status === 404 && error?.name === 'NotFoundError' && !error.code) {
    ctx.body = { ...ctx.body, error: { ...error, code: 'NOT_FOUND', message: `${error.message}: ${ctx.method} ${ctx.path}` } };
  }
};
