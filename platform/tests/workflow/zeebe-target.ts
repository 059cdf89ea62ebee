import { Camunda8 } from '@camunda8/sdk';
import { afterAll, beforeAll } from 'vitest';
import type { ICustomHeaders, IInputVariables, Job } from '@camunda8/sdk/dist/zeebe/lib/interfaces-1.0';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import createKnex, { type Knex } from 'knex';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { Engine } from '../../src/workflow/engine/engine';
import { gatewayCredentials } from '../../src/workflow/gateway/credentials';
import { startGateway } from '../../src/workflow/gateway/server';
import { restApi } from '../../src/workflow/rest/api';

export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;
export type RestClient = ReturnType<Camunda8['getCamundaRestClient']>;

/**
 * The conformance suite talks only to a Zeebe client. With ZEEBE_ADDRESS set it runs against
 * that (real) Zeebe; with ZEEBE_TARGET=engine against the embedded engine and its gRPC gateway
 * alone (in-memory SQLite, no Strapi: the files run in a fraction of the time); otherwise against
 * the embedded gateway of a freshly booted platform.
 */
export async function zeebeTarget(): Promise<ZeebeTargetHandle> {
  const external = process.env.ZEEBE_ADDRESS;
  if (!external && process.env.ZEEBE_TARGET === 'engine') return engineOnlyTarget();
  // Only the suite's own Zeebe client may take user-task jobs: the platform's task inbox stays off.
  const env = external ? null : await createTestEnvironment({ env: { WORKFLOW_TASK_INBOX: 'false', WORKFLOW_ENGINE_CLOCK_CONTROLLED: 'true' } });
  const address = external ? (external.includes('://') ? external : `grpc://${external}`) : env!.zeebeAddress;
  // A real Zeebe takes whatever CAMUNDA_* credentials the environment holds; the embedded gateway its token.
  const client = clientFor(address, env?.zeebeToken);
  // A real cluster's REST API is at ZEEBE_REST_ADDRESS; the platform serves it on its own port.
  const restAddress = external ? (process.env.ZEEBE_REST_ADDRESS ?? '') : env!.baseUrl;
  return {
    client,
    rest: restClientFor(restAddress, env?.zeebeToken),
    restAddress,
    restToken: env?.zeebeToken ?? null,
    env,
    knex: env ? env.strapi.db.connection : null,
    async close() {
      await client.close();
      await env?.destroy();
    },
  };
}

export interface ZeebeTargetHandle {
  client: ZeebeClient;
  /** The same target's REST API (v2) through the SDK's REST client. */
  rest: RestClient;
  /** For calls the SDK's REST client does not make (e.g. a job result): base URL and Bearer token (null: none). */
  restAddress: string;
  restToken: string | null;
  /** The booted platform (null against a real Zeebe or the engine-only target). */
  env: TestEnvironment | null;
  /** The embedded engine's database (null against a real Zeebe): what `openIncidents` reads. */
  knex: Knex | null;
  close(): Promise<void>;
}

/** The engine and its gateway over an in-memory SQLite database: the same code paths below the platform. */
async function engineOnlyTarget(): Promise<ZeebeTargetHandle> {
  const knex = createKnex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  const quiet = { info: () => undefined, warn: () => undefined, error: (m: string) => console.error(m) };
  const engine = new Engine(knex, quiet, { clockControlled: true });
  await engine.start();
  const credentials = gatewayCredentials({ WORKFLOW_GATEWAY_TOKEN: randomBytes(24).toString('hex'), WORKFLOW_GATEWAY_CLIENT_SECRET: randomBytes(24).toString('hex') }, quiet);
  const gateway = await startGateway({ engine, listen: { host: '127.0.0.1', port: 0, tls: null }, credentials, log: quiet });
  const client = clientFor(gateway.address, credentials.token);
  const restServer = await serveRest(restApi({ engine, credentials, knex, log: quiet, gateway: null }));
  return {
    client,
    rest: restClientFor(restServer.address, credentials.token),
    restAddress: restServer.address,
    restToken: credentials.token,
    env: null,
    knex,
    async close() {
      await client.close();
      await new Promise((resolve) => restServer.server.close(resolve));
      await gateway.stop();
      await engine.stop();
      await knex.destroy();
    },
  };
}

/**
 * The REST API's Koa handler on a bare HTTP server (JSON bodies only): what the platform mounts as
 * middleware, without the platform.
 */
