import { z } from 'zod';
import { ChannelflowError, notFound, parseArgs, parsePage, platformRegistry, staffScope, workflows, type GraphqlExtension } from '@channelflow/sdk';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { workflowRuntime } from './index';
import { fromZeebeError } from './client';

/**
 * Staff operations on processes. Reads come from the embedded engine's tables (with a Zeebe
 * cluster, Camunda Operate is the read side, so they answer NOT_SUPPORTED there); every change
 * goes through the Zeebe client, so it behaves the same on both engines.
 */
const key = z.string().regex(/^\d{1,19}$/, 'keys are numbers (as strings)');
const variables = z
  .record(z.string(), z.unknown(), { error: 'variables must be a JSON object' })
  .refine((v) => JSON.stringify(v).length <= 256 * 1024, 'variables may be at most 256 KB of JSON');

const instanceFilter = z.object({
  bpmnProcessId: z.string().max(255).optional(),
  state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']).optional(),
  businessKey: z.string().max(255).optional(),
});
const incidentFilter = z.object({
  state: z.enum(['ACTIVE', 'RESOLVED']).default('ACTIVE'),
  bpmnProcessId: z.string().max(255).optional(),
  processInstanceKey: key.optional(),
});

export const operationsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type ProcessDefinition {
      key: ID!
      bpmnProcessId: String!
      version: Int!
      resourceName: String!
      deployedAt: String!
      "The BPMN source of this version."
      xml: String!
    }
    type ProcessDefinitionPage { nodes: [ProcessDefinition!]! total: Int! page: Int! pageSize: Int! }

    enum ProcessInstanceState { ACTIVE COMPLETED TERMINATED }
    type ProcessInstance {
      key: ID!
      bpmnProcessId: String!
      version: Int!
      processDefinitionKey: ID!
      state: ProcessInstanceState!
      "The instance's businessKey variable when it was started (e.g. an order number)."
      businessKey: String
      parentProcessInstanceKey: ID
      startedAt: String!
      endedAt: String
      "The process-level variables (final values once the instance ended)."
      variables: JSON!
      "Elements waiting right now (tasks, events, subprocess scopes), oldest first; empty once ended."
      currentElements: [ElementInstance!]!
      "What happened, in order: elements activated, completed, terminated and sequence flows taken."
      history(page: Int, pageSize: Int): ProcessHistoryPage!
      incidents: [Incident!]!
    }
    type ProcessInstancePage { nodes: [ProcessInstance!]! total: Int! page: Int! pageSize: Int! }
    type ElementInstance {
      key: ID!
      elementId: String!
      elementName: String
      elementType: String!
      "The scope (subprocess or process) it runs in."
      flowScopeKey: ID
      "Variables local to this element (input mappings, multi-instance element)."
      variables: JSON!
      since: String!
    }
    type ProcessHistoryEvent { elementInstanceKey: ID! elementId: String! elementType: String! intent: String! at: String! }
    type ProcessHistoryPage { nodes: [ProcessHistoryEvent!]! total: Int! page: Int! pageSize: Int! }

    enum IncidentState { ACTIVE RESOLVED }
    type Incident {
      key: ID!
      processInstanceKey: ID!
      bpmnProcessId: String!
      elementId: String!
      elementInstanceKey: ID!
      "The job whose retries ran out, for JOB_NO_RETRIES incidents."
      jobKey: ID
      errorType: String!
      errorMessage: String!
      state: IncidentState!
      createdAt: String!
      resolvedAt: String
    }
    type IncidentPage { nodes: [Incident!]! total: Int! page: Int! pageSize: Int! }

    type WorkflowCounters {
      instancesStarted: Int!
      instancesCompleted: Int!
      instancesTerminated: Int!
      activeInstances: Int!
      jobsCreated: Int!
      jobsActivated: Int!
      jobsCompleted: Int!
      jobsFailed: Int!
      incidentsCreated: Int!
      openIncidents: Int!
      messagesPublished: Int!
    }
    type StartedProcessInstance { key: ID! bpmnProcessId: String! version: Int! processDefinitionKey: ID! }
    type PublishedMessage { key: ID! }

    extend type Query {
      "Staff: deployed processes and their versions, newest first (embedded engine)."
      processDefinitions(bpmnProcessId: String, latestOnly: Boolean, page: Int, pageSize: Int): ProcessDefinitionPage!
      "Staff: one deployed version by its key."
      processDefinition(key: ID!): ProcessDefinition!
      "Staff: process instances, newest first (embedded engine)."
      processInstances(bpmnProcessId: String, state: ProcessInstanceState, businessKey: String, page: Int, pageSize: Int): ProcessInstancePage!
      "Staff: one process instance with its current elements, variables, history and incidents."
      processInstance(key: ID!): ProcessInstance!
      "Staff: incidents (ACTIVE unless asked otherwise), newest first."
      incidents(state: IncidentState, bpmnProcessId: String, processInstanceKey: ID, page: Int, pageSize: Int): IncidentPage!
      "Staff: engine counters since the database was created."
      workflowCounters: WorkflowCounters!
    }
    extend type Mutation {
      "Staff: start the latest (or a given) version of a process; businessKey is stored as the businessKey variable."
      startProcessInstance(bpmnProcessId: String!, version: Int, variables: JSON, businessKey: String): StartedProcessInstance!
      "Staff: cancel a running instance (and the instances it called)."
      cancelProcessInstance(key: ID!): Boolean!
      "Staff: retry what an incident stopped. For a job whose retries ran out, the job first gets retries (default 1)."
      resolveIncident(key: ID!, retries: Int): Boolean!
      "Staff: set variables on an instance or one of its element scopes (e.g. to fix the data an incident complained about)."
      setProcessVariables(scopeKey: ID!, variables: JSON!, local: Boolean): Boolean!
      "Staff: publish a message; it waits timeToLiveMs (default 0) for a subscription when none matches yet."
      publishMessage(name: String!, correlationKey: String!, variables: JSON, timeToLiveMs: Int, messageId: String): PublishedMessage!
    }
  `,
  resolvers: {
    Query: {
      processDefinitions: staffScope('platform.read-processes', async (args, { strapi }) => {
        const { bpmnProcessId, latestOnly } = parseArgs(
          z.object({ bpmnProcessId: z.string().max(255).optional(), latestOnly: z.boolean().default(false) }),
          args,
        );
        const query = engineTables(strapi)('wf_process_definitions as d').modify((q) => {
          if (bpmnProcessId) q.where('d.bpmn_process_id', bpmnProcessId);
          if (latestOnly) {
            q.whereRaw('d.version = (select max(v.version) from wf_process_definitions v where v.bpmn_process_id = d.bpmn_process_id and v.tenant_id = d.tenant_id)');
          }
        });
        return pageOf(query, parsePage(args), [{ column: 'd.bpmn_process_id' }, { column: 'd.version', order: 'desc' }], toDefinition, 'd.*');
      }),
      processDefinition: staffScope('platform.read-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key }), args);
        const row = await engineTables(strapi)('wf_process_definitions').where({ key: input.key }).first();
        if (!row) throw notFound('Process definition', input.key);
        return toDefinition(row);
      }),
      processInstances: staffScope('platform.read-processes', async (args, { strapi }) => {
        const filter = parseArgs(instanceFilter, args);
        const query = engineTables(strapi)('wf_process_instances').modify((q) => {
          if (filter.bpmnProcessId) q.where('bpmn_process_id', filter.bpmnProcessId);
          if (filter.state) q.where('state', filter.state);
          if (filter.businessKey) q.where('business_key', filter.businessKey);
        });
        return pageOf(query, parsePage(args), [{ column: 'started_at', order: 'desc' }, { column: 'key', order: 'desc' }], (row) => toInstance(strapi, row));
      }),
      processInstance: staffScope('platform.read-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key }), args);
        const row = await engineTables(strapi)('wf_process_instances').where({ key: input.key }).first();
        if (!row) throw notFound('Process instance', input.key);
        return toInstance(strapi, row);
      }),
      incidents: staffScope('platform.read-processes', async (args, { strapi }) => {
        const filter = parseArgs(incidentFilter, args);
        const query = engineTables(strapi)('wf_incidents')
          .where('state', filter.state)
          .modify((q) => {
            if (filter.bpmnProcessId) q.where('bpmn_process_id', filter.bpmnProcessId);
            if (filter.processInstanceKey) q.where('process_instance_key', filter.processInstanceKey);
          });
        return pageOf(query, parsePage(args), [{ column: 'created_at', order: 'desc' }, { column: 'key', order: 'desc' }], toIncident);
      }),
      workflowCounters: staffScope('platform.read-processes', async (_args, { strapi }) => {
        const knex = engineTables(strapi);
        const counters = await workflowRuntime(strapi).engine!.counters();
        const [[open], [active]] = await Promise.all([
          knex('wf_incidents').where('state', 'ACTIVE').count({ n: '*' }),
          knex('wf_process_instances').where('state', 'ACTIVE').count({ n: '*' }),
        ]);
        const c = (name: string) => counters[name] ?? 0;
        return {
          instancesStarted: c('instances.started'),
          instancesCompleted: c('instances.completed'),
          instancesTerminated: c('instances.terminated'),
          activeInstances: Number(active!.n),
          jobsCreated: c('jobs.created'),
          jobsActivated: c('jobs.activated'),
          jobsCompleted: c('jobs.completed'),
          jobsFailed: c('jobs.failed'),
          incidentsCreated: c('incidents.created'),
          openIncidents: Number(open!.n),
          messagesPublished: c('messages.published'),
        };
      }),
    },
    Mutation: {
      startProcessInstance: staffScope('platform.operate-processes', async (args, { strapi }) => {
        const input = parseArgs(
          z.object({
            bpmnProcessId: z.string().min(1).max(255),
            version: z.number().int().min(1).optional(),
            variables: variables.default({}),
            businessKey: z.string().min(1).max(255).optional(),
          }),
          args,
        );
        const started = await workflows(strapi).startProcess(input);
        return { ...started, key: started.processInstanceKey };
      }),
      cancelProcessInstance: staffScope('platform.operate-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key }), args);
        await zeebe(strapi, (client) => client.cancelProcessInstance(input.key));
        return true;
      }),
      resolveIncident: staffScope('platform.operate-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key, retries: z.number().int().min(1).max(100).default(1) }), args);
        // With a Zeebe cluster the incident is not ours to read; its job (if any) is found through Operate.
        const incident = workflowRuntime(strapi).engine ? await engineTables(strapi)('wf_incidents').where({ key: input.key }).first() : null;
        if (workflowRuntime(strapi).engine && !incident) throw notFound('Incident', input.key);
        if (incident?.state === 'RESOLVED') throw new ChannelflowError('CONFLICT', `Incident ${input.key} is already resolved`);
        if (incident?.job_key) await zeebe(strapi, (client) => client.updateJobRetries({ jobKey: String(incident.job_key), retries: input.retries }));
        await zeebe(strapi, (client) => client.resolveIncident({ incidentKey: input.key }));
        return true;
      }),
      setProcessVariables: staffScope('platform.operate-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ scopeKey: key, variables, local: z.boolean().default(false) }), args);
        await zeebe(strapi, (client) =>
          client.setVariables({ elementInstanceKey: input.scopeKey, variables: input.variables, local: input.local } as any),
        );
        return true;
      }),
      publishMessage: staffScope('platform.operate-processes', async (args, { strapi }) => {
        const input = parseArgs(
          z.object({
            name: z.string().min(1).max(255),
            correlationKey: z.string().max(255),
            variables: variables.default({}),
            timeToLiveMs: z.number().int().min(0).max(365 * 24 * 3600 * 1000).default(0),
            messageId: z.string().min(1).max(255).optional(),
          }),
          args,
        );
        return workflows(strapi).publishMessage(input);
      }),
    },
    ProcessInstance: {
      async variables(instance: InstanceView, ) {
        if (instance.state !== 'ACTIVE') return instance.finalVariables ?? {};
        const root = await engineTables(instance.strapi)('wf_element_instances').where({ key: instance.key }).first('variables');
        return root?.variables ? JSON.parse(root.variables) : {};
      },
      async currentElements(instance: InstanceView, ) {
        if (instance.state !== 'ACTIVE') return [];
        const strapi = instance.strapi;
        const rows = await engineTables(strapi)('wf_element_instances')
          .where({ process_instance_key: instance.key })
          .whereNot({ key: instance.key })
          .orderBy([{ column: 'created_at' }, { column: 'key' }]);
        const model = await workflowRuntime(strapi).engine!.model(Number(instance.processDefinitionKey));
        return rows.map((row: any) => ({
          key: String(row.key),
          elementId: row.element_id,
          elementName: model.elements.get(row.element_id)?.name ?? null,
          elementType: row.element_type,
          flowScopeKey: row.flow_scope_key === null ? null : String(row.flow_scope_key),
          variables: row.variables ? JSON.parse(row.variables) : {},
          since: new Date(Number(row.created_at)).toISOString(),
        }));
      },
      async history(instance: InstanceView, args: any) {
        const query = engineTables(instance.strapi)('wf_history').where({ process_instance_key: instance.key });
        return pageOf(query, parsePage(args), [{ column: 'id' }], (row: any) => ({
          elementInstanceKey: String(row.element_instance_key),
          elementId: row.element_id,
          elementType: row.element_type,
          intent: row.intent,
          at: new Date(Number(row.at)).toISOString(),
        }));
      },
      async incidents(instance: InstanceView, ) {
        const rows = await engineTables(instance.strapi)('wf_incidents')
          .where({ process_instance_key: instance.key })
          .orderBy([{ column: 'created_at' }, { column: 'key' }]);
        return rows.map(toIncident);
      },
    },
  },
};

/** The embedded engine's tables; with a Zeebe cluster they do not exist here. */
function engineTables(strapi: Core.Strapi): Knex {
  if (platformRegistry(strapi).workflowRuntime()?.mode !== 'embedded') {
    throw new ChannelflowError('NOT_SUPPORTED', 'Processes are read from the embedded engine; with WORKFLOW_ENGINE=zeebe use Camunda Operate');
  }
  return strapi.db.connection;
}

/** A change through the one Zeebe client, its gRPC refusals turned into coded errors. */
async function zeebe<T>(strapi: Core.Strapi, call: (client: ReturnType<typeof workflowRuntime>['client']) => Promise<T>): Promise<T> {
  try {
    return await call(workflowRuntime(strapi).client);
  } catch (error) {
    throw fromZeebeError(error);
  }
}

async function pageOf<T>(
  query: Knex.QueryBuilder,
  { page, pageSize }: { page: number; pageSize: number },
  orderBy: Array<{ column: string; order?: 'asc' | 'desc' }>,
  map: (row: any) => T,
  select = '*',
) {
  const [[counted], rows] = await Promise.all([
    query.clone().count({ n: '*' }),
    query.clone().orderBy(orderBy).offset((page - 1) * pageSize).limit(pageSize).select(select),
  ]);
  return { nodes: rows.map(map), total: Number((counted as any).n), page, pageSize };
}

interface InstanceView {
  strapi: Core.Strapi;
  key: string;
  processDefinitionKey: string;
  state: string;
  finalVariables: Record<string, unknown> | null;
}

function toDefinition(row: any) {
  return {
    key: String(row.key),
    bpmnProcessId: row.bpmn_process_id,
    version: row.version,
    resourceName: row.resource_name,
    deployedAt: new Date(row.created_at).toISOString(),
    xml: row.xml,
  };
}

function toInstance(strapi: Core.Strapi, row: any): InstanceView & Record<string, unknown> {
  return {
    strapi,
    key: String(row.key),
    bpmnProcessId: row.bpmn_process_id,
    version: row.version,
    processDefinitionKey: String(row.process_definition_key),
    state: row.state,
    businessKey: row.business_key,
    parentProcessInstanceKey: row.parent_process_instance_key === null ? null : String(row.parent_process_instance_key),
    startedAt: new Date(Number(row.started_at)).toISOString(),
    endedAt: row.ended_at === null ? null : new Date(Number(row.ended_at)).toISOString(),
    finalVariables: row.variables ? JSON.parse(row.variables) : null,
  };
}

function toIncident(row: any) {
  return {
    key: String(row.key),
    processInstanceKey: String(row.process_instance_key),
    bpmnProcessId: row.bpmn_process_id,
    elementId: row.element_id,
    elementInstanceKey: String(row.element_instance_key),
    jobKey: row.job_key === null ? null : String(row.job_key),
    errorType: row.error_type,
    errorMessage: row.error_message,
    state: row.state,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    resolvedAt: row.resolved_at === null ? null : new Date(Number(row.resolved_at)).toISOString(),
  };
}
