import type { Workflows } from './workflows';
import type { Core } from '@strapi/strapi';
import type { JobDefinition, JobInfo, JobLogger } from './define-job';
import { ChannelflowError, issuesFromZod, summarizeIssues } from './errors';
import type { TemplateRenderer } from './templates';
import type { PdfPrinter } from './printable';
import type { DealerRef, DealerRole, StaffActor } from './graphql';
import type { AdminReadOnly } from './define-plugin';

/** The platform's own staff roles (users-permissions role `type`s); plug-ins declare more with `roles`. */
export const KNOWN_STAFF_ROLES = ['platform-admin', 'channel-manager', 'sales-rep', 'finance', 'director'] as const;
export type KnownStaffRole = (typeof KNOWN_STAFF_ROLES)[number];
/** A staff role type: the platform's five as suggestions, or any role a plug-in declares. */
export type StaffRole = KnownStaffRole | (string & {});
/**
 * @deprecated The platform's five roles only, not those plug-ins declare: ask
 * `platformRegistry(strapi).isStaffRole(type)` / `.staffRoles()` instead.
 */
export const STAFF_ROLES = KNOWN_STAFF_ROLES;
export const DEALER_PORTAL_ROLE = 'dealer';
/** users-permissions' own roles and the portal role: never staff, so no plug-in may declare them. */
const RESERVED_ROLES = ['authenticated', 'public', DEALER_PORTAL_ROLE];

/** A staff role a plug-in declares; the platform creates it once (by `type`) and never renames it. */
export interface RoleDefinition {
  type: string;
  name: string;
  description?: string;
}

/**
 * A schema change the platform runs once per database, after Strapi's schema sync (so the
 * plug-in's tables exist), in its own transaction, recorded in `channelflow_migrations`.
 * `up` gets that transaction: use it, not strapi.db.connection (SQLite has one connection).
 */
export interface MigrationDefinition {
  /** Unique within the plug-in, e.g. `001-credit-entry-indexes`; never rename a migration that shipped. */
  name: string;
  up: (knex: Core.Strapi['db']['connection']) => PromiseLike<unknown>;
  /**
   * Runs before the schema sync instead, for changes the sync would otherwise get wrong: it drops a
   * column whose attribute was renamed (and its data) and adds an empty one. On a new database the
   * tables do not exist yet, so such a migration checks before it changes anything (see {@link renameColumns}).
   */
  beforeSync?: boolean;
}

/**
 * The migration that keeps the data of renamed attributes: each `table.from` column becomes `to`, before
 * the schema sync. A table without the old column (a new database, or one renamed already) is left alone.
 */
export function renameColumns(name: string, renames: ReadonlyArray<{ table: string; from: string; to: string }>): MigrationDefinition {
  return {
    name,
    beforeSync: true,
    up: async (knex) => {
      for (const { table, from, to } of renames) {
        if (!(await knex.schema.hasTable(table)) || !(await knex.schema.hasColumn(table, from)) || (await knex.schema.hasColumn(table, to))) continue;
        // Both SQLite (3.25+) and PostgreSQL rename in place, and the indexes that name the column follow it.
        await knex.raw('alter table ?? rename column ?? to ??', [table, from, to]);
      }
    },
  };
}

/** Who a portal user is in the tenant (the dealer they act for, and as what). */
export interface TenantMembership {
  dealer: DealerRef;
  role: DealerRole;
}

/**
 * The tenant contract: how dealer-scoped operations and the test helpers reach dealers. Exactly
 * one plug-in provides it (`definePlugin({ tenant })`); the dealers plug-in does.
 */
export interface TenantProvider {
  /** The dealer a portal user acts for, or null when the account is linked to none. */
  resolveUser(strapi: Core.Strapi, userId: number): Promise<TenantMembership | null>;
  linkUser(strapi: Core.Strapi, input: { userId: number; dealerId: number; role: DealerRole }): Promise<unknown>;
  createTenant(strapi: Core.Strapi, attributes: { code: string; name: string }): Promise<DealerRef>;
  /** The dealer with `code` if `actor` may work with it (a sales rep: their own and their teams'); NOT_FOUND otherwise. */
  visibleByCode(strapi: Core.Strapi, code: string, actor: StaffActor): Promise<DealerRef>;
  /** Ids of the dealers `actor` reaches, for lists of other records; null for all. */
  reachableIds(strapi: Core.Strapi, actor: StaffActor): Promise<number[] | null>;
  /** Up to `limit` demo portal logins for the start banner (none without demo data). */
  demoLogins(strapi: Core.Strapi, limit: number): Promise<DemoLogin[]>;
}

