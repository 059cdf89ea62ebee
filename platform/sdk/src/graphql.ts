import type { Core } from '@strapi/strapi';
import type { GraphQLResolveInfo } from 'graphql';
import { z } from 'zod';
import { badInputFromZod, ChannelflowError, forbidden, unauthenticated } from './errors';
import { DEALER_PORTAL_ROLE, platformRegistry, type StaffRole } from './registry';

export interface AuthenticatedUser {
  id: number;
  documentId: string;
  username: string;
  email: string;
  role: { id: number; type: string; name: string };
}

export type StaffActor =
  | { kind: 'user'; user: AuthenticatedUser; role: StaffRole }
  | { kind: 'api-token'; token: { id: number; name: string; type: string } };

export interface StaffContext {
  strapi: Core.Strapi;
  actor: StaffActor;
  info: GraphQLResolveInfo;
}

export const DEALER_ROLES = ['owner', 'buyer', 'finance', 'viewer'] as const;
export type DealerRole = (typeof DEALER_ROLES)[number];

export interface DealerRef {
  id: number;
  documentId: string;
  code: string;
  name: string;
  status: string;
}

export interface DealerContext {
  strapi: Core.Strapi;
  user: AuthenticatedUser;
  dealer: DealerRef;
  dealerRole: DealerRole;
  info: GraphQLResolveInfo;
}

export interface PublicContext {
  strapi: Core.Strapi;
  user: AuthenticatedUser | null;
  clientIp: string;
  info: GraphQLResolveInfo;
}

type Handler<C> = (args: any, ctx: C, parent: unknown) => unknown;

/**
 * A root Query/Mutation resolver together with who may call it. definePlugin refuses
 * root resolvers without a scope, so an operation cannot be public by accident.
 */
export type ScopedResolver =
  | { readonly scope: 'staff'; readonly permission: string; readonly resolve: Handler<StaffContext> }
  | { readonly scope: 'dealer'; readonly roles: readonly DealerRole[]; readonly allowInactive?: boolean; readonly resolve: Handler<DealerContext> }
  | { readonly scope: 'public'; readonly resolve: Handler<PublicContext> };

/** Staff users whose role holds `permission`, or an API token (read-only tokens: queries only). */
export function staffScope(permission: string, resolve: Handler<StaffContext>): ScopedResolver {
  return Object.freeze({ scope: 'staff' as const, permission, resolve });
}

/**
 * Portal users of a dealer. The dealer always comes from the authenticated user, never from an
 * argument, so one dealer can never address another's data. Mutations need an active dealer
 * (DEALER_BLOCKED otherwise) unless `allowInactive` says the operation is for any dealer.
 */
export function dealerScope(resolve: Handler<DealerContext>): ScopedResolver;
export function dealerScope(options: { roles?: readonly DealerRole[]; allowInactive?: boolean }, resolve: Handler<DealerContext>): ScopedResolver;
export function dealerScope(a: Handler<DealerContext> | { roles?: readonly DealerRole[]; allowInactive?: boolean }, b?: Handler<DealerContext>): ScopedResolver {
  const [options, resolve] = typeof a === 'function' ? [{}, a] : [a, b!];
  return Object.freeze({ scope: 'dealer' as const, roles: options.roles ?? DEALER_ROLES, allowInactive: options.allowInactive ?? false, resolve });
}

/** Anyone, signed in or not (e.g. a prospect's application). Validate and rate-limit inside. */
export function publicScope(resolve: Handler<PublicContext>): ScopedResolver {
  return Object.freeze({ scope: 'public' as const, resolve });
}

export function isScopedResolver(value: unknown): value is ScopedResolver {
  return typeof value === 'object' && value !== null && 'scope' in value && 'resolve' in value;
}

/** Page arguments every list query takes; 100 rows at most per page. */
export const pageArgs = z.object({
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(100, 'pageSize may be at most 100').default(25),
});

/** Page arguments from GraphQL, where an omitted or null argument takes the default. */
export function parsePage(args: { page?: number | null; pageSize?: number | null }): z.output<typeof pageArgs> {
  return parseArgs(pageArgs, { page: args.page, pageSize: args.pageSize });
}

export interface Page<T> {
  nodes: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** One page of `uid` plus the total, the shape every list query returns. */
export async function paginate<T = any>(
  strapi: Core.Strapi,
  uid: string,
  query: { where?: Record<string, unknown>; orderBy?: unknown; populate?: unknown },
  { page, pageSize }: { page: number; pageSize: number },
): Promise<Page<T>> {
  const repository = strapi.db.query(uid as any);
  const [nodes, total] = await Promise.all([
    repository.findMany({ ...query, offset: (page - 1) * pageSize, limit: pageSize } as any),
    repository.count({ where: query.where } as any),
  ]);
  return { nodes: nodes as T[], total, page, pageSize };
}

/** Validates GraphQL arguments with zod; failures become BAD_INPUT with per-field issues. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badInputFromZod(result.error, what);
  return result.data;
}

/**
 * Validates a resolver's GraphQL arguments. An explicit null counts as omitted (GraphQL clients
 * send null for unset variables), so zod defaults and optionals apply to both.
 */
export function parseArgs<S extends z.ZodType>(schema: S, args: Record<string, unknown> | null | undefined): z.output<S> {
  return parseInput(schema, presentArgs(args), 'arguments');
}

/** GraphQL arguments (or an input object) without those sent as null, for services that validate themselves. */
export function presentArgs<T extends Record<string, unknown>>(args: T | null | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(args ?? {}).filter(([, value]) => value !== null && value !== undefined)) as Partial<T>;
}

