import { z } from 'zod';
import { ChannelflowError, notFound, parseArgs, parsePage, platformRegistry, staffScope, workflows, type GraphqlExtension } from '@channelflow/sdk';
import type { Core } from '@strapi/strapi';
import { workflowRuntime } from './index';
import { fromZeebeError } from './client';
import { engineQueries } from './engine/queries';

/**
 * Staff operations on processes. Reads come from the embedded engine's read models (with a Zeebe
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
      "Decisions its business-rule tasks evaluated (required decisions of a DRG each on their own), in order."
      decisions: [EvaluatedDecision!]!
    }
    type EvaluatedDecision {
      "The decision instance id of the REST API (<evaluation key>-<index>)."
      id: ID!
      decisionId: String!
      decisionName: String!
      version: Int!
      "DECISION_TABLE or LITERAL_EXPRESSION."
      type: String!
      "EVALUATED or FAILED."
      state: String!
      elementId: String
      evaluatedAt: String!
      result: JSON
      failure: String
      "[{ inputId, inputName, inputValue }]"
      inputs: JSON!
      "[{ ruleId, ruleIndex, evaluatedOutputs: [{ outputId, outputName, outputValue }] }]"
      matchedRules: JSON!
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
        const filter = parseArgs(z.object({ bpmnProcessId: z.string().max(255).optional(), latestOnly: z.boolean().default(false) }), args);
        return paged(parsePage(args), (page: { from: number; limit: number }) => reads(strapi).definitions(filter, page));
      }),
      processDefinition: staffScope('platform.read-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key }), args);
        return (await reads(strapi).definition(input.key)) ?? Promise.reject(notFound('Process definition', input.key));
      }),
      processInstances: staffScope('platform.read-processes', async (args, { strapi }) => {
        const filter = parseArgs(instanceFilter, args);
        const found = await paged(parsePage(args), (page: { from: number; limit: number }) => reads(strapi).instances(filter, page));
        return { ...found, nodes: found.nodes.map((row) => ({ ...row, strapi })) };
      }),
      processInstance: staffScope('platform.read-processes', async (args, { strapi }) => {
        const input = parseArgs(z.object({ key }), args);
        const found = await reads(strapi).instance(input.key);
        if (!found) throw notFound('Process instance', input.key);
        return { ...found, strapi };
      }),
      incidents: staffScope('platform.read-processes', async (args, { strapi }) => {
        const filter = parseArgs(incidentFilter, args);
        return paged(parsePage(args), (page: { from: number; limit: number }) => reads(strapi).incidents(filter, page));
      }),
      workflowCounters: staffScope('platform.read-processes', async (_args, { strapi }) => {
        const open = await reads(strapi).openCounts();
        const counters = await workflowRuntime(strapi).engine!.counters();
        const c = (name: string) => counters[name] ?? 0;
        return {
          instancesStarted: c('instances.started'),
          instancesCompleted: c('instances.completed'),
          instancesTerminated: c('instances.terminated'),
          activeInstances: open.activeInstances,
          jobsCreated: c('jobs.created'),
          jobsActivated: c('jobs.activated'),
          jobsCompleted: c('jobs.completed'),
          jobsFailed: c('jobs.failed'),
          incidentsCreated: c('incidents.created'),
          openIncidents: open.openIncidents,
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
        const incident = workflowRuntime(strapi).engine ? await reads(strapi).incident(input.key) : null;
        if (workflowRuntime(strapi).engine && !incident) throw notFound('Incident', input.key);
        if (incident?.state === 'RESOLVED') throw new ChannelflowError('CONFLICT', `Incident ${input.key} is already resolved`);
        if (incident?.jobKey) await zeebe(strapi, (client) => client.updateJobRetries({ jobKey: incident.jobKey!, retries: input.retries }));
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
      async variables(instance: InstanceView) {
        if (instance.state !== 'ACTIVE') return instance.finalVariables ?? {};
        return reads(instance.strapi).instanceVariables(instance.key);
      },
      async currentElements(instance: InstanceView) {
        if (instance.state !== 'ACTIVE') return [];
        const model = await workflowRuntime(instance.strapi).engine!.model(Number(instance.processDefinitionKey));
        return (await reads(instance.strapi).currentElements(instance.key)).map((e) => ({ ...e, elementName: model.elements.get(e.elementId)?.name ?? null }));
      },
      history(instance: InstanceView, args: any) {
        return paged(parsePage(args), (page: { from: number; limit: number }) => reads(instance.strapi).history(instance.key, page));
      },
      incidents(instance: InstanceView) {
        return reads(instance.strapi).instanceIncidents(instance.key);
      },
      async decisions(instance: InstanceView) {
        return (await reads(instance.strapi).instanceDecisions(instance.key)).map((d) => ({
          id: d.decisionInstanceId,
          decisionId: d.decisionDefinitionId,
          decisionName: d.decisionDefinitionName,
          version: d.decisionDefinitionVersion,
          type: d.decisionDefinitionType,
          state: d.state,
          elementId: d.elementId ?? null,
          evaluatedAt: d.evaluationDate,
          result: JSON.parse(d.result),
          failure: d.evaluationFailure ?? null,
          inputs: d.evaluatedInputs.map((i: any) => ({ ...i, inputValue: JSON.parse(i.inputValue) })),
          matchedRules: d.matchedRules.map((r: any) => ({ ...r, evaluatedOutputs: r.evaluatedOutputs.map((o: any) => ({ ...o, outputValue: JSON.parse(o.outputValue) })) })),
        }));
      },
    },
  },
};

/** The embedded engine's read models; with a Zeebe cluster the data is not here (Camunda Operate has it). */
function reads(strapi: Core.Strapi) {
  if (platformRegistry(strapi).workflowRuntime()?.mode !== 'embedded') {
    throw new ChannelflowError('NOT_SUPPORTED', 'Processes are read from the embedded engine; with WORKFLOW_ENGINE=zeebe use Camunda Operate');
  }
  return engineQueries(strapi.db.connection).operations;
}

/** A GraphQL page (page, pageSize) over a read model's from/limit page. */
async function paged<T>({ page, pageSize }: { page: number; pageSize: number }, read: (page: { from: number; limit: number }) => Promise<{ items: T[]; total: number }>) {
  const found = await read({ from: (page - 1) * pageSize, limit: pageSize });
  return { nodes: found.items, total: found.total, page, pageSize };
}

/** A change through the one Zeebe client, its gRPC refusals turned into coded errors. */
async function zeebe<T>(strapi: Core.Strapi, call: (client: ReturnType<typeof workflowRuntime>['client']) => Promise<T>): Promise<T> {
  try {
    return await call(workflowRuntime(strapi).client);
  } catch (error) {
    throw fromZeebeError(error);
  }
}

interface InstanceView {
  strapi: Core.Strapi;
  key: string;
  processDefinitionKey: string;
  state: string;
  finalVariables: Record<string, unknown> | null;
}
