import type { Workflows } from './workflows';
import type { Core } from '@strapi/strapi';
import type { JobDefinition, JobInfo, JobLogger } from './define-job';
import { ChannelflowError, issuesFromZod, summarizeIssues } from './errors';
import type { TemplateRenderer } from './templates';

/** Staff roles known to the platform (users-permissions role `type`s). */
export const STAFF_ROLES = ['platform-admin', 'channel-manager', 'sales-rep', 'finance', 'director'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const DEALER_PORTAL_ROLE = 'dealer';

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
  jobs: JobDefinition[];
  /** Directory with this plug-in's default templates (`<domain>/<name>.<locale>.hbs`). */
  templatesDir?: string;
  templates: string[];
  /** permission name → staff roles granted it by default. */
  permissions: Record<string, readonly StaffRole[]>;
  seed?: (ctx: SeedContext) => Promise<void>;
  /** Runs once after the seeding start's workflow runtime is up: demo data that needs processes (open requests, tasks). */
  seedProcesses?: (ctx: SeedContext) => Promise<void>;
  /** Plug-ins whose seed must run before this one's. */
  seedAfter: string[];
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
  private templateRenderer: TemplateRenderer | undefined;
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
    for (const [permission, roles] of Object.entries(manifest.permissions)) {
      if (!permission.startsWith(`${manifest.name}.`)) {
        throw new Error(`permission "${permission}" of plug-in "${manifest.name}" must start with "${manifest.name}."`);
      }
      const unknown = roles.filter((r) => !(STAFF_ROLES as readonly string[]).includes(r));
      if (unknown.length) throw new Error(`permission "${permission}" names unknown staff roles: ${unknown.join(', ')}`);
    }
    this.plugins.set(manifest.name, manifest);
    for (const job of manifest.jobs) this.jobs.set(job.type, { plugin: manifest.name, job });
    for (const [permission, roles] of Object.entries(manifest.permissions)) {
      this.permissions.set(permission, { plugin: manifest.name, roles });
    }
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