/** A portal login the start banner shows. */
export interface DemoLogin {
  email: string;
  /** Code and name of the dealer. */
  dealer: string;
  role: string;
}

export interface SeedContext {
  strapi: Core.Strapi;
  /** Deterministic PRNG in [0, 1): the same seed gives the same demo data on every machine. */
  random: () => number;
  /** The password every demo login gets (DEMO_PASSWORD, printed at start). */
  demoPassword: string;
  log: JobLogger;
}

export interface PluginManifest {
  name: string;
  /** Content-type UID → what the admin panel may not write there (definePlugin's `adminReadOnly`). */
  adminReadOnly?: Readonly<Record<string, AdminReadOnly>>;
  /** Plug-ins this one needs: booted (and seeded) before it. */
  requires?: readonly string[];
  jobs: JobDefinition[];
  /** Directory with this plug-in's default templates (`<domain>/<name>.<locale>.hbs`). */
  templatesDir?: string;
  templates: string[];
  /** permission name → staff roles granted it by default (declared by this or another plug-in). */
  permissions: Record<string, readonly StaffRole[]>;
  /** Staff roles this plug-in declares. */
  roles?: readonly RoleDefinition[];
  /** Run in order, once per database, after schema sync (before it, those marked `beforeSync`). */
  migrations?: readonly MigrationDefinition[];
  tenant?: TenantProvider;
  seed?: (ctx: SeedContext) => Promise<void>;
  /** Runs once after the seeding start's workflow runtime is up: demo data that needs processes (open requests, tasks). */
  seedProcesses?: (ctx: SeedContext) => Promise<void>;
  /** Plug-ins whose seed must run before this one's. */
  seedAfter: string[];
  bootstrap?: (ctx: { strapi: Core.Strapi }) => void | Promise<void>;
}

export interface WorkflowRuntimeInfo {
  mode: 'embedded' | 'zeebe';
  /** grpc://host:port of the embedded Zeebe gateway; null in Zeebe mode. */
  gatewayAddress: string | null;
}

export interface RunJobContext {
  strapi: Core.Strapi;
  job: Omit<JobInfo, 'type'>;
  log: JobLogger;
}

/**
 * Everything the platform learns from plug-ins at register time. One per Strapi instance
 * (kept in Strapi's container), so two instances in one process never share state.
 */
export class PlatformRegistry {
  private readonly plugins = new Map<string, PluginManifest>();
  private readonly jobs = new Map<string, { plugin: string; job: JobDefinition }>();
  private readonly permissions = new Map<string, { plugin: string; roles: readonly StaffRole[] }>();
  private readonly roles = new Map<string, { plugin: string; role: RoleDefinition }>();
  private tenantProvider: { plugin: string; provider: TenantProvider } | undefined;
  private templateRenderer: TemplateRenderer | undefined;
  private printer: PdfPrinter | undefined;
  private workflow: WorkflowRuntimeInfo | undefined;
  private workflowProcesses: Workflows | undefined;