async function serveRest(handle: ReturnType<typeof restApi>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers: Record<string, string> = {};
      const url = new URL(req.url ?? '/', 'http://localhost');
      const raw = Buffer.concat(chunks).toString('utf8');
      const ctx = {
        method: req.method ?? 'GET',
        path: url.pathname,
        status: 404,
        body: undefined as unknown,
        request: { body: raw ? JSON.parse(raw) : {} },
        get: (name: string) => String(req.headers[name.toLowerCase()] ?? ''),
        set: (name: string, value: string) => void (headers[name] = value),
        req,
        res,
      };
      await handle(ctx, async () => undefined);
      res.writeHead(ctx.status, { 'content-type': headers['Content-Type'] ?? 'application/json', ...headers });
      res.end(ctx.body === null || ctx.body === undefined ? undefined : JSON.stringify(ctx.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function restClientFor(address: string, token?: string | null): RestClient {
  return new Camunda8({
    ZEEBE_REST_ADDRESS: address,
    ...(token ? { CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: token } : { CAMUNDA_AUTH_STRATEGY: (process.env.CAMUNDA_AUTH_STRATEGY as any) ?? 'NONE' }),
    CAMUNDA_LOG_LEVEL: 'none',
  } as any).getCamundaRestClient();
}

/**
 * A plain Zeebe client for `address` (grpc://host:port), failing fast instead of retrying. With
 * `token` it sends `authorization: Bearer <token>` (the embedded gateway's WORKFLOW_GATEWAY_TOKEN).
 */
export function clientFor(address: string, token?: string | null): ZeebeClient {
  return new Camunda8({
    ZEEBE_GRPC_ADDRESS: address,
    ...(token ? { CAMUNDA_AUTH_STRATEGY: 'BEARER', CAMUNDA_OAUTH_TOKEN: token } : { CAMUNDA_AUTH_STRATEGY: (process.env.CAMUNDA_AUTH_STRATEGY as any) ?? 'NONE' }),
    zeebeGrpcSettings: { ZEEBE_GRPC_CLIENT_RETRY: false, ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
  } as any).getZeebeGrpcApiClient();
}

/** A unique process id per test, so runs against a shared real Zeebe never collide. */
export const uniqueId = (base: string) => `${base}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** One executable process; `rootElements` (messages, errors) go beside it. */
export const bpmn = (processId: string, body: string, extraNamespaces = '', rootElements = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" ${extraNamespaces}
  id="Definitions_${processId}" targetNamespace="http://channelflow.dev/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
${body}
  </bpmn:process>
${rootElements}
</bpmn:definitions>`;

/** A service task whose jobs have `type`. */
export const serviceTask = (id: string, type: string) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;

/** The namespace `xsi:type="bpmn:tFormalExpression"` (conditions, completion conditions) needs. */
export const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

/** start → service task (job type) → end */
export const oneTaskProcess = (processId: string, jobType = 'demo.do-work', label = 'Do work') =>
  bpmn(
    processId,
    `    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Work" />
    <bpmn:serviceTask id="Task_Work" name="${label}">
      <bpmn:extensionElements><zeebe:taskDefinition type="${jobType}" retries="3" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Work" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />`,
  );

export type ZeebeTarget = ZeebeTargetHandle;
export type ActivatedJob = Job<IInputVariables, ICustomHeaders>;

/** True when the suite runs against a real Zeebe (ZEEBE_ADDRESS): embedded-only checks skip. */
export const externalZeebe = Boolean(process.env.ZEEBE_ADDRESS);

/** The worker name every conformance test activates jobs with. */
export const WORKER = 'conformance';

/** Deploys one process and returns its definition (key, version). */
export async function deployProcess(client: ZeebeClient, processId: string, xml: string) {
  const result = await client.deployResource({ name: `${processId}.bpmn`, process: Buffer.from(xml) });
  return result.deployments[0]!.process;
}

/**
 * Activates jobs of `type` (long polling) until `count` are in hand; fails when the deadline
 * passes with fewer. Activated jobs are locked for `timeout` ms.
 */
export async function takeJobs(
  client: ZeebeClient,
  type: string,
  count = 1,
  options: { timeout?: number; fetchVariable?: string[]; deadlineMs?: number } = {},
): Promise<ActivatedJob[]> {
  const jobs: ActivatedJob[] = [];
  let refused: unknown;
  await eventually(
    async () => {
      const batch = await client
        .activateJobs({
          type,
          worker: WORKER,
          timeout: options.timeout ?? 60_000,
          maxJobsToActivate: count - jobs.length,
          requestTimeout: 1_000,
          ...(options.fetchVariable ? { fetchVariable: options.fetchVariable } : {}),
        })
        .catch((error) => {
          refused = error; // a gRPC refusal is an answer, not a reason to keep polling
          return [];
        });
      jobs.push(...batch);
      if (!refused && jobs.length < count) throw new Error(`expected ${count} job(s) of type ${type}, activated ${jobs.length}`);
    },
    { timeoutMs: options.deadlineMs ?? 20_000 },
  );
  if (refused) throw refused;
  return jobs;
}

/** The jobs of `type` activatable within `waitMs`: an empty list proves there are none. */
export const jobsNow = (client: ZeebeClient, type: string, waitMs = 500): Promise<ActivatedJob[]> =>
  client.activateJobs({ type, worker: WORKER, timeout: 60_000, maxJobsToActivate: 10, requestTimeout: waitMs });

export { eventually };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface GrpcRefusal {
  code: number;
  details: string;
  message: string;
}

/** The gRPC error a call was refused with; the test fails if the call succeeded or got no answer within 10 s. */
export function grpcRefusal(call: Promise<unknown>): Promise<GrpcRefusal> {
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('expected a gRPC error, but the call got no answer within 10 s')), 10_000);
  });
  const answered = call.then(
    (result) => {
      throw new Error(`expected a gRPC error, but the call succeeded with ${JSON.stringify(result)}`);
    },
    (error: { code?: number; details?: string; message?: string }) => ({
      code: error.code ?? -1,
      details: error.details ?? error.message ?? '',
      message: error.message ?? '',
    }),
  );
  answered.catch(() => undefined);
  return Promise.race([answered, silence]).finally(() => clearTimeout(timer));
}

