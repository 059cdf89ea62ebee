import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Core } from '@strapi/strapi';
import type { DealerRef, DealerRole } from '../graphql';
import { DEALER_PORTAL_ROLE, platformRegistry, type StaffRole } from '../registry';
import { createThrowAwayDatabase, requestedDatabase, type DatabaseClient } from './database';
import { GraphqlClient } from './graphql-client';

export { GraphqlClient } from './graphql-client';
export type { GraphqlResponse, GraphqlErrorShape } from './graphql-client';
export { createThrowAwayDatabase, requestedDatabase } from './database';
export type { ThrowAwayDatabase } from './database';
export type { DatabaseClient } from './database';

export interface TestEnvironmentOptions {
  /** Defaults to `DB` from the environment (sqlite unless DB=postgres). */
  database?: DatabaseClient;
  /** 'none' (default) boots with roles only; 'demo' loads the deterministic demo data. */
  seed?: 'none' | 'demo';
  /** Extra environment for this Strapi (e.g. NODE_ENV=production, SMTP_HOST). */
  env?: Record<string, string>;
  /** Serve the built admin panel at /admin (build it first: `npm run build:admin`, which `npm test` does). */
  adminPanel?: boolean;
}

export interface TestUser {
  id: number;
  documentId: string;
  email: string;
  jwt: string;
}

export interface TestEnvironment {
  strapi: Core.Strapi;
  baseUrl: string;
  database: { client: DatabaseClient; name: string };
  /** grpc://127.0.0.1:<port> of this platform's embedded Zeebe gateway, for Zeebe clients in tests. */
  zeebeAddress: string;
  /** The gateway's bearer token (WORKFLOW_GATEWAY_TOKEN): @camunda8/sdk with CAMUNDA_AUTH_STRATEGY 'BEARER', CAMUNDA_OAUTH_TOKEN. */
  zeebeToken: string;
  /** OAuth client credentials for the gateway (zbctl --clientId/--clientSecret/--authzUrl, Camunda Modeler). */
  zeebeClientCredentials: { clientId: string; clientSecret: string; tokenUrl: string };
  anonymous: GraphqlClient;
  /**
   * A GraphQL client signed in as a new staff user with `role`; `team` also makes them a member of
   * that sales team (created, with its region, when missing), so regional tasks reach them.
   */
  asStaff(role?: StaffRole, options?: { team?: { code: string; regionCode: string } }): Promise<GraphqlClient & { user: TestUser }>;
  /** A GraphQL client signed in as a new portal user of `dealer`. */
  asDealer(dealer: DealerRef, role?: DealerRole): Promise<GraphqlClient & { user: TestUser }>;
  asApiToken(type?: 'full-access' | 'read-only'): Promise<GraphqlClient>;
  /** A user with any users-permissions role type and nothing else (e.g. a portal user with no dealer). */
  asRole(roleType: string): Promise<GraphqlClient & { user: TestUser }>;
  createDealer(attributes?: { code?: string; name?: string }): Promise<DealerRef>;
  http(pathname: string, init?: RequestInit): Promise<Response>;
  /**
   * The e-mails to `to` as the recipient gets them (secret links included), newest first,
   * optionally of one template. The outbox itself shows secrets only as [redacted].
   */
  mailbox(to: string, template?: string): Promise<Array<{ documentId: string; template: string | null; status: string; subject: string; html: string; text: string }>>;
  /** Stops Strapi and boots it again on the same database, as a second `npm start` would. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Boots the real platform (compiled Strapi app, every plug-in) on a throw-away database and
 * serves it over HTTP on a free port. One per test file; call destroy() in afterAll.
 */
export async function createTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const client = options.database ?? requestedDatabase();
  const db = await createThrowAwayDatabase(client);
  // The log line CI relies on to prove which database a run used.
  console.info(`[channelflow:test] database client: ${client} (${db.name})`);
  const restoreEnv = applyEnv({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    CHANNELFLOW_SEED: options.seed ?? 'none',
    CHANNELFLOW_QUIET: 'true',
    // Any free port: test files run in parallel, each with its own gateway.
    WORKFLOW_GATEWAY_PORT: '0',
    STRAPI_STARTUP_MESSAGE: 'false',
    STRAPI_DISABLE_UPDATE_NOTIFICATION: 'true',
    APP_KEYS: [1, 2].map(() => randomBytes(16).toString('base64')).join(','),
    API_TOKEN_SALT: randomBytes(16).toString('base64'),
    ADMIN_JWT_SECRET: randomBytes(16).toString('base64'),
    TRANSFER_TOKEN_SALT: randomBytes(16).toString('base64'),
    JWT_SECRET: randomBytes(16).toString('base64'),
    ENCRYPTION_KEY: randomBytes(16).toString('base64'),
    WORKFLOW_GATEWAY_TOKEN: randomBytes(32).toString('base64url'),
    WORKFLOW_GATEWAY_CLIENT_ID: 'channelflow',
    WORKFLOW_GATEWAY_CLIENT_SECRET: randomBytes(32).toString('base64url'),
    SMTP_HOST: '',
    ...db.env,
    ...options.env,
  });