  addPlugin(manifest: PluginManifest): void {
    if (this.plugins.has(manifest.name)) throw new Error(`plug-in "${manifest.name}" is registered twice`);
    const types = new Set<string>();
    for (const job of manifest.jobs) {
      if (types.has(job.type)) throw new Error(`plug-in "${manifest.name}" defines job type "${job.type}" twice`);
      types.add(job.type);
      // Prefixing with the (unique) plug-in name is what keeps job types unique across plug-ins.
      if (!job.type.startsWith(`${manifest.name}.`)) {
        throw new Error(`job type "${job.type}" of plug-in "${manifest.name}" must start with "${manifest.name}."`);
      }
    }
    for (const permission of Object.keys(manifest.permissions)) {
      if (!permission.startsWith(`${manifest.name}.`)) {
        throw new Error(`permission "${permission}" of plug-in "${manifest.name}" must start with "${manifest.name}."`);
      }
    }
    for (const role of manifest.roles ?? []) {
      if (!/^[a-z][a-z0-9-]*$/.test(role.type)) throw new Error(`staff role "${role.type}" of plug-in "${manifest.name}" must be kebab-case`);
      if (RESERVED_ROLES.includes(role.type)) throw new Error(`plug-in "${manifest.name}" may not declare "${role.type}" as a staff role`);
      const owner = this.roles.get(role.type)?.plugin;
      if (owner) throw new Error(`staff role "${role.type}" is declared by both "${owner}" and "${manifest.name}"`);
    }
    const migrationNames = new Set<string>();
    for (const migration of manifest.migrations ?? []) {
      if (!migration.name?.trim()) throw new Error(`plug-in "${manifest.name}" has a migration without a name`);
      if (migrationNames.has(migration.name)) throw new Error(`plug-in "${manifest.name}" defines migration "${migration.name}" twice`);
      migrationNames.add(migration.name);
    }
    if (manifest.tenant && this.tenantProvider) {
      throw new Error(`plug-ins "${this.tenantProvider.plugin}" and "${manifest.name}" both provide the tenant; exactly one may`);
    }
    this.plugins.set(manifest.name, manifest);
    for (const role of manifest.roles ?? []) this.roles.set(role.type, { plugin: manifest.name, role });
    if (manifest.tenant) this.tenantProvider = { plugin: manifest.name, provider: manifest.tenant };
    for (const job of manifest.jobs) this.jobs.set(job.type, { plugin: manifest.name, job });
    for (const [permission, roles] of Object.entries(manifest.permissions)) {
      this.permissions.set(permission, { plugin: manifest.name, roles });
    }
  }

