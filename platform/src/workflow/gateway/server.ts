import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { DEFAULT_TENANT, DeploymentRejected, type DeployedProcess } from '../engine/deployments';
import type { ActivatedJob, Engine, JobActivation } from '../engine/engine';
import { CommandRejected } from '../engine/errors';
import type { GatewayCredentials } from './credentials';
import type { GatewayListenOptions } from './listen-options';

export interface GatewayLogger {
  info(message: string): void;
  error(message: string): void;
}

export interface RunningGateway {
  host: string;
  port: number;
  /** grpc://host:port (grpcs:// with TLS), what a Zeebe client (ZEEBE_GRPC_ADDRESS) connects to. */
  address: string;
  /**
   * What the platform's own client connects to: `address` in plaintext; with TLS a second,
   * plaintext listener on 127.0.0.1 (token still required), as the certificate need not name this machine.
   */
  localAddress: string;
  stop(): Promise<void>;
}

// The exact proto the official client speaks, loaded with the options that client uses.
const PROTO = require.resolve('@camunda8/sdk/dist/proto/zeebe.proto');
const GATEWAY_VERSION = '8.8.0';

type Unary = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;

/**
 * The Zeebe gateway gRPC API over the embedded engine. RPCs not implemented yet answer
 * UNIMPLEMENTED, as a Zeebe gateway does for unknown calls.
 */
