import fs from 'node:fs';
import { DEFAULT_TENANT, DeploymentRejected } from '../engine/deployments';
import type { Engine } from '../engine/engine';
import { CommandRejected, type RejectionCode } from '../engine/errors';
import { engineQueries, USER_TASK_SORT_FIELDS } from '../engine/queries';
import type { GatewayCredentials } from '../gateway/credentials';
import { pollJobs } from '../gateway/server';

/**
 * The core of Camunda 8.8's Orchestration Cluster REST API (v2) over the embedded engine, on the
 * platform's own port beside the gRPC gateway: what @camunda8/sdk's CamundaRestClient calls for
 * topology, deployments, process instances, jobs, messages, signals, incidents, variables and
 * Camunda user tasks.
 * Same credentials as the gRPC gateway (a Bearer token); errors are RFC 7807 problem documents.
 */
export interface RestApiDeps {
  engine: Engine;
  credentials: GatewayCredentials;
  knex: Parameters<typeof engineQueries>[0];
  log: { error(message: string): void };
  /** host/port the gRPC gateway listens on, reported by the topology. */
  gateway: { host: string; port: number } | null;
}

interface RestContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
  request: { body?: any; files?: Record<string, any> };
  get(name: string): string;
  set(name: string, value: string): void;
  req: { on(event: 'close', listener: () => void): void };
  res: { writableEnded: boolean };
}

type Handler = (input: { body: any; params: Record<string, string>; ctx: RestContext }) => Promise<unknown>;
interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: RegExp;
  params: string[];
  handle: Handler;
  /** The HTTP status of a successful answer with no body. */
  empty?: boolean;
}

export const REST_API_VERSION = '8.8.0';
const HTTP_STATUS: Record<RejectionCode, number> = {
  NOT_FOUND: 404,
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 503,
  DEADLINE_EXCEEDED: 504,
  UNAVAILABLE: 503,
  PERMISSION_DENIED: 403,
};