  /**
   * Every plug-in in an order where each comes after the plug-ins it requires (otherwise in
   * registration order); a cycle stops the start naming it.
   */
  bootOrder(): PluginManifest[] {
    const ordered: PluginManifest[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (manifest: PluginManifest, path: string[]) => {
      if (state.get(manifest.name) === 'done') return;
      if (state.get(manifest.name) === 'visiting') throw new Error(`plug-ins require each other in a cycle: ${[...path, manifest.name].join(' → ')}`);
      state.set(manifest.name, 'visiting');
      for (const dependency of manifest.requires ?? []) {
        const required = this.plugins.get(dependency);
        if (!required) throw new Error(`plug-in "${manifest.name}" requires plug-in "${dependency}", which is not a Channelflow plug-in`);
        visit(required, [...path, manifest.name]);
      }
      state.set(manifest.name, 'done');
      ordered.push(manifest);
    };
    for (const manifest of this.plugins.values()) visit(manifest, []);
    return ordered;
  }

  private booting: Promise<void> | undefined;

  /** Runs every plug-in's bootstrap once, in boot order (the first plug-in bootstrap Strapi calls does it). */
  bootstrapPlugins(strapi: Core.Strapi): Promise<void> {
    this.booting ??= (async () => {
      for (const manifest of this.bootOrder()) await manifest.bootstrap?.({ strapi });
    })();
    return this.booting;
  }

  plugin(name: string): PluginManifest | undefined {
    return this.plugins.get(name);
  }

  listPlugins(): PluginManifest[] {
    return [...this.plugins.values()];
  }

  job(type: string): JobDefinition | undefined {
    return this.jobs.get(type)?.job;
  }

  listJobs(): Array<{ plugin: string; job: JobDefinition }> {
    return [...this.jobs.values()];
  }

  /**
   * Every permission grant must name a declared staff role. Roles may come from any plug-in, so
   * the platform checks once all have registered; a typo stops the start instead of granting nothing.
   */
  checkPermissionRoles(): void {
    const problems: string[] = [];
    for (const [permission, { plugin, roles }] of this.permissions) {
      const unknown = roles.filter((r) => !this.roles.has(r));
      if (unknown.length) problems.push(`permission "${permission}" of plug-in "${plugin}" names undeclared staff roles: ${unknown.join(', ')}`);
    }
    if (problems.length) throw new Error(`${problems.join('; ')} (declared: ${[...this.roles.keys()].join(', ') || 'none'})`);
  }

  /** Every declared staff role, in registration order. */
  listRoles(): Array<RoleDefinition & { plugin: string }> {
    return [...this.roles.values()].map(({ plugin, role }) => ({ ...role, plugin }));
  }

  staffRoles(): StaffRole[] {
    return [...this.roles.keys()];
  }

  isStaffRole(type: unknown): type is StaffRole {
    return typeof type === 'string' && this.roles.has(type);
  }

  /** The tenant provider; dealer-scoped work without one is a platform set-up error. */
  tenant(): TenantProvider {
    if (!this.tenantProvider) {
      throw new ChannelflowError('NOT_SUPPORTED', 'No plug-in provides the dealer tenant (definePlugin({ tenant })), so dealer-scoped operations cannot run on this platform');
    }
    return this.tenantProvider.provider;
  }

  /** Platform admins hold every permission; everyone else only what a plug-in granted their role. */
  roleHasPermission(role: string, permission: string): boolean {
    const entry = this.permissions.get(permission);
    if (!entry) throw new Error(`permission "${permission}" is not declared by any plug-in`);
    return role === 'platform-admin' || (entry.roles as readonly string[]).includes(role);
  }

  listPermissions(): Array<{ permission: string; plugin: string; roles: readonly StaffRole[] }> {
    return [...this.permissions.entries()].map(([permission, v]) => ({ permission, ...v }));
  }

  setTemplateRenderer(renderer: TemplateRenderer): void {
    this.templateRenderer = renderer;
  }

  templates(): TemplateRenderer {
    if (!this.templateRenderer) throw new Error('the template renderer is not ready yet: render templates from bootstrap or later');
    return this.templateRenderer;
  }

  setPdfPrinter(printer: PdfPrinter): void {
    this.printer = printer;
  }

  pdfPrinter(): PdfPrinter {
    if (!this.printer) throw new Error('the PDF printer is not ready yet: print from bootstrap or later');
    return this.printer;
  }

  setWorkflowRuntime(info: WorkflowRuntimeInfo): void {
    this.workflow = info;
  }

  /** The platform hands plug-ins its workflow client once the runtime runs (see workflows()). */
  setProcesses(processes: Workflows | undefined): void {
    this.workflowProcesses = processes;
  }

  processes(): Workflows | undefined {
    return this.workflowProcesses;
  }

  /** Which engine runs the processes, and where the embedded Zeebe gateway listens (if it does). */
  workflowRuntime(): WorkflowRuntimeInfo | undefined {
    return this.workflow;
  }

  /**
   * Runs a job handler the way the workflow runtime will: validates the process variables
   * against the job's input schema, runs it, validates what it returns.
   */
  async runJob(type: string, variables: unknown, ctx: RunJobContext): Promise<Record<string, unknown>> {
    const job = this.job(type);
    if (!job) throw new ChannelflowError('NOT_FOUND', `no plug-in provides job type "${type}"`, { type });
    const input = job.input.safeParse(variables);
    if (!input.success) {
      const issues = issuesFromZod(input.error);
      throw new ChannelflowError('JOB_INPUT_INVALID', `Invalid variables for job ${type}: ${summarizeIssues(issues)}`, { issues });
    }
    const result = await job.handler({ input: input.data, job: { ...ctx.job, type }, strapi: ctx.strapi, log: ctx.log });
    const output = job.output.safeParse(result);
    if (!output.success) {
      const issues = issuesFromZod(output.error);
      throw new ChannelflowError(
        'JOB_OUTPUT_INVALID',
        `job ${type} returned variables that do not match its output schema: ${summarizeIssues(issues)}`,
        { issues },
      );
    }
    return output.data as Record<string, unknown>;
  }
}

const CONTAINER_KEY = 'channelflow.registry';

/** The registry of this Strapi instance, created on first use. */
export function platformRegistry(strapi: Core.Strapi): PlatformRegistry {
  if (!strapi.has(CONTAINER_KEY)) {
    const registry = new PlatformRegistry();
    strapi.add(CONTAINER_KEY, () => registry);
  }
  return strapi.get(CONTAINER_KEY) as PlatformRegistry;
}