  const appDir = platformAppDir();
  const boot = async () => {
    // Strapi's CommonJS build: its ESM build cannot be imported natively (lodash/fp directory imports).
    const { createStrapi } = createRequire(import.meta.url)('@strapi/strapi') as typeof import('@strapi/strapi');
    const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
    const instance = createStrapi({ appDir, distDir: path.join(appDir, 'dist'), autoReload: false, serveAdminPanel: options.adminPanel ?? false });
    try {
      await instance.load();
      await instance.listen();
    } catch (error) {
      // A boot that failed half-way still holds the database and ports: release them.
      await destroyKeepingHostListeners(instance).catch(() => undefined);
      throw error;
    }
    // Strapi exits the process on SIGTERM; inside a test runner's worker that kills the runner's channel.
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
    const address = instance.server.httpServer.address();
    if (!address || typeof address === 'string') throw new Error('the test server is not listening on a TCP port');
    return { instance, baseUrl: `http://127.0.0.1:${address.port}` };
  };
  let booted: Awaited<ReturnType<typeof boot>>;
  try {
    booted = await boot();
  } catch (error) {
    restoreEnv();
    await db.drop().catch(() => undefined);
    throw error;
  }
  let strapi = booted.instance;
  let live = true;
  let baseUrl = booted.baseUrl;
  let graphqlUrl = `${baseUrl}/graphql`;
  let destroyed = false;
  let counter = 0;

