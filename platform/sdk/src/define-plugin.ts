import type { Core } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import type { JobDefinition } from './define-job';
import type { ZodType } from 'zod';
import { declareEvents, type EventHandler } from './outbox';
import type { PluginOptions } from './options';
import { bindScopedResolver, isScopedResolver, type ScopedResolver } from './graphql';
import { toStrapiHttp, type HttpControllers, type HttpRoute, type HttpRouters } from './http';
import { platformRegistry, type MigrationDefinition, type PluginManifest, type RoleDefinition, type SeedContext, type StaffRole, type TenantProvider } from './registry';

export interface GraphqlExtension {
  typeDefs: string;
  /** Root fields (Query, Mutation) must be staffScope / dealerScope / publicScope; other types are plain resolvers. */
  resolvers: Record<string, Record<string, ScopedResolver | ((...args: any[]) => unknown)>>;
}

export interface ContentTypeDefinition {
  schema: Record<string, unknown>;
  /** Strapi lifecycles (`afterCreate`, `beforeUpdate`, …); each also gets the Strapi instance. */
  lifecycles?: Record<string, (event: any, strapi: Core.Strapi) => unknown>;
  /**
   * What the admin panel may not write because a service owns it: `fields: 'all'` for a ledger (no create,
   * edit or delete), or the fields it shows read-only (balances, limits; such rows are not created or deleted
   * there either). `use` says which operation makes the change instead: the refusal's message ends with it.
   */
  adminReadOnly?: AdminReadOnly;
}

export interface AdminReadOnly {
  fields: 'all' | readonly string[];
  use: string;
}

// `object`, not Record<string, unknown>: a service typed by an interface (a contract) has no index signature.
type ServiceFactory = (ctx: { strapi: Core.Strapi }) => object;
type Lifecycle = (ctx: { strapi: Core.Strapi }) => void | Promise<void>;

export interface PluginDefinition {
  /** Short domain name, also the Strapi plug-in name: `dealers` → `plugin::dealers.*`. */
  name: string;
  /** Plug-ins this one calls (their typed services, their events): booted and seeded first; a missing one stops the start. */
  requires?: string[];
  /** Settings (defineOptions): set from `<PLUG_IN>_<FIELD>` environment variables, validated at start. */
  options?: PluginOptions<any>;
  contentTypes?: Record<string, ContentTypeDefinition>;
  services?: Record<string, ServiceFactory>;
  jobs?: JobDefinition<any, any>[];
  graphql?: GraphqlExtension | ((ctx: { strapi: Core.Strapi }) => GraphqlExtension);
  /** HTTP endpoints under `/api/<name>` (uploads, webhooks); prefer GraphQL for everything else. */
  http?: HttpRoute[];
  templates?: { dir?: string; names: string[] };
  permissions?: Record<string, readonly StaffRole[]>;
  /** Staff roles this plug-in adds to the platform's five; permissions anywhere may grant to them. */
  roles?: RoleDefinition[];
  /** Schema changes (indexes, constraints) run once per database, in order, after Strapi's schema sync. */
  migrations?: MigrationDefinition[];
  /** Makes this plug-in the tenant (dealers) every dealer-scoped operation resolves; one plug-in at most. */
  tenant?: TenantProvider;
  seed?: (ctx: SeedContext) => Promise<void>;
  /** Demo processes (open applications, requests, tasks), started once the workflow runtime runs after seeding. */
  seedProcesses?: (ctx: SeedContext) => Promise<void>;
  seedAfter?: string[];
  /** Domain events this plug-in emits (`<name>.<event>`), each with its payload schema. */
  events?: Record<string, ZodType>;
  /** Handlers for domain events (this or another plug-in's), run after the emitting commit, once per event. */
  on?: Record<string, EventHandler>;
  register?: Lifecycle;
  bootstrap?: Lifecycle;
  destroy?: Lifecycle;
}

/** The Strapi server-side plug-in object this returns is what `strapi-server.js` exports. */
export interface StrapiPluginServer {
  register: Lifecycle;
  bootstrap: Lifecycle;
  destroy: Lifecycle;
  config: { default: Record<string, unknown>; validator: (config?: Record<string, unknown>) => void };
  contentTypes: Record<string, ContentTypeDefinition>;
  services: Record<string, ServiceFactory>;
  controllers: HttpControllers;
  routes: HttpRouters;
  policies: Record<string, never>;
  middlewares: Record<string, never>;
  /** The plug-in's defineOptions (non-enumerable, so Strapi ignores it): how tools such as the README's configuration table read its settings. */
  readonly options?: PluginOptions<any>;
}

const ROOT_TYPES = ['Query', 'Mutation'];

/** One extension from several files (e.g. graphql/staff.ts and graphql/dealer.ts). */
export function mergeGraphql(...extensions: GraphqlExtension[]): GraphqlExtension {
  const resolvers: GraphqlExtension['resolvers'] = {};
  for (const ext of extensions) {
    for (const [typeName, fields] of Object.entries(ext.resolvers)) {
      for (const field of Object.keys(fields)) {
        if (resolvers[typeName]?.[field]) throw new Error(`GraphQL resolver ${typeName}.${field} is defined twice`);
      }
      resolvers[typeName] = { ...resolvers[typeName], ...fields };
    }
  }
  return { typeDefs: extensions.map((e) => e.typeDefs).join('\n'), resolvers };
}