export function restApi(deps: RestApiDeps) {
  const { engine } = deps;
  const queries = engineQueries(deps.knex);
  const routes: Route[] = [];
  const route = (method: Route['method'], path: string, handle: Handler, empty = false) => {
    const params: string[] = [];
    const pattern = new RegExp(`^/v2${path.replace(/\{(\w+)\}/g, (_, name: string) => (params.push(name), '([^/]+)'))}$`);
    routes.push({ method, pattern, params, handle, empty });
  };

  route('GET', '/topology', async () => ({
    brokers: [
      {
        nodeId: 0,
        host: deps.gateway?.host ?? '127.0.0.1',
        port: deps.gateway?.port ?? 26500,
        partitions: [{ partitionId: 1, role: 'leader', health: 'healthy' }],
        version: REST_API_VERSION,
      },
    ],
    clusterSize: 1,
    partitionsCount: 1,
    replicationFactor: 1,
    gatewayVersion: REST_API_VERSION,
    lastCompletedChangeId: '-1',
  }));

  route('POST', '/deployments', async ({ body, ctx }) => {
    const files = toArray(ctx.request.files?.resources);
    if (!files.length) throw new CommandRejected('INVALID_ARGUMENT', "Expected to deploy at least one resource in the multipart field 'resources'");
    const resources = files.map((file: any) => ({ name: String(file.originalFilename ?? file.name ?? 'resource.bpmn'), content: fs.readFileSync(file.filepath ?? file.path) }));
    const tenantId = text(body?.tenantId) || DEFAULT_TENANT;
    const result = await engine.deploy(resources, tenantId);
    return {
      deploymentKey: String(result.key),
      tenantId,
      deployments: [
        ...result.processes.map((p) => ({
          processDefinition: {
            processDefinitionId: p.bpmnProcessId,
            processDefinitionVersion: p.version,
            resourceName: p.resourceName,
            tenantId: p.tenantId,
            processDefinitionKey: String(p.processDefinitionKey),
          },
        })),
        ...result.decisions.map((d) => ({
          decisionDefinition: {
            decisionDefinitionId: d.decisionId,
            version: d.version,
            name: d.decisionName,
            tenantId: d.tenantId,
            decisionRequirementsId: d.decisionRequirementsId,
            decisionDefinitionKey: String(d.decisionKey),
            decisionRequirementsKey: String(d.decisionRequirementsKey),
          },
        })),
        ...result.decisionRequirements.map((r) => ({
          decisionRequirements: {
            decisionRequirementsId: r.decisionRequirementsId,
            version: r.version,
            decisionRequirementsName: r.decisionRequirementsName,
            tenantId: r.tenantId,
            decisionRequirementsKey: String(r.decisionRequirementsKey),
            resourceName: r.resourceName,
          },
        })),
        ...result.forms.map((f) => ({ form: { formId: f.formId, version: f.version, formKey: String(f.formKey), resourceName: f.resourceName, tenantId: f.tenantId } })),
      ],
    };
  });

  route('POST', '/decision-definitions/evaluation', async ({ body }) => {
    const request = object(body);
    const decisionKey = optionalKey(request.decisionDefinitionKey, 'decisionDefinitionKey');
    if (!decisionKey && !text(request.decisionDefinitionId)) throw new CommandRejected('INVALID_ARGUMENT', 'At least one of [decisionDefinitionId, decisionDefinitionKey] is required');
    const result = await engine.evaluateDecision({ decisionId: text(request.decisionDefinitionId) || undefined, decisionKey, variables: variables(request.variables), tenantId: text(request.tenantId) || DEFAULT_TENANT });
    return {
      decisionDefinitionId: result.decisionId,
      decisionDefinitionKey: String(result.decisionKey),
      decisionDefinitionName: result.decisionName,
      decisionDefinitionVersion: result.decisionVersion,
      decisionRequirementsId: result.decisionRequirementsId,
      decisionRequirementsKey: String(result.decisionRequirementsKey),
      output: JSON.stringify(result.output ?? null),
      failedDecisionDefinitionId: result.failedDecisionId,
      failureMessage: result.failureMessage,
      tenantId: result.tenantId,
      decisionInstanceKey: String(result.decisionInstanceKey),
      evaluatedDecisions: result.evaluatedDecisions.map((e) => ({
        decisionDefinitionId: e.decisionId,
        decisionDefinitionKey: String(e.decisionKey),
        decisionDefinitionName: e.decisionName,
        decisionDefinitionVersion: e.decisionVersion,
        decisionDefinitionType: e.decisionType,
        output: JSON.stringify(e.output ?? null),
        tenantId: e.tenantId,
        matchedRules: e.matchedRules.map((r) => ({
          ruleId: r.ruleId,
          ruleIndex: r.ruleIndex,
          evaluatedOutputs: r.evaluatedOutputs.map((o) => ({ outputId: o.outputId, outputName: o.outputName, outputValue: JSON.stringify(o.outputValue ?? null) })),
        })),
        evaluatedInputs: e.evaluatedInputs.map((i) => ({ inputId: i.inputId, inputName: i.inputName, inputValue: JSON.stringify(i.inputValue ?? null) })),
      })),
    };
  });

  route('POST', '/process-instances', async ({ body }) => {
    const request = object(body);
    const definitionKey = optionalKey(request.processDefinitionKey, 'processDefinitionKey');
    if (!definitionKey && !text(request.processDefinitionId)) {
      throw new CommandRejected('INVALID_ARGUMENT', "At least one of [processDefinitionId, processDefinitionKey] is required");
    }
    const creation = {
      bpmnProcessId: text(request.processDefinitionId) || undefined,
      processDefinitionKey: definitionKey,
      version: Number(request.processDefinitionVersion) > 0 ? Number(request.processDefinitionVersion) : -1,
      variables: variables(request.variables),
      tenantId: text(request.tenantId) || DEFAULT_TENANT,
    };
    const answer = (created: { processDefinitionKey: number; bpmnProcessId: string; version: number; processInstanceKey: number; tenantId: string }) => ({
      processDefinitionKey: String(created.processDefinitionKey),
      processDefinitionId: created.bpmnProcessId,
      processDefinitionVersion: created.version,
      processInstanceKey: String(created.processInstanceKey),
      tenantId: created.tenantId,
    });
    if (!request.awaitCompletion) return { ...answer(await engine.createInstance(creation)), variables: {} };
    const timeout = Number(request.requestTimeout) > 0 ? Number(request.requestTimeout) : 10_000;
    const done = await engine.createInstanceWithResult(creation, timeout);
    const wanted: string[] = Array.isArray(request.fetchVariables) ? request.fetchVariables.map(String) : [];
    const result = wanted.length ? Object.fromEntries(wanted.filter((n) => n in done.variables).map((n) => [n, done.variables[n]])) : done.variables;
    return { ...answer(done), variables: result };
  });

  route(
    'POST',
    '/process-instances/{processInstanceKey}/cancellation',
    async ({ params }) => {
      await engine.cancelInstance(key(params.processInstanceKey, 'processInstanceKey'));
    },
    true,
  );

  route('POST', '/process-instances/search', async ({ body }) => {
    const request = object(body);
    const filter = object(request.filter);
    const page = searchPage(request.page);
    const found = await queries.processInstances(
      {
        processInstanceKey: optionalKey(filter.processInstanceKey, 'filter.processInstanceKey'),
        processDefinitionId: text(filter.processDefinitionId) || undefined,
        processDefinitionKey: optionalKey(filter.processDefinitionKey, 'filter.processDefinitionKey'),
        state: oneOf(filter.state, ['ACTIVE', 'COMPLETED', 'TERMINATED'] as const, 'filter.state'),
        parentProcessInstanceKey: optionalKey(filter.parentProcessInstanceKey, 'filter.parentProcessInstanceKey'),
        tenantId: text(filter.tenantId) || undefined,
      },
      page,
    );
    return { items: found.items, page: { totalItems: found.total } };
  });

  route('GET', '/process-definitions/{processDefinitionKey}/xml', async ({ params, ctx }) => {
    const xml = await queries.processDefinitionXml(key(params.processDefinitionKey, 'processDefinitionKey'));
    if (xml === null) throw new CommandRejected('NOT_FOUND', `Process definition with key '${params.processDefinitionKey}' not found`);
    ctx.set('Content-Type', 'text/xml; charset=utf-8');
    return xml;
  });

  route('POST', '/jobs/activation', async ({ body, ctx }) => {
    const request = object(body);
    let cancelled = false;
    const wakers: Array<() => void> = [];
    ctx.req.on('close', () => {
      if (ctx.res.writableEnded) return;
      cancelled = true;
      for (const wake of wakers) wake();
    });
    const jobs = await pollJobs(
      engine,
      {
        type: text(request.type),
        worker: text(request.worker),
        timeout: Number(request.timeout ?? 0),
        maxJobsToActivate: Number(request.maxJobsToActivate ?? 0),
        fetchVariable: Array.isArray(request.fetchVariable) ? request.fetchVariable.map(String) : [],
        tenantIds: (Array.isArray(request.tenantIds) ? request.tenantIds.map(String) : []).map((t: string) => t || DEFAULT_TENANT),
      },
      Number(request.requestTimeout ?? 0),
      { cancelled: () => cancelled, onCancel: (wake) => wakers.push(wake) },
    );
    return {
      jobs: jobs.map((job) => ({
        jobKey: job.key,
        type: job.type,
        processInstanceKey: job.processInstanceKey,
        processDefinitionId: job.bpmnProcessId,
        processDefinitionVersion: job.processDefinitionVersion,
        processDefinitionKey: job.processDefinitionKey,
        elementId: job.elementId,
        elementInstanceKey: job.elementInstanceKey,
        customHeaders: JSON.parse(job.customHeaders || '{}'),
        worker: job.worker,
        retries: job.retries,
        deadline: Number(job.deadline),
        variables: JSON.parse(job.variables || '{}'),
        tenantId: job.tenantId,
        kind: job.kind,
        listenerEventType: job.listenerEventType,
        ...(job.userTask ? { userTask: job.userTask } : {}),
      })),
    };
  });

  route(
    'POST',
    '/jobs/{jobKey}/completion',
    async ({ params, body }) => {
      const request = object(body);
      // A task listener's decision: deny the transition, or correct the task's attributes.
      const result = request.result ? object(request.result) : null;
      await engine.completeJob(
        key(params.jobKey, 'jobKey'),
        variables(request.variables),
        result ? { denied: Boolean(result.denied), deniedReason: text(result.deniedReason), corrections: result.corrections ? object(result.corrections) : undefined } : null,
      );
    },
    true,
  );

  route(
    'POST',
    '/jobs/{jobKey}/failure',
    async ({ params, body }) => {
      const request = object(body);
      await engine.failJob({
        key: key(params.jobKey, 'jobKey'),
        retries: Number(request.retries ?? 0),
        errorMessage: text(request.errorMessage),
        retryBackOff: Number(request.retryBackOff ?? 0),
        variables: variables(request.variables),
      });
    },
    true,
  );

  route(
    'POST',
    '/jobs/{jobKey}/error',
    async ({ params, body }) => {
      const request = object(body);
      if (!text(request.errorCode)) throw new CommandRejected('INVALID_ARGUMENT', "No errorCode provided");
      await engine.throwError({ key: key(params.jobKey, 'jobKey'), errorCode: text(request.errorCode), errorMessage: text(request.errorMessage), variables: variables(request.variables) });
    },
    true,
  );

  route(
    'PATCH',
    '/jobs/{jobKey}',
    async ({ params, body }) => {
      const changeset = object(object(body).changeset);
      const jobKey = key(params.jobKey, 'jobKey');
      if (changeset.retries === undefined && changeset.timeout === undefined) throw new CommandRejected('INVALID_ARGUMENT', 'At least one of [retries, timeout] is required');
      if (changeset.retries !== undefined && changeset.retries !== null) await engine.updateJobRetries(jobKey, Number(changeset.retries));
      if (changeset.timeout !== undefined && changeset.timeout !== null) await engine.updateJobTimeout(jobKey, Number(changeset.timeout));
    },
    true,
  );

  route('POST', '/messages/publication', async ({ body }) => {
    const request = object(body);
    if (!text(request.name)) throw new CommandRejected('INVALID_ARGUMENT', 'No name provided');
    const published = await engine.publishMessage({
      name: text(request.name),
      correlationKey: text(request.correlationKey),
      timeToLive: Math.max(0, Number(request.timeToLive ?? 0)),
      messageId: text(request.messageId),
      variables: variables(request.variables),
      tenantId: text(request.tenantId) || DEFAULT_TENANT,
    });
    return { messageKey: String(published.key), tenantId: published.tenantId };
  });

  route('POST', '/messages/correlation', async ({ body }) => {
    const request = object(body);
    if (!text(request.name)) throw new CommandRejected('INVALID_ARGUMENT', 'No name provided');
    // Correlation is a publication that must reach an instance now and is never buffered.
    const published = await engine.publishMessage({
      name: text(request.name),
      correlationKey: text(request.correlationKey),
      timeToLive: 0,
      messageId: '',
      variables: variables(request.variables),
      tenantId: text(request.tenantId) || DEFAULT_TENANT,
    });
    const [processInstanceKey] = published.processInstanceKeys;
    if (processInstanceKey === undefined) {
      throw new CommandRejected(
        'NOT_FOUND',
        `Expected to find subscription for message with name '${text(request.name)}' and correlation key '${text(request.correlationKey)}', but none was found.`,
      );
    }
    return { messageKey: String(published.key), tenantId: published.tenantId, processInstanceKey: String(processInstanceKey) };
  });

  route('POST', '/signals/broadcast', async ({ body }) => {
    const request = object(body);
    if (!text(request.signalName)) throw new CommandRejected('INVALID_ARGUMENT', 'No signalName provided');
    const result = await engine.broadcastSignal({ signalName: text(request.signalName), variables: variables(request.variables), tenantId: text(request.tenantId) || DEFAULT_TENANT });
    return { signalKey: String(result.key), tenantId: result.tenantId };
  });

  route(
    'POST',
    '/incidents/{incidentKey}/resolution',
    async ({ params }) => {
      await engine.resolveIncident(key(params.incidentKey, 'incidentKey'));
    },
    true,
  );

  route('POST', '/incidents/search', async ({ body }) => {
    const request = object(body);
    const filter = object(request.filter);
    const found = await queries.incidents(
      {
        incidentKey: optionalKey(filter.incidentKey, 'filter.incidentKey'),
        processInstanceKey: optionalKey(filter.processInstanceKey, 'filter.processInstanceKey'),
        processDefinitionId: text(filter.processDefinitionId) || undefined,
        elementId: text(filter.elementId) || undefined,
        errorType: text(filter.errorType) || undefined,
        state: oneOf(filter.state, ['ACTIVE', 'RESOLVED'] as const, 'filter.state'),
        tenantId: text(filter.tenantId) || undefined,
      },
      searchPage(request.page),
    );
    return { items: found.items, page: { totalItems: found.total } };
  });

  route('POST', '/decision-instances/search', async ({ body }) => {
    const request = object(body);
    const filter = object(request.filter);
    const found = await queries.decisionInstances(
      {
        decisionInstanceKey: optionalKey(filter.decisionInstanceKey, 'filter.decisionInstanceKey'),
        processInstanceKey: optionalKey(filter.processInstanceKey, 'filter.processInstanceKey'),
        elementInstanceKey: optionalKey(filter.elementInstanceKey, 'filter.elementInstanceKey'),
        processDefinitionKey: optionalKey(filter.processDefinitionKey, 'filter.processDefinitionKey'),
        decisionDefinitionId: text(filter.decisionDefinitionId) || undefined,
        decisionDefinitionKey: optionalKey(filter.decisionDefinitionKey, 'filter.decisionDefinitionKey'),
        state: oneOf(filter.state, ['EVALUATED', 'FAILED'] as const, 'filter.state'),
        tenantId: text(filter.tenantId) || undefined,
      },
      searchPage(request.page),
    );
    return { items: found.items, page: { totalItems: found.total } };
  });

  route('GET', '/decision-instances/{decisionInstanceId}', async ({ params }) => {
    const found = await queries.decisionInstance(params.decisionInstanceId!);
    if (!found) throw new CommandRejected('NOT_FOUND', `Decision instance with id '${params.decisionInstanceId}' not found`);
    return found;
  });

  // Camunda's controlled clock (tests): pin the engine's time, or go back to the system's.
  route(
    'PUT',
    '/clock',
    async ({ body }) => {
      const timestamp = object(body).timestamp;
      if (typeof timestamp !== 'number') throw new CommandRejected('INVALID_ARGUMENT', 'No timestamp provided (epoch milliseconds)');
      engine.pinClock(timestamp);
    },
    true,
  );

  route(
    'POST',
    '/clock/reset',
    async () => {
      engine.resetClock();
    },
    true,
  );

  // ---------------------------------------------------------------- Camunda user tasks

  route('POST', '/user-tasks/search', async ({ body }) => {
    const request = object(body);
    const filter = object(request.filter);
    const sort = toArray(request.sort).map((s: any) => ({
      field: oneOf(object(s).field, Object.keys(USER_TASK_SORT_FIELDS) as Array<keyof typeof USER_TASK_SORT_FIELDS>, 'sort.field')!,
      order: oneOf(String(object(s).order ?? 'asc').toLowerCase(), ['asc', 'desc'] as const, 'sort.order') ?? 'asc',
    }));
    const found = await queries.userTasks(
      {
        userTaskKey: optionalKey(filter.userTaskKey, 'filter.userTaskKey'),
        state: stringFilter(filter.state, 'filter.state'),
        assignee: object(filter.assignee).$exists === false ? null : stringFilter(filter.assignee, 'filter.assignee'),
        candidateGroup: stringFilter(filter.candidateGroup, 'filter.candidateGroup')?.[0],
        candidateUser: stringFilter(filter.candidateUser, 'filter.candidateUser')?.[0],
        elementId: text(filter.elementId) || undefined,
        processDefinitionId: text(filter.processDefinitionId) || undefined,
        processDefinitionKey: optionalKey(filter.processDefinitionKey, 'filter.processDefinitionKey'),
        processInstanceKey: optionalKey(filter.processInstanceKey, 'filter.processInstanceKey'),
        elementInstanceKey: optionalKey(filter.elementInstanceKey, 'filter.elementInstanceKey'),
        tenantId: text(filter.tenantId) || undefined,
        priority: typeof filter.priority === 'number' ? { $eq: filter.priority } : filter.priority ? object(filter.priority) : undefined,
      },
      searchPage(request.page),
      sort,
    );
    return { items: found.items, page: { totalItems: found.total } };
  });

  route('GET', '/user-tasks/{userTaskKey}/form', async ({ params }) => {
    const userTaskKey = key(params.userTaskKey, 'userTaskKey');
    if (!(await queries.userTask(userTaskKey))) throw new CommandRejected('NOT_FOUND', `User task with key '${userTaskKey}' not found`);
    // null (204): the task links no deployed form (an external form, or none).
    return queries.userTaskForm(userTaskKey);
  });

  route('GET', '/user-tasks/{userTaskKey}', async ({ params }) => {
    const userTaskKey = key(params.userTaskKey, 'userTaskKey');
    const task = await queries.userTask(userTaskKey);
    if (!task) throw new CommandRejected('NOT_FOUND', `User task with key '${userTaskKey}' not found`);
    return task;
  });

  route('POST', '/user-tasks/{userTaskKey}/variables/search', async ({ params, body }) => {
    const userTaskKey = key(params.userTaskKey, 'userTaskKey');
    const found = await queries.userTaskVariables(userTaskKey);
    if (!found) throw new CommandRejected('NOT_FOUND', `User task with key '${userTaskKey}' not found`);
    const names = stringFilter(object(object(body).filter).name, 'filter.name');
    const matching = names ? found.filter((v) => names.includes(v.name)) : found;
    const page = searchPage(object(body).page);
    return {
      items: matching.slice(page.from, page.from + page.limit).map((v) => ({
        variableKey: `${v.scopeKey}-${v.name}`,
        name: v.name,
        value: JSON.stringify(v.value),
        isTruncated: false,
        scopeKey: String(v.scopeKey),
        processInstanceKey: String(v.processInstanceKey),
        tenantId: v.tenantId,
      })),
      page: { totalItems: matching.length },
    };
  });

  route(
    'POST',
    '/user-tasks/{userTaskKey}/assignment',
    async ({ params, body }) => {
      const request = object(body);
      if (!text(request.assignee)) throw new CommandRejected('INVALID_ARGUMENT', 'No assignee provided');
      await engine.assignUserTask({
        key: key(params.userTaskKey, 'userTaskKey'),
        assignee: text(request.assignee).slice(0, 255),
        allowOverride: request.allowOverride !== false,
        action: text(request.action) || 'assign',
      });
    },
    true,
  );

  route(
    'DELETE',
    '/user-tasks/{userTaskKey}/assignee',
    async ({ params }) => {
      await engine.unassignUserTask(key(params.userTaskKey, 'userTaskKey'));
    },
    true,
  );

  route(
    'POST',
    '/user-tasks/{userTaskKey}/completion',
    async ({ params, body }) => {
      const request = object(body);
      await engine.completeUserTask({ key: key(params.userTaskKey, 'userTaskKey'), variables: variables(request.variables), action: text(request.action) || 'complete' });
    },
    true,
  );

  route(
    'PATCH',
    '/user-tasks/{userTaskKey}',
    async ({ params, body }) => {
      const request = object(body);
      await engine.updateUserTask({ key: key(params.userTaskKey, 'userTaskKey'), changeset: object(request.changeset), action: text(request.action) || 'update' });
    },
    true,
  );

  // @camunda8/sdk 8.8's updateUserTask sends the bare changeset to this path.
  route(
    'PATCH',
    '/user-tasks/{userTaskKey}/update',
    async ({ params, body }) => {
      await engine.updateUserTask({ key: key(params.userTaskKey, 'userTaskKey'), changeset: object(body), action: 'update' });
    },
    true,
  );

  route(
    'PUT',
    '/element-instances/{elementInstanceKey}/variables',
    async ({ params, body }) => {
      const request = object(body);
      await engine.setVariables(key(params.elementInstanceKey, 'elementInstanceKey'), variables(request.variables), Boolean(request.local));
    },
    true,
  );

  /** Koa middleware: answers every `/v2/...` request; anything else goes on. */
  return async function handle(ctx: RestContext, next: () => Promise<void>): Promise<void> {
    if (!ctx.path.startsWith('/v2/')) return next();
    const problem = (status: number, title: string, detail: string) => {
      ctx.status = status;
      ctx.body = { type: 'about:blank', title, status, detail, instance: ctx.path };
      ctx.set('Content-Type', 'application/problem+json');
    };
    const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization') ?? '')?.[1]?.trim();
    if (!bearer || !deps.credentials.accepts(bearer)) {
      ctx.set('WWW-Authenticate', 'Bearer');
      return problem(401, 'UNAUTHENTICATED', 'Send Authorization: Bearer <token> with WORKFLOW_GATEWAY_TOKEN, or an access token from POST /api/workflow/oauth/token');
    }
    const matching = routes.filter((r) => r.pattern.test(ctx.path));
    const found = matching.find((r) => r.method === ctx.method);
    if (!found) {
      if (matching.length) {
        ctx.set('Allow', matching.map((r) => r.method).join(', '));
        return problem(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`);
      }
      return problem(404, 'NOT_FOUND', `The embedded engine's REST API has no endpoint ${ctx.method} ${ctx.path}`);
    }
    const values = found.pattern.exec(ctx.path)!.slice(1);
    const params = Object.fromEntries(found.params.map((name, i) => [name, decodeURIComponent(values[i]!)]));
    try {
      const result = await found.handle({ body: ctx.request.body ?? {}, params, ctx });
      // (A route answers null for "found, but nothing to give": 204 too.)
      if (found.empty || result === null) {
        ctx.status = 204;
        ctx.body = null;
      } else {
        ctx.status = 200;
        ctx.body = result;
      }
    } catch (error) {
      if (error instanceof DeploymentRejected) return problem(400, 'INVALID_ARGUMENT', error.message);
      if (error instanceof CommandRejected) return problem(HTTP_STATUS[error.code] ?? 400, error.code, error.message);
      deps.log.error(`REST API call ${ctx.method} ${ctx.path} failed: ${(error as Error)?.stack ?? String(error)}`);
      return problem(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error in the embedded engine; it has been logged');
    }
  };
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function object(value: unknown): Record<string, any> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, any>) : {};
}

function variables(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CommandRejected('INVALID_ARGUMENT', `Property 'variables' is invalid: Expected document to be a root level object, but was '${Array.isArray(value) ? 'ARRAY' : typeof value}'`);
  }
  return value as Record<string, unknown>;
}

function key(value: string | number | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CommandRejected('INVALID_ARGUMENT', `Expected '${name}' to be a valid key, but was '${value}'`);
  return n;
}

function optionalKey(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return key(value as string, name);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!allowed.includes(value as T)) throw new CommandRejected('INVALID_ARGUMENT', `Expected '${name}' to be one of ${allowed.join(', ')}, but was '${value}'`);
  return value as T;
}

/** A string filter property: a value, or { $eq } / { $in }. */
function stringFilter(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return [value];
  const advanced = object(value);
  if (typeof advanced.$eq === 'string') return [advanced.$eq];
  if (Array.isArray(advanced.$in)) return advanced.$in.map(String);
  throw new CommandRejected('INVALID_ARGUMENT', `Expected '${name}' to be a string or { $eq } / { $in }`);
}

function searchPage(value: unknown): { from: number; limit: number } {
  const page = object(value);
  const from = Math.max(0, Math.trunc(Number(page.from ?? 0)) || 0);
  const limit = Math.min(1000, Math.max(1, Math.trunc(Number(page.limit ?? 100)) || 100));
  return { from, limit };
}