export async function startGateway(options: {
  engine: Engine;
  listen: GatewayListenOptions;
  credentials: GatewayCredentials;
  log: GatewayLogger;
}): Promise<RunningGateway> {
  const { engine, listen } = options;
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const service = (grpc.loadPackageDefinition(definition) as any).gateway_protocol.Gateway.service;
  const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, interceptors: [requireBearer(options.credentials)] });
  let boundPort = listen.port;

  const handle =
    (work: (request: any) => Promise<unknown>): Unary =>
    (call, callback) => {
      work(call.request).then(
        (response) => callback(null, response),
        (error) => callback(toGrpcError(error, options.log)),
      );
    };

  server.addService(service, {
    Topology: handle(async () => ({
      brokers: [
        {
          nodeId: 0,
          host: listen.host,
          port: boundPort,
          version: GATEWAY_VERSION,
          partitions: [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }],
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: GATEWAY_VERSION,
    })),
    DeployResource: handle(async (request: { resources: Array<{ name: string; content: Buffer }>; tenantId?: string }) => {
      // Clients such as zbctl send an empty tenant id for the default tenant.
      const tenantId = request.tenantId || DEFAULT_TENANT;
      const result = await engine.deploy(request.resources ?? [], tenantId);
      return {
        key: String(result.key),
        tenantId,
        deployments: [
          ...result.processes.map((p) => ({ process: processMetadata(p) })),
          ...result.decisions.map((d) => ({
            decision: {
              dmnDecisionId: d.decisionId,
              dmnDecisionName: d.decisionName,
              version: d.version,
              decisionKey: String(d.decisionKey),
              dmnDecisionRequirementsId: d.decisionRequirementsId,
              decisionRequirementsKey: String(d.decisionRequirementsKey),
              tenantId: d.tenantId,
            },
          })),
          ...result.decisionRequirements.map((r) => ({
            decisionRequirements: {
              dmnDecisionRequirementsId: r.decisionRequirementsId,
              dmnDecisionRequirementsName: r.decisionRequirementsName,
              version: r.version,
              decisionRequirementsKey: String(r.decisionRequirementsKey),
              resourceName: r.resourceName,
              tenantId: r.tenantId,
            },
          })),
          ...result.forms.map((f) => ({ form: { formId: f.formId, version: f.version, formKey: String(f.formKey), resourceName: f.resourceName, tenantId: f.tenantId } })),
        ],
      };
    }),
    EvaluateDecision: handle(async (request) => {
      const decisionKey = request.decisionKey && request.decisionKey !== '0' ? key(request.decisionKey, 'decisionKey') : undefined;
      if (!decisionKey && !request.decisionId) throw new CommandRejected('INVALID_ARGUMENT', "Expected either a decision id or a valid decision key, but none provided");
      const result = await engine.evaluateDecision({ decisionId: request.decisionId || undefined, decisionKey, variables: document(request.variables), tenantId: request.tenantId || DEFAULT_TENANT });
      return {
        decisionKey: String(result.decisionKey),
        decisionId: result.decisionId,
        decisionName: result.decisionName,
        decisionVersion: result.decisionVersion,
        decisionRequirementsId: result.decisionRequirementsId,
        decisionRequirementsKey: String(result.decisionRequirementsKey),
        decisionOutput: JSON.stringify(result.output ?? null),
        evaluatedDecisions: result.evaluatedDecisions.map((e) => ({
          decisionKey: String(e.decisionKey),
          decisionId: e.decisionId,
          decisionName: e.decisionName,
          decisionVersion: e.decisionVersion,
          decisionType: e.decisionType,
          decisionOutput: JSON.stringify(e.output ?? null),
          matchedRules: e.matchedRules.map((r) => ({
            ruleId: r.ruleId,
            ruleIndex: r.ruleIndex,
            evaluatedOutputs: r.evaluatedOutputs.map((o) => ({ outputId: o.outputId, outputName: o.outputName, outputValue: JSON.stringify(o.outputValue ?? null) })),
          })),
          evaluatedInputs: e.evaluatedInputs.map((i) => ({ inputId: i.inputId, inputName: i.inputName, inputValue: JSON.stringify(i.inputValue ?? null) })),
          tenantId: e.tenantId,
        })),
        failedDecisionId: result.failedDecisionId,
        failureMessage: result.failureMessage,
        tenantId: result.tenantId,
        decisionInstanceKey: String(result.decisionInstanceKey),
      };
    }),
    // Deprecated since Zeebe 8, but plain `zbctl deploy file.bpmn` still calls it.
    DeployProcess: handle(async (request: { processes: Array<{ name: string; definition: Buffer }> }) => {
      const resources = (request.processes ?? []).map((p) => ({ name: p.name, content: p.definition }));
      const result = await engine.deploy(resources, DEFAULT_TENANT);
      return { key: String(result.key), processes: result.processes.map(processMetadata) };
    }),
    CreateProcessInstance: handle(async (request) => {
      const created = await engine.createInstance(creation(request));
      return { ...created, processDefinitionKey: String(created.processDefinitionKey), processInstanceKey: String(created.processInstanceKey) };
    }),
    CreateProcessInstanceWithResult: handle(async (request) => {
      const timeout = Number(request.requestTimeout) > 0 ? Number(request.requestTimeout) : DEFAULT_RESULT_TIMEOUT;
      const done = await engine.createInstanceWithResult(creation(request.request ?? {}), timeout);
      const wanted: string[] = request.fetchVariables ?? [];
      const variables = wanted.length ? Object.fromEntries(wanted.filter((n) => n in done.variables).map((n) => [n, done.variables[n]])) : done.variables;
      return {
        processDefinitionKey: String(done.processDefinitionKey),
        bpmnProcessId: done.bpmnProcessId,
        version: done.version,
        processInstanceKey: String(done.processInstanceKey),
        variables: JSON.stringify(variables),
        tenantId: done.tenantId,
      };
    }),
    CancelProcessInstance: handle(async (request) => {
      await engine.cancelInstance(key(request.processInstanceKey, 'processInstanceKey'));
      return {};
    }),
    ActivateJobs: (call: grpc.ServerWritableStream<any, any>) => {
      activateJobs(engine, call).catch((error) => call.destroy(toGrpcError(error, options.log) as any));
    },
    CompleteJob: handle(async (request) => {
      await engine.completeJob(key(request.jobKey, 'jobKey'), document(request.variables));
      return {};
    }),
    FailJob: handle(async (request) => {
      await engine.failJob({
        key: key(request.jobKey, 'jobKey'),
        retries: Number(request.retries),
        errorMessage: request.errorMessage ?? '',
        retryBackOff: Number(request.retryBackOff ?? 0),
        variables: document(request.variables),
      });
      return {};
    }),
    ThrowError: handle(async (request) => {
      if (!request.errorCode) throw new CommandRejected('INVALID_ARGUMENT', "Expected to throw an error with a non-empty 'errorCode'");
      await engine.throwError({ key: key(request.jobKey, 'jobKey'), errorCode: request.errorCode, errorMessage: request.errorMessage ?? '', variables: document(request.variables) });
      return {};
    }),
    UpdateJobRetries: handle(async (request) => {
      await engine.updateJobRetries(key(request.jobKey, 'jobKey'), Number(request.retries));
      return {};
    }),
    UpdateJobTimeout: handle(async (request) => {
      await engine.updateJobTimeout(key(request.jobKey, 'jobKey'), Number(request.timeout));
      return {};
    }),
    ResolveIncident: handle(async (request) => {
      await engine.resolveIncident(key(request.incidentKey, 'incidentKey'));
      return {};
    }),
    SetVariables: handle(async (request) => {
      const result = await engine.setVariables(key(request.elementInstanceKey, 'elementInstanceKey'), document(request.variables), Boolean(request.local));
      return { key: String(result) };
    }),
    PublishMessage: handle(async (request) => {
      if (!request.name) throw new CommandRejected('INVALID_ARGUMENT', "Expected to publish a message with a non-empty 'name'");
      const published = await engine.publishMessage({
        name: request.name,
        correlationKey: request.correlationKey ?? '',
        timeToLive: Math.max(0, Number(request.timeToLive ?? 0)),
        messageId: request.messageId ?? '',
        variables: document(request.variables),
        tenantId: request.tenantId || DEFAULT_TENANT,
      });
      return { key: String(published.key), tenantId: published.tenantId };
    }),
    BroadcastSignal: handle(async (request) => {
      const result = await engine.broadcastSignal({ signalName: String(request.signalName ?? ''), variables: document(request.variables), tenantId: request.tenantId || DEFAULT_TENANT });
      return { key: String(result.key), tenantId: result.tenantId };
    }),
  });

  const bind = (host: string, port: number, credentials: grpc.ServerCredentials) =>
    new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (error, bound) =>
        error ? reject(new Error(`the Zeebe gateway cannot listen on ${host}:${port}: ${error.message}`)) : resolve(bound),
      ),
    );
  const tls = listen.tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: listen.tls.cert, private_key: listen.tls.key }], false) : null;
  try {
    boundPort = await bind(listen.host, listen.port, tls ?? grpc.ServerCredentials.createInsecure());
  } catch (error) {
    server.forceShutdown();
    throw error;
  }
  const address = `${tls ? 'grpcs' : 'grpc'}://${listen.host}:${boundPort}`;
  let localAddress = address;
  if (tls) {
    const localPort = await bind('127.0.0.1', 0, grpc.ServerCredentials.createInsecure()).catch((error) => {
      server.forceShutdown();
      throw error;
    });
    localAddress = `grpc://127.0.0.1:${localPort}`;
  }
  options.log.info(`Zeebe gateway listening on ${listen.host}:${boundPort} (${tls ? 'TLS' : 'plaintext, this machine only'}; bearer token required)`);
  return {
    host: listen.host,
    port: boundPort,
    address,
    localAddress,
    stop: () =>
      new Promise<void>((resolve) => {
        // Give in-flight calls (long-polling job activation later) a moment, then cut them.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * Every call, the ActivateJobs stream included, needs `authorization: Bearer <token>` (the shape
 * Zeebe's OAuth-secured gateways expect); anything else ends as UNAUTHENTICATED before a handler runs.
 */
function requireBearer(credentials: GatewayCredentials): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const refusal = bearerRefusal(metadata.get('authorization'), credentials);
            if (refusal) call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: refusal });
            else proceed(metadata);
          },
        }),
    });
}