  const createUser = async (roleType: string) => {
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: roleType } });
    if (!role) throw new Error(`role "${roleType}" does not exist`);
    counter += 1;
    const email = `${roleType}-${counter}-${randomBytes(3).toString('hex')}@test.channelflow.local`;
    const user = await strapi.plugin('users-permissions').service('user').add({
      username: email,
      email,
      password: `Pw-${randomBytes(8).toString('hex')}`,
      provider: 'local',
      confirmed: true,
      blocked: false,
      role: role.id,
    });
    const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: user.id });
    return { id: user.id, documentId: user.documentId, email, jwt } satisfies TestUser;
  };

  const env: TestEnvironment = {
    get strapi() {
      return strapi;
    },
    get baseUrl() {
      return baseUrl;
    },
    database: { client, name: db.name },
    get zeebeAddress() {
      const address = platformRegistry(strapi).workflowRuntime()?.gatewayAddress;
      if (!address) throw new Error('this platform runs no embedded Zeebe gateway (WORKFLOW_ENGINE=zeebe?)');
      return address;
    },
    get zeebeToken() {
      return gatewaySecret('WORKFLOW_GATEWAY_TOKEN');
    },
    get zeebeClientCredentials() {
      return {
        clientId: process.env.WORKFLOW_GATEWAY_CLIENT_ID || 'channelflow',
        clientSecret: gatewaySecret('WORKFLOW_GATEWAY_CLIENT_SECRET'),
        tokenUrl: `${baseUrl}/api/workflow/oauth/token`,
      };
    },
    get anonymous() {
      return new GraphqlClient(graphqlUrl, null);
    },
    async asStaff(role = 'channel-manager', options = {}) {
      const registry = platformRegistry(strapi);
      if (!registry.isStaffRole(role)) throw new Error(`"${role}" is not a declared staff role (declared: ${registry.staffRoles().join(', ')})`);
      const user = await createUser(role);
      if (options.team) await joinTeam(strapi, options.team, user.email);
      return Object.assign(new GraphqlClient(graphqlUrl, user.jwt), { user });
    },
    async asDealer(dealer, role = 'owner') {
      const user = await createUser(DEALER_PORTAL_ROLE);
      await platformRegistry(strapi).tenant().linkUser(strapi, { userId: user.id, dealerId: dealer.id, role });
      return Object.assign(new GraphqlClient(graphqlUrl, user.jwt), { user });
    },
    async asRole(roleType) {
      const user = await createUser(roleType);
      return Object.assign(new GraphqlClient(graphqlUrl, user.jwt), { user });
    },
    async asApiToken(type = 'full-access') {
      counter += 1;
      const token = await strapi.service('admin::api-token').create({
        name: `test-${type}-${counter}`,
        type,
        lifespan: null,
        description: 'created by createTestEnvironment',
      });
      return new GraphqlClient(graphqlUrl, token.accessKey);
    },
    async createDealer(attributes = {}) {
      counter += 1;
      const code = attributes.code ?? `T${String(counter).padStart(4, '0')}${randomBytes(2).toString('hex').toUpperCase()}`;
      return platformRegistry(strapi).tenant().createTenant(strapi, { code, name: attributes.name ?? `Test dealer ${code}` });
    },
    http: (pathname, init) => fetch(`${baseUrl}${pathname}`, init),
    async mailbox(to, template) {
      const rows = await strapi.service('api::outbox-message.outbox-message' as any).deliveredTo(to, template ? { template } : {});
      return rows.map((row: any) => {
        if (!row.delivered) throw new Error(`outbox message ${row.documentId} to ${to} was delivered; its secret is no longer kept (read it from the SMTP server)`);
        return { documentId: row.documentId, template: row.template, status: row.deliveryStatus, ...row.delivered };
      });
    },
    async restart() {
      if (live) await destroyKeepingHostListeners(strapi);
      live = false;
      booted = await boot();
      strapi = booted.instance;
      live = true;
      baseUrl = booted.baseUrl;
      graphqlUrl = `${baseUrl}/graphql`;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        if (live) await destroyKeepingHostListeners(strapi);
      } finally {
        live = false;
        restoreEnv();
        await db.drop();
      }
    },
  };
  return env;
}

/** A gateway secret this environment set (an `env` option may have emptied it, leaving the platform to generate one). */
function gatewaySecret(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is empty in this test environment, so the platform generated one it does not share`);
  return value;
}

async function joinTeam(strapi: Core.Strapi, team: { code: string; regionCode: string }, email: string) {
  const regions = strapi.db.query('api::region.region' as any);
  if (!(await regions.findOne({ where: { code: team.regionCode } }))) await regions.create({ data: { code: team.regionCode, name: team.regionCode } });
  const existing = await strapi.db.query('api::sales-team.sales-team' as any).findOne({ where: { code: team.code }, populate: ['members'] });
  const memberEmails = [...(existing?.members ?? []).map((m: { email: string }) => m.email), email];
  await strapi.service('api::sales-team.sales-team' as any).save({ code: team.code, name: existing?.name ?? `Team ${team.code}`, regionCode: team.regionCode, memberEmails });
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * strapi.destroy() calls process.removeAllListeners(), which would also cut the test runner's
 * IPC channel to this worker; put back every listener the host process had.
 */
async function destroyKeepingHostListeners(instance: Core.Strapi): Promise<void> {
  const saved = process.eventNames().map((event) => [event, process.rawListeners(event)] as const);
  try {
    await instance.destroy();
  } finally {
    for (const [event, listeners] of saved) {
      const present = new Set(process.rawListeners(event));
      for (const listener of listeners) if (!present.has(listener)) process.on(event as string, listener as (...args: any[]) => void);
    }
  }
}

function platformAppDir(): string {
  if (process.env.CHANNELFLOW_APP_DIR) return process.env.CHANNELFLOW_APP_DIR;
  return path.dirname(createRequire(import.meta.url).resolve('@channelflow/platform/package.json'));
}

function applyEnv(values: Record<string, string>): () => void {
  const previous = new Map(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of previous) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Retries `check` until it stops throwing (for work the platform finishes asynchronously:
 * workers, processes, timers); after the deadline the last failure is thrown.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise<void>((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  }
}