/**
 * Runs `work` with a knex that is the current transaction when there is one, else the pool.
 * For hand-written SQL on hot paths: `strapi.db.connection` alone does not join the transaction
 * Strapi's query engine is in, and on SQLite (one connection) it would wait for it forever.
 */
export async function withKnex<T>(strapi: Core.Strapi, work: (knex: any) => Promise<T>): Promise<T> {
  if (strapi.db.inTransaction()) return (await strapi.db.transaction(({ trx }) => work(trx))) as T;
  return work(strapi.db.connection);
}

/** "CNY 1,234.50" for error messages and notes (templates format money with the locale's helpers). */
export function formatMinor(amountMinor: number, currency: string): string {
  const sign = amountMinor < 0 ? '-' : '';
  const abs = Math.abs(amountMinor);
  return `${sign}${currency} ${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** How a staff actor is named in trails and ledgers: the user's e-mail, or `api-token:<name>`. */
export function actorName(actor: StaffActor): string {
  return actor.kind === 'user' ? actor.user.email : `api-token:${actor.token.name}`;
}

/** Runs `work` in one database transaction; Strapi's query engine joins it automatically. */
export async function inTransaction<T>(strapi: Core.Strapi, work: () => Promise<T>): Promise<T> {
  return (await strapi.db.transaction(() => work())) as T;
}

// Strapi 5 names the content API token strategy 'content-api-token' (older releases: 'api-token').
const API_TOKEN_STRATEGIES = ['content-api-token', 'api-token'];

interface GraphqlRequestContext {
  state: { user?: AuthenticatedUser & { role?: AuthenticatedUser['role'] }; auth?: { strategy?: { name: string }; credentials?: any } };
  koaContext?: { request?: { ip?: string } };
}

/** Turns a ScopedResolver into a plain GraphQL resolver bound to one Strapi instance. */
export function bindScopedResolver(strapi: Core.Strapi, field: string, scoped: ScopedResolver) {
  return async (parent: unknown, args: unknown, context: GraphqlRequestContext, info: GraphQLResolveInfo) => {
    const auth = context.state?.auth;
    const strategy = auth?.strategy?.name;
    switch (scoped.scope) {
      case 'public':
        return scoped.resolve(args, { strapi, info, user: await loadUser(strapi, context), clientIp: context.koaContext?.request?.ip ?? 'unknown' }, parent);
      case 'staff': {
        if (!strategy || !auth?.credentials) throw unauthenticated();
        if (API_TOKEN_STRATEGIES.includes(strategy)) {
          const token = auth.credentials as { id: number; name: string; type: string };
          const isQuery = info.operation.operation === 'query';
          if (token.type !== 'full-access' && !(token.type === 'read-only' && isQuery)) {
            throw forbidden(`API token "${token.name}" (${token.type}) may not call ${field}`);
          }
          return scoped.resolve(args, { strapi, info, actor: { kind: 'api-token', token } }, parent);
        }
        const user = await loadUser(strapi, context);
        if (!user) throw unauthenticated();
        const role = user.role.type;
        const registry = platformRegistry(strapi);
        if (!registry.isStaffRole(role)) throw forbidden(`${field} is for staff only`);
        if (!registry.roleHasPermission(role, scoped.permission)) {
          throw forbidden(`Your role (${user.role.name}) lacks the permission "${scoped.permission}" needed for ${field}`);
        }
        return scoped.resolve(args, { strapi, info, actor: { kind: 'user', user, role } }, parent);
      }
      case 'dealer': {
        const tenant = platformRegistry(strapi).tenant();
        const user = await loadUser(strapi, context);
        if (!user) throw unauthenticated();
        if (user.role.type !== DEALER_PORTAL_ROLE) throw forbidden(`${field} is for dealer portal users`);
        const membership = await tenant.resolveUser(strapi, user.id);
        if (!membership) throw forbidden('Your portal account is not linked to a dealer; ask your dealer owner to invite you again');
        if (!scoped.roles.includes(membership.role)) {
          throw forbidden(`${field} needs one of the dealer roles ${scoped.roles.join(', ')}; you are ${membership.role}`);
        }
        // A dealer that is not active reads its data but changes nothing, unless the operation allows it (e.g. a complaint).
        if (info.operation.operation === 'mutation' && membership.dealer.status !== 'active' && !scoped.allowInactive) {
          throw new ChannelflowError('DEALER_BLOCKED', `Your dealer account is ${membership.dealer.status}; contact your sales rep`, { status: membership.dealer.status });
        }
        return scoped.resolve(args, { strapi, info, user, dealer: membership.dealer, dealerRole: membership.role }, parent);
      }
    }
  };
}

async function loadUser(strapi: Core.Strapi, context: GraphqlRequestContext): Promise<AuthenticatedUser | null> {
  if (context.state?.auth?.strategy?.name !== 'users-permissions') return null;
  const user = context.state.user;
  if (!user) return null;
  if (user.role?.type) return user as AuthenticatedUser;
  // users-permissions puts the user on the state without its role; fetch it once per request.
  const withRole = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { id: user.id }, populate: ['role'] });
  if (!withRole?.role || withRole.blocked) return null;
  context.state.user = withRole;
  return withRole as AuthenticatedUser;
}
