import { Camunda8 } from '@camunda8/sdk';
import { ChannelflowError } from '@channelflow/sdk';
import type { Engine } from './engine/engine';
import { CommandRejected } from './engine/errors';
import { engineQueries } from './engine/queries';

/**
 * Where the task inbox finds Camunda user tasks (`zeebe:userTask`) and works them: the embedded
 * engine directly, or a Camunda 8 cluster through its REST API (v2). Both answer the same way; a
 * refusal is a ChannelflowError (NOT_FOUND: the task is gone; CONFLICT: its state or a task
 * listener refused).
 */
export interface CamundaTask {
  key: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  name: string;
  /** CREATED when it can be worked; ASSIGNING / UPDATING / COMPLETING while its listeners run; COMPLETED or CANCELED at the end. */
  state: string;
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate: string | null;
  followUpDate: string | null;
  formKey: string | null;
  customHeaders: Record<string, string>;
}

export interface CamundaTaskSource {
  /** Every task that can be worked now (state CREATED). */
  open(): Promise<CamundaTask[]>;
  get(key: string): Promise<CamundaTask | null>;
  variables(key: string): Promise<Record<string, unknown>>;
  /** The deployed form the task links (formId), as Camunda form JSON; null when it links none. */
  form(key: string): Promise<string | null>;
  /** Assigns unless someone else holds it (no take-over). */
  assign(key: string, assignee: string): Promise<void>;
  unassign(key: string): Promise<void>;
  complete(key: string, variables: Record<string, unknown>): Promise<void>;
}

const PAGE = 500;

/** The embedded engine's own tasks. */
export function embeddedTaskSource(engine: Engine): CamundaTaskSource {
  const queries = engineQueries(engine.knex);
  const refused = (error: unknown): never => {
    if (error instanceof CommandRejected) throw new ChannelflowError(error.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'CONFLICT', error.message);
    throw error;
  };
  return {
    async open() {
      const tasks: CamundaTask[] = [];
      for (let from = 0; ; from += PAGE) {
        const page = await queries.userTasks({ state: ['CREATED'] }, { from, limit: PAGE }, [{ field: 'creationDate', order: 'asc' }]);
        tasks.push(...page.items.map(fromResult));
        if (page.items.length < PAGE) return tasks;
      }
    },
    async get(key) {
      const found = await queries.userTask(Number(key));
      return found ? fromResult(found) : null;
    },
    async variables(key) {
      return Object.fromEntries(((await queries.userTaskVariables(Number(key))) ?? []).map((v) => [v.name, v.value]));
    },
    async form(key) {
      return (await queries.userTaskForm(Number(key)))?.schema ?? null;
    },
    assign: (key, assignee) => engine.assignUserTask({ key: Number(key), assignee, allowOverride: false, action: 'claim' }).catch(refused),
    unassign: (key) => engine.unassignUserTask(Number(key)).catch(refused),
    complete: (key, variables) => engine.completeUserTask({ key: Number(key), variables, action: 'complete' }).catch(refused),
  };
}

type RestClient = ReturnType<Camunda8['getCamundaRestClient']>;

/** A Camunda 8 cluster's tasks, through the REST API at ZEEBE_REST_ADDRESS (same CAMUNDA_* credentials as gRPC). */
export function restTaskSource(rest: RestClient): CamundaTaskSource {
  const refused = async (error: any): Promise<never> => {
    const status = Number(error?.statusCode ?? error?.response?.statusCode ?? 0);
    if (status === 404 || status === 409) {
      const detail = await problemDetail(error);
      throw new ChannelflowError(status === 404 ? 'NOT_FOUND' : 'CONFLICT', detail || `the Camunda cluster refused the user-task request (${status})`);
    }
    throw error;
  };
  return {
    async open() {
      const tasks: CamundaTask[] = [];
      for (let from = 0; ; from += PAGE) {
        const page = await rest.searchUserTasks({ filter: { state: 'CREATED' }, page: { from, limit: PAGE }, sort: [{ field: 'creationDate', order: 'ASC' }] } as any);
        tasks.push(...page.items.map((t: any) => fromResult(t)));
        if (page.items.length < PAGE) return tasks;
      }
    },
    async get(key) {
      return rest.getUserTask(key).then(
        (t: any) => fromResult(t),
        (error: any) => (Number(error?.statusCode ?? error?.response?.statusCode) === 404 ? null : Promise.reject(error)),
      );
    },
    async variables(key) {
      const found = await rest.searchUserTaskVariables({ userTaskKey: key, page: { from: 0, limit: 1000 } } as any);
      return Object.fromEntries(found.items.map((v: any) => [v.name, JSON.parse(v.value)]));
    },
    async form(key) {
      // (The SDK has no call for it; 204 answers an empty body: no linked form.)
      const answer = await rest.callApiEndpoint({ urlPath: `user-tasks/${key}/form`, method: 'GET', json: false } as any);
      return answer ? (JSON.parse(String(answer)).schema ?? null) : null;
    },
    assign: (key, assignee) => rest.assignUserTask({ userTaskKey: key, assignee, allowOverride: false, action: 'claim' }).catch(refused),
    unassign: (key) => rest.unassignUserTask({ userTaskKey: key }).then(() => undefined, refused),
    complete: (key, variables) => rest.completeUserTask({ userTaskKey: key, variables }).then(() => undefined, refused),
  };
}

/** The REST client for WORKFLOW_ENGINE=zeebe, or null when ZEEBE_REST_ADDRESS is not set. */
export function createZeebeRestClient(): RestClient | null {
  if (!process.env.ZEEBE_REST_ADDRESS) return null;
  const settings = ['ZEEBE_REST_ADDRESS', 'CAMUNDA_AUTH_STRATEGY', 'CAMUNDA_OAUTH_TOKEN', 'CAMUNDA_OAUTH_URL', 'ZEEBE_CLIENT_ID', 'ZEEBE_CLIENT_SECRET', 'ZEEBE_TOKEN_AUDIENCE'];
  return new Camunda8({ ...Object.fromEntries(settings.filter((n) => process.env[n]).map((n) => [n, process.env[n]])), CAMUNDA_LOG_LEVEL: 'none' } as any).getCamundaRestClient();
}

function fromResult(t: any): CamundaTask {
  return {
    key: String(t.userTaskKey),
    processInstanceKey: String(t.processInstanceKey),
    processDefinitionKey: String(t.processDefinitionKey),
    bpmnProcessId: t.processDefinitionId,
    elementId: t.elementId,
    name: t.name ?? t.elementId,
    state: t.state,
    assignee: t.assignee || null,
    candidateGroups: t.candidateGroups ?? [],
    candidateUsers: t.candidateUsers ?? [],
    dueDate: t.dueDate ?? null,
    followUpDate: t.followUpDate ?? null,
    formKey: t.formKey ?? null,
    customHeaders: t.customHeaders ?? {},
  };
}

async function problemDetail(error: any): Promise<string> {
  try {
    const body = error?.response?.body;
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    return String(parsed?.detail ?? '');
  } catch {
    return '';
  }
}