export function definePlugin(definition: PluginDefinition): StrapiPluginServer {
  const { name } = definition;
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`plug-in name "${name}" must be kebab-case`);
  if (definition.options && definition.options.plugin !== name) {
    throw new Error(`plug-in "${name}" uses the options defined for "${definition.options.plugin}"`);
  }
  // Strapi calls lifecycles with the event only; they get the instance this plug-in was registered with.
  let registeredWith: Core.Strapi | undefined;
  const contentTypes = Object.fromEntries(
    Object.entries(definition.contentTypes ?? {}).map(([key, ct]) => [
      key,
      ct.lifecycles
        ? { ...ct, lifecycles: Object.fromEntries(Object.entries(ct.lifecycles).map(([event, fn]) => [event, (e: unknown) => fn(e, registeredWith as Core.Strapi)])) }
        : ct,
    ]),
  );
  const http = toStrapiHttp(name, definition.http ?? []);
  const requires = definition.requires ?? [];

  const server: StrapiPluginServer = {
    async register({ strapi }) {
      registeredWith = strapi;
      for (const dependency of requires) {
        if (!strapi.plugin(dependency)) {
          throw new Error(`plug-in "${name}" requires plug-in "${dependency}", which is not installed (put it under plugins/ or in CHANNELFLOW_EXTRA_PLUGIN_DIRS)`);
        }
      }
      const manifest: PluginManifest = {
        name,
        requires,
        jobs: definition.jobs ?? [],
        templatesDir: definition.templates?.dir,
        templates: definition.templates?.names ?? [],
        permissions: definition.permissions ?? {},
        roles: definition.roles ?? [],
        migrations: definition.migrations ?? [],
        tenant: definition.tenant,
        seed: definition.seed,
        seedProcesses: definition.seedProcesses,
        seedAfter: [...new Set([...requires, ...(definition.seedAfter ?? [])])],
        bootstrap: definition.bootstrap,
        adminReadOnly: Object.fromEntries(
          Object.entries(definition.contentTypes ?? {})
            .filter(([, ct]) => ct.adminReadOnly)
            .map(([key, ct]) => [`plugin::${name}.${key}`, ct.adminReadOnly!]),
        ),
      };
      platformRegistry(strapi).addPlugin(manifest);
      declareEvents(strapi, name, definition.events, definition.on);
      extendGraphql(strapi, name, definition.graphql, Object.keys(contentTypes).map((ct) => `plugin::${name}.${ct}`));
      await definition.register?.({ strapi });
    },
    async bootstrap({ strapi }) {
      // The first plug-in Strapi bootstraps boots them all, each after the plug-ins it requires.
      await platformRegistry(strapi).bootstrapPlugins(strapi);
    },
    async destroy({ strapi }) {
      await definition.destroy?.({ strapi });
    },
    config: {
      default: {},
      validator: (config: Record<string, unknown> = {}) => {
        if (definition.options) definition.options.parse(config);
      },
    },
    contentTypes,
    services: definition.services ?? {},
    controllers: http.controllers,
    routes: http.routes,
    policies: {},
    middlewares: {},
  };
  Object.defineProperty(server, 'options', { value: definition.options, enumerable: false });
  return server;
}

/**
 * Adds an owner's typeDefs and scoped resolvers to the GraphQL schema and hides the generic
 * CRUD of its content types: domain data is reached only through validated operations.
 */
export function extendGraphql(
  strapi: Core.Strapi,
  owner: string,
  graphql: PluginDefinition['graphql'],
  contentTypeUids: string[] = [],
): void {
  const extension = strapi.plugin('graphql')?.service('extension');
  if (!extension) return;
  for (const uid of contentTypeUids) extension.shadowCRUD(uid).disable();
  if (!graphql) return;

  extension.use(() => {
    const ext = typeof graphql === 'function' ? graphql({ strapi }) : graphql;
    const resolvers: Record<string, Record<string, unknown>> = {};
    const resolversConfig: Record<string, { auth: false }> = {};
    for (const [typeName, fields] of Object.entries(ext.resolvers)) {
      resolvers[typeName] = {};
      for (const [field, resolver] of Object.entries(fields)) {
        const path = `${typeName}.${field}`;
        if (ROOT_TYPES.includes(typeName)) {
          if (!isScopedResolver(resolver)) {
            throw new Error(`${owner}: ${path} must be wrapped in staffScope, dealerScope or publicScope`);
          }
          resolvers[typeName]![field] = bindScopedResolver(strapi, path, resolver);
          // Our scopes authenticate and authorise; Strapi's generic check would answer FORBIDDEN for everything.
          resolversConfig[path] = { auth: false };
        } else {
          resolvers[typeName]![field] = resolver;
        }
      }
    }
    return { typeDefs: ext.typeDefs, resolvers, resolversConfig };
  });
}

const CHANGE_EVENTS = ['afterCreate', 'afterCreateMany', 'afterUpdate', 'afterUpdateMany', 'afterDelete', 'afterDeleteMany'] as const;

/** Content-type lifecycles that call `react` after any write (e.g. to forget what a service remembers). */
export function afterAnyChange(react: (strapi: Core.Strapi) => void): Record<string, (event: unknown, strapi: Core.Strapi) => void> {
  return Object.fromEntries(CHANGE_EVENTS.map((event) => [event, (_event: unknown, strapi: Core.Strapi) => react(strapi)]));
}

/**
 * Content-type lifecycles that refuse every update and delete: for ledgers (credit entries, stock
 * movements, tracking events), where a correction is a new entry, also in the admin panel.
 */
export function appendOnly(what: string): Record<string, () => never> {
  const refuse = (): never => {
    // Strapi's ApplicationError: the admin panel shows this message instead of "Internal Server Error".
    throw new errors.ApplicationError(`${what} cannot be changed or deleted; book a correcting entry instead`);
  };
  return { beforeUpdate: refuse, beforeUpdateMany: refuse, beforeDelete: refuse, beforeDeleteMany: refuse };
}