function bearerRefusal(values: grpc.MetadataValue[], credentials: GatewayCredentials): string | null {
  const how =
    "send 'authorization: Bearer <token>' with WORKFLOW_GATEWAY_TOKEN, or an access token from POST /api/workflow/oauth/token (OAuth client credentials)";
  // @camunda8/sdk without credentials sends an empty header: that is nothing too.
  const header = String(values[0] ?? '').trim();
  if (!header) return `Expected bearer token at header with key [authorization], but found nothing: ${how}`;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return `Expected the authorization header to be 'Bearer <token>': ${how}`;
  if (!credentials.accepts(match[1]!)) return `The bearer token is not valid for this gateway (wrong, or an access token that expired): ${how}`;
  return null;
}

/** Zeebe's gateway waits this long for a result unless the request says otherwise. */
const DEFAULT_RESULT_TIMEOUT = 10_000;
/** requestTimeout 0 asks for the gateway's default long-polling time. */
const DEFAULT_LONG_POLL = 10_000;

/**
 * ActivateJobs with long polling: answers at once when jobs are there; otherwise waits until a
 * job of the type becomes activatable or the request's time is up, then answers (possibly empty).
 */
async function activateJobs(engine: Engine, call: grpc.ServerWritableStream<any, any>) {
  const request = call.request;
  let cancelled = false;
  const cancelHandlers: Array<() => void> = [];
  call.on('cancelled', () => {
    cancelled = true;
    for (const fn of cancelHandlers) fn();
  });
  const jobs = await pollJobs(
    engine,
    {
      type: request.type,
      worker: request.worker ?? '',
      timeout: Number(request.timeout ?? 0),
      maxJobsToActivate: Number(request.maxJobsToActivate),
      fetchVariable: request.fetchVariable ?? [],
      tenantIds: (request.tenantIds ?? []).map((t: string) => t || DEFAULT_TENANT),
    },
    Number(request.requestTimeout ?? 0),
    { cancelled: () => cancelled, onCancel: (wake) => cancelHandlers.push(wake) },
  );
  if (cancelled) return; // the jobs time out and are handed out again
  if (jobs.length) call.write({ jobs });
  call.end();
}