/** Lets a call run in the background: awaiting it later still throws, but an abandoned rejection is not unhandled. */
export function inBackground<T>(call: Promise<T>): Promise<T> {
  call.catch(() => undefined);
  return call;
}

/**
 * CreateProcessInstance by processDefinitionKey: a documented gateway field the SDK's
 * createProcessInstance() does not pass on, so this sends the RPC over the same client's channel.
 */
export async function createInstanceByDefinitionKey(client: ZeebeClient, processDefinitionKey: string, variables: Record<string, unknown> = {}) {
  const grpc = await (client as unknown as { grpc: Promise<{ createProcessInstanceSync(request: object): Promise<any> }> }).grpc;
  const response = await grpc.createProcessInstanceSync({
    processDefinitionKey,
    bpmnProcessId: '',
    version: -1,
    variables: JSON.stringify(variables),
    startInstructions: [],
  });
  return response as { processDefinitionKey: string; bpmnProcessId: string; version: number; processInstanceKey: string };
}

export interface OpenIncident {
  key: string;
  element_id: string;
  error_type: string;
  error_message: string;
  job_key: string | null;
}

/**
 * Embedded only: the open incidents of a process instance, read from the engine's table
 * (the gRPC API cannot list incidents; a real Zeebe needs Operate for that).
 */
export async function openIncidents(target: { knex: Knex | null }, processInstanceKey: string): Promise<OpenIncident[]> {
  if (!target.knex) throw new Error('openIncidents needs the embedded engine: a real Zeebe lists incidents through Operate');
  const rows: any[] = await target
    .knex('wf_incidents')
    .where({ process_instance_key: processInstanceKey, state: 'ACTIVE' })
    .orderBy('key');
  return rows.map((row) => ({
    key: String(row.key),
    element_id: row.element_id,
    error_type: row.error_type,
    error_message: row.error_message,
    job_key: row.job_key == null ? null : String(row.job_key),
  }));
}

/**
 * One target per test file: booted in beforeAll, closed in afterAll. `env` is the embedded
 * platform (null against a real Zeebe), so the object also serves `openIncidents`.
 */
export function useZeebeTarget() {
  let target: ZeebeTarget | undefined;
  beforeAll(async () => {
    target = await zeebeTarget();
  });
  afterAll(() => target?.close());
  const suite = {
    get env() {
      return target!.env;
    },
    get knex() {
      return target!.knex;
    },
    client: () => target!.client,
    rest: () => target!.rest,
    /** The instance's one Camunda user task once it is CREATED (its creating listeners done), from the REST API. */
    createdUserTask: async (processInstanceKey: string): Promise<any> =>
      eventually(async () => {
        const found = await target!.rest.searchUserTasks({ filter: { processInstanceKey, state: 'CREATED' } } as any);
        if (found.items.length !== 1) throw new Error(`expected one CREATED user task in instance ${processInstanceKey}, found ${found.items.length}`);
        return found.items[0];
      }),
    /** A raw REST API call: its HTTP status and JSON answer. */
    restCall: async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${target!.restAddress}/v2${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(target!.restToken ? { authorization: `Bearer ${target!.restToken}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    /** Starts an instance and resolves with its end (CreateProcessInstanceWithResult), without an unhandled rejection meanwhile. */
    withResult: (bpmnProcessId: string, variables: Record<string, any> = {}, requestTimeout = 30_000) =>
      inBackground(target!.client.createProcessInstanceWithResult({ bpmnProcessId, variables, requestTimeout })),
  };
  return suite;
}
