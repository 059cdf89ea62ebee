import { rm } from 'node:fs/promises';
import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { isChannelflowError } from './errors';

export interface HttpContext {
  strapi: Core.Strapi;
  clientIp: string;
}

/**
 * A plug-in's own HTTP endpoint, for what GraphQL does not carry (multipart uploads, webhooks).
 * Mounted under `/api/<plug-in name>`; `scope: 'public'` means anyone, so validate and
 * `rateLimit` inside, as with publicScope. Throw ChannelflowError for refusals; the handler's
 * return value (or `ctx.body`) is the response.
 */
export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: `/${string}`;
  scope: 'public';
  handler: (ctx: Context, context: HttpContext) => unknown;
}

/**
 * The request body exactly as it arrived (for signature checks such as webhook HMACs, which a
 * re-serialised JSON body would break); '' when there was none. The platform's body parser keeps it.
 */
export function rawBody(ctx: Context): string {
  const body = (ctx.request as { body?: unknown }).body;
  if (body && typeof body === 'object') {
    const raw = (body as Record<symbol, unknown>)[Symbol.for('unparsedBody')];
    if (typeof raw === 'string') return raw;
    if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  }
  return typeof body === 'string' ? body : '';
}

interface StrapiRoute {
  method: HttpRoute['method'];
  path: string;
  handler: string;
  config: { auth: false; policies: [] };
}

export type HttpControllers = Record<string, (ctx: { strapi: Core.Strapi }) => Record<string, (ctx: Context) => Promise<void>>>;
export type HttpRouters = Record<string, { type: 'content-api'; routes: StrapiRoute[] }>;

/** The HTTP status each shared error code answers with; other business refusals are 422. */
const STATUS: Record<string, number> = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  DEALER_BLOCKED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_FILE_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  NOT_SUPPORTED: 501,
  WORKFLOW_UNAVAILABLE: 503,
  PDF_UNAVAILABLE: 503,
};

const httpStatusFor = (code: string): number => STATUS[code] ?? 422;

const CONTROLLER = 'http';

/** Strapi content-api routes and one controller (`http`) whose actions run the handlers. */
export function toStrapiHttp(plugin: string, routes: HttpRoute[]): { routes: HttpRouters; controllers: HttpControllers } {
  if (!routes.length) return { routes: {}, controllers: {} };
  const actions = new Map<string, HttpRoute>();
  for (const route of routes) {
    if (route.scope !== 'public') throw new Error(`${plugin}: ${route.method} ${route.path} has an unknown scope "${route.scope}"`);
    const action = actionName(route);
    if (actions.has(action)) throw new Error(`${plugin}: ${route.method} ${route.path} is defined twice`);
    actions.set(action, route);
  }
  return {
    routes: {
      'content-api': {
        type: 'content-api',
        // Our scope decides who may call; Strapi's users-permissions check would refuse everyone.
        routes: [...actions].map(([action, r]) => ({ method: r.method, path: r.path, handler: `${CONTROLLER}.${action}`, config: { auth: false, policies: [] } })),
      },
    },
    controllers: {
      [CONTROLLER]: ({ strapi }) =>
        Object.fromEntries([...actions].map(([action, route]) => [action, (ctx: Context) => runHandler(strapi, route, ctx)])),
    },
  };
}

async function runHandler(strapi: Core.Strapi, route: HttpRoute, ctx: Context): Promise<void> {
  try {
    const result = await route.handler(ctx, { strapi, clientIp: ctx.request.ip ?? 'unknown' });
    if (ctx.body === undefined && result !== undefined) ctx.body = result;
  } catch (error) {
    answerError(strapi, ctx, error);
  } finally {
    await removeUploadedFiles(ctx);
  }
}

/** `{ error: { code, message, details } }` with the code's status; anything unexpected is logged and answered 500. */
function answerError(strapi: Core.Strapi, ctx: Context, error: unknown): void {
  ctx.type = 'application/json';
  if (isChannelflowError(error)) {
    ctx.status = httpStatusFor(error.code);
    const retryAfter = error.details?.retryAfterSeconds;
    if (error.code === 'RATE_LIMITED' && typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
    ctx.body = { error: { code: error.code, message: error.message, details: error.details ?? null } };
    return;
  }
  strapi.log.error(`${ctx.method} ${ctx.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  ctx.status = 500;
  ctx.body = { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong on our side; the error has been logged.', details: null } };
}

/** Strapi's body middleware deletes only the temporary files of a field named `files`; these are all of them. */
async function removeUploadedFiles(ctx: Context): Promise<void> {
  const files = (ctx.request as { files?: Record<string, unknown> }).files;
  if (!files) return;
  const paths = Object.values(files)
    .flat()
    .map((f) => (f as { filepath?: string } | null)?.filepath)
    .filter((p): p is string => typeof p === 'string');
  await Promise.all(paths.map((p) => rm(p, { force: true }).catch(() => undefined)));
}

/** `POST /application-documents` → `postApplicationDocuments` (the action's name in Strapi's permission lists). */
function actionName(route: HttpRoute): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return route.method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