/**
 * Zeebe's long polling, for gRPC and REST alike: activates up to `maxJobsToActivate` jobs, waiting up to
 * `requestTimeout` ms (0: the default 10 s; negative: not at all) for some to become activatable.
 */
export async function pollJobs(
  engine: Engine,
  activation: JobActivation,
  requestTimeout: number,
  abort: { cancelled: () => boolean; onCancel: (wake: () => void) => void },
): Promise<ActivatedJob[]> {
  if (!activation.type) throw new CommandRejected('INVALID_ARGUMENT', "Expected to activate jobs with a non-empty 'type'");
  if (!(activation.maxJobsToActivate > 0)) throw new CommandRejected('INVALID_ARGUMENT', "Expected 'maxJobsToActivate' to be greater than zero");
  const wait = requestTimeout < 0 ? 0 : requestTimeout === 0 ? DEFAULT_LONG_POLL : requestTimeout;
  const until = Date.now() + wait;
  for (;;) {
    if (abort.cancelled()) return [];
    const jobs = await engine.activateJobs(activation);
    if (jobs.length || abort.cancelled()) return jobs;
    const left = until - Date.now();
    if (left <= 0) return [];
    await engine.waitForJobs(activation.type, left, abort.onCancel);
  }
}

function creation(request: any) {
  const variables = document(request.variables);
  if (!request.processDefinitionKey || request.processDefinitionKey === '0') {
    if (!request.bpmnProcessId) throw new CommandRejected('INVALID_ARGUMENT', "Expected either 'bpmnProcessId' or 'processDefinitionKey' to be set");
  }
  return {
    bpmnProcessId: request.bpmnProcessId || undefined,
    processDefinitionKey: request.processDefinitionKey && request.processDefinitionKey !== '0' ? Number(request.processDefinitionKey) : undefined,
    version: Number(request.version) > 0 ? Number(request.version) : -1,
    variables,
    tenantId: request.tenantId || DEFAULT_TENANT,
  };
}

/** Variables travel as a JSON string that must hold an object (empty means none). */
function document(json: string | undefined): Record<string, unknown> {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new CommandRejected('INVALID_ARGUMENT', `Property 'variables' is invalid: Expected document to be valid JSON, but it was: ${json.slice(0, 100)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'ARRAY' : parsed === null ? 'NIL' : typeof parsed === 'string' ? 'STRING' : typeof parsed === 'number' ? 'NUMBER' : 'BOOLEAN';
    throw new CommandRejected('INVALID_ARGUMENT', `Property 'variables' is invalid: Expected document to be a root level object, but was '${kind}'`);
  }
  return parsed as Record<string, unknown>;
}

function key(value: string | number | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CommandRejected('INVALID_ARGUMENT', `Expected '${name}' to be a valid key, but was '${value}'`);
  return n;
}

function processMetadata(p: DeployedProcess) {
  return {
    bpmnProcessId: p.bpmnProcessId,
    version: p.version,
    processDefinitionKey: String(p.processDefinitionKey),
    resourceName: p.resourceName,
    tenantId: p.tenantId,
  };
}

function toGrpcError(error: unknown, log: GatewayLogger): Partial<grpc.StatusObject> {
  if (error instanceof DeploymentRejected) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof CommandRejected) return { code: grpc.status[error.code], details: error.message };
  log.error(`gateway call failed: ${(error as Error)?.stack ?? String(error)}`);
  return { code: grpc.status.INTERNAL, details: 'Unexpected error in the embedded engine; it has been logged' };
}
