import type { Knex } from 'knex';
import { DECISION_INSTANCES, EVALUATIONS_TABLE } from './state/decisions';
import { TASKS_TABLE, toUserTaskRow } from './state/user-tasks';

/**
 * Read models over the engine's tables for the APIs that search (the REST API's searches). Only
 * this module and the engine's own state code read the `wf_*` tables.
 */
export interface SearchPage {
  from: number;
  limit: number;
}

export interface ProcessInstanceFilter {
  processInstanceKey?: number;
  processDefinitionId?: string;
  processDefinitionKey?: number;
  state?: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  parentProcessInstanceKey?: number;
  tenantId?: string;
}

export interface IncidentFilter {
  incidentKey?: number;
  processInstanceKey?: number;
  processDefinitionId?: string;
  elementId?: string;
  errorType?: string;
  state?: 'ACTIVE' | 'RESOLVED';
  tenantId?: string;
}

export interface UserTaskFilter {
  userTaskKey?: number;
  state?: string[];
  /** null: only tasks nobody is assigned to; a list: any of them. */
  assignee?: string[] | null;
  candidateGroup?: string;
  candidateUser?: string;
  elementId?: string;
  processDefinitionId?: string;
  processDefinitionKey?: number;
  processInstanceKey?: number;
  elementInstanceKey?: number;
  tenantId?: string;
  priority?: { $eq?: number; $gt?: number; $gte?: number; $lt?: number; $lte?: number };
}

export interface DecisionInstanceFilter {
  decisionInstanceKey?: number;
  processInstanceKey?: number;
  elementInstanceKey?: number;
  processDefinitionKey?: number;
  decisionDefinitionId?: string;
  decisionDefinitionKey?: number;
  state?: 'EVALUATED' | 'FAILED';
  tenantId?: string;
}

export const USER_TASK_SORT_FIELDS = { creationDate: 'created_at', completionDate: 'ended_at', dueDate: 'due_date', followUpDate: 'follow_up_date', priority: 'priority' } as const;

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
const defined = (where: Record<string, unknown>) => Object.fromEntries(Object.entries(where).filter(([, v]) => v !== undefined));

export function engineQueries(knex: Knex) {
  return {
    async processInstances(filter: ProcessInstanceFilter, page: SearchPage) {
      const where = defined({
        key: filter.processInstanceKey,
        bpmn_process_id: filter.processDefinitionId,
        process_definition_key: filter.processDefinitionKey,
        state: filter.state,
        parent_process_instance_key: filter.parentProcessInstanceKey,
        tenant_id: filter.tenantId,
      });
      const [{ total }] = await knex('wf_process_instances').where(where).count({ total: '*' });
      const rows = await knex('wf_process_instances as p')
        .where(Object.fromEntries(Object.entries(where).map(([k, v]) => [`p.${k}`, v])))
        .select('p.*')
        .select(knex.raw("exists (select 1 from wf_incidents i where i.process_instance_key = p.key and i.state = 'ACTIVE') as has_incident"))
        .orderBy('p.key', 'desc')
        .offset(page.from)
        .limit(page.limit);
      return {
        total: Number(total),
        items: rows.map((r: any) => ({
          processInstanceKey: String(r.key),
          processDefinitionId: r.bpmn_process_id,
          processDefinitionVersion: Number(r.version),
          processDefinitionKey: String(r.process_definition_key),
          parentProcessInstanceKey: r.parent_process_instance_key == null ? null : String(r.parent_process_instance_key),
          parentElementInstanceKey: r.parent_element_instance_key == null ? null : String(r.parent_element_instance_key),
          state: r.state,
          startDate: iso(r.started_at),
          endDate: iso(r.ended_at),
          hasIncident: Boolean(Number(r.has_incident)),
          tenantId: r.tenant_id,
        })),
      };
    },

    async incidents(filter: IncidentFilter, page: SearchPage) {
      const where = defined({
        key: filter.incidentKey,
        process_instance_key: filter.processInstanceKey,
        bpmn_process_id: filter.processDefinitionId,
        element_id: filter.elementId,
        error_type: filter.errorType,
        state: filter.state,
        tenant_id: filter.tenantId,
      });
      const [{ total }] = await knex('wf_incidents').where(where).count({ total: '*' });
      const rows = await knex('wf_incidents').where(where).orderBy('key', 'desc').offset(page.from).limit(page.limit);
      return {
        total: Number(total),
        items: rows.map((r: any) => ({
          incidentKey: String(r.key),
          processInstanceKey: String(r.process_instance_key),
          processDefinitionId: r.bpmn_process_id,
          elementId: r.element_id,
          elementInstanceKey: String(r.element_instance_key),
          jobKey: r.job_key == null ? null : String(r.job_key),
          errorType: r.error_type,
          errorMessage: r.error_message,
          state: r.state,
          creationTime: iso(r.created_at),
          tenantId: r.tenant_id,
        })),
      };
    },

    async userTasks(filter: UserTaskFilter, page: SearchPage, sort: Array<{ field: keyof typeof USER_TASK_SORT_FIELDS; order: 'asc' | 'desc' }> = []) {
      const query = knex(TASKS_TABLE).where(
        defined({
          key: filter.userTaskKey,
          element_id: filter.elementId,
          bpmn_process_id: filter.processDefinitionId,
          process_definition_key: filter.processDefinitionKey,
          process_instance_key: filter.processInstanceKey,
          element_instance_key: filter.elementInstanceKey,
          tenant_id: filter.tenantId,
        }),
      );
      if (filter.state) query.whereIn('state', filter.state);
      if (filter.assignee === null) query.whereNull('assignee');
      else if (filter.assignee) query.whereIn('assignee', filter.assignee);
      // Candidates are stored as JSON lists: a candidate matches as one quoted element of it.
      const member = (column: string, value: string) => query.whereRaw(`${column} like ? escape '\\'`, [`%${JSON.stringify(value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
      if (filter.candidateGroup) member('candidate_groups', filter.candidateGroup);
      if (filter.candidateUser) member('candidate_users', filter.candidateUser);
      const ops = { $eq: '=', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const;
      for (const [op, value] of Object.entries(filter.priority ?? {})) if (value !== undefined) query.where('priority', ops[op as keyof typeof ops], value);
      const [{ total }] = await query.clone().count({ total: '*' });
      for (const s of sort) query.orderBy(USER_TASK_SORT_FIELDS[s.field], s.order);
      const rows = await query.orderBy('key').offset(page.from).limit(page.limit);
      return { total: Number(total), items: rows.map((r: any) => userTaskResult(r)) };
    },

    /** The deployed form a user task links (formId), as the REST API gives it; null when it links none. */
    async userTaskForm(key: number) {
      const row = await knex(`${TASKS_TABLE} as t`).join('wf_forms as f', 'f.key', 't.linked_form_key').where('t.key', key).first('f.*');
      return row ? { formKey: String(row.key), formId: row.form_id as string, version: Number(row.version), schema: row.schema as string, tenantId: row.tenant_id as string } : null;
    },

    async userTask(key: number) {
      const row = await knex(TASKS_TABLE).where({ key }).first();
      return row ? userTaskResult(row) : null;
    },

    /** The variables a user task sees: its element's scope and every enclosing one (inner ones shadow). */
    async userTaskVariables(key: number): Promise<Array<{ name: string; value: unknown; scopeKey: number; processInstanceKey: number; tenantId: string }> | null> {
      const task = await knex(TASKS_TABLE).where({ key }).first('element_instance_key', 'process_instance_key', 'tenant_id');
      if (!task) return null;
      const seen = new Map<string, { name: string; value: unknown; scopeKey: number; processInstanceKey: number; tenantId: string }>();
      let scopeKey: number | null = Number(task.element_instance_key);
      for (let depth = 0; scopeKey !== null && depth < 64; depth++) {
        const scope: any = await knex('wf_element_instances').where({ key: scopeKey }).first('key', 'flow_scope_key', 'variables');
        if (!scope) break;
        for (const [name, value] of Object.entries(scope.variables ? JSON.parse(scope.variables) : {})) {
          if (!seen.has(name)) seen.set(name, { name, value, scopeKey: Number(scope.key), processInstanceKey: Number(task.process_instance_key), tenantId: task.tenant_id });
        }
        scopeKey = scope.flow_scope_key === null ? null : Number(scope.flow_scope_key);
      }
      return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    /**
     * Decision instances: each decision an evaluation evaluated (a DRG's required decisions too),
     * with the REST API's id `<evaluation key>-<index>`, in evaluation order.
     */
    async decisionInstances(filter: DecisionInstanceFilter, page: SearchPage) {
      const query = knex(DECISION_INSTANCES).where(
        defined({
          evaluation_key: filter.decisionInstanceKey,
          process_instance_key: filter.processInstanceKey,
          element_instance_key: filter.elementInstanceKey,
          process_definition_key: filter.processDefinitionKey,
          decision_id: filter.decisionDefinitionId,
          decision_key: filter.decisionDefinitionKey,
          state: filter.state,
          tenant_id: filter.tenantId,
        }),
      );
      const [[counted], found] = await Promise.all([
        query.clone().count({ n: '*' }),
        query.clone().orderBy([{ column: 'evaluation_key' }, { column: 'idx' }]).offset(page.from).limit(page.limit).select('evaluation_key', 'idx'),
      ]);
      const evaluations = new Map<string, any>();
      const keys = [...new Set(found.map((r: any) => String(r.evaluation_key)))];
      for (const row of keys.length ? await knex(EVALUATIONS_TABLE).whereIn('key', keys) : []) evaluations.set(String(row.key), row);
      const items = found.map((r: any) => decisionInstancesOf(evaluations.get(String(r.evaluation_key)))[Number(r.idx) - 1]!);
      return { total: Number((counted as any).n), items: items.map(({ evaluatedInputs: _i, matchedRules: _m, ...summary }) => summary) };
    },

    async decisionInstance(id: string) {
      const [key, index] = id.split('-');
      if (!/^\d+$/.test(key ?? '') || (index !== undefined && !/^\d+$/.test(index))) return null;
      const row = await knex(EVALUATIONS_TABLE).where({ key: Number(key) }).first();
      if (!row) return null;
      const all = decisionInstancesOf(row);
      return index === undefined ? (all[all.length - 1] ?? null) : (all[Number(index) - 1] ?? null);
    },

    /** The first instance of a process started with `businessKey` since `since` (an outbox redelivery's earlier start). */
    async startedWithBusinessKey(bpmnProcessId: string, businessKey: string, since: number) {
      const found = await knex('wf_process_instances').where({ bpmn_process_id: bpmnProcessId, business_key: businessKey }).where('started_at', '>=', since).orderBy('key', 'asc').first('key', 'version', 'process_definition_key');
      return found ? { processInstanceKey: String(found.key), version: Number(found.version), processDefinitionKey: String(found.process_definition_key) } : null;
    },

    /** Job keys among `keys` the engine no longer holds (the task inbox closes their tasks). */
    async missingJobs(keys: string[]): Promise<string[]> {
      const present = new Set<string>();
      for (let i = 0; i < keys.length; i += 500) {
        for (const row of await knex('wf_jobs').whereIn('key', keys.slice(i, i + 500)).select('key')) present.add(String(row.key));
      }
      return keys.filter((k) => !present.has(k));
    },

    /** Read models of the staff operations GraphQL (pages from/limit, newest or model order as each needs). */
    operations: {
      async definitions(filter: { bpmnProcessId?: string; latestOnly: boolean }, page: SearchPage) {
        const query = knex('wf_process_definitions as d').modify((q) => {
          if (filter.bpmnProcessId) q.where('d.bpmn_process_id', filter.bpmnProcessId);
          if (filter.latestOnly) q.whereRaw('d.version = (select max(v.version) from wf_process_definitions v where v.bpmn_process_id = d.bpmn_process_id and v.tenant_id = d.tenant_id)');
        });
        return pageOf(query, page, [{ column: 'd.bpmn_process_id' }, { column: 'd.version', order: 'desc' }], definitionOf, 'd.*');
      },
      async definition(key: string) {
        const row = await knex('wf_process_definitions').where({ key }).first();
        return row ? definitionOf(row) : null;
      },
      async instances(filter: { bpmnProcessId?: string; state?: string; businessKey?: string }, page: SearchPage) {
        const query = knex('wf_process_instances').where(defined({ bpmn_process_id: filter.bpmnProcessId, state: filter.state, business_key: filter.businessKey }));
        return pageOf(query, page, [{ column: 'started_at', order: 'desc' }, { column: 'key', order: 'desc' }], instanceOf);
      },
      async instance(key: string) {
        const row = await knex('wf_process_instances').where({ key }).first();
        return row ? instanceOf(row) : null;
      },
      /** An active instance's variables (its root scope); an ended one keeps its final variables. */
      async instanceVariables(key: string): Promise<Record<string, unknown>> {
        const root = await knex('wf_element_instances').where({ key }).first('variables');
        return root?.variables ? JSON.parse(root.variables) : {};
      },
      async currentElements(key: string) {
        const rows = await knex('wf_element_instances').where({ process_instance_key: key }).whereNot({ key }).orderBy([{ column: 'created_at' }, { column: 'key' }]);
        return rows.map((row: any) => ({
          key: String(row.key),
          elementId: row.element_id as string,
          elementType: row.element_type as string,
          flowScopeKey: row.flow_scope_key === null ? null : String(row.flow_scope_key),
          variables: row.variables ? JSON.parse(row.variables) : {},
          since: iso(row.created_at)!,
        }));
      },
      async history(key: string, page: SearchPage) {
        return pageOf(knex('wf_history').where({ process_instance_key: key }), page, [{ column: 'id' }], (row: any) => ({
          elementInstanceKey: String(row.element_instance_key),
          elementId: row.element_id,
          elementType: row.element_type,
          intent: row.intent,
          at: iso(row.at)!,
        }));
      },
      async incidents(filter: { state: string; bpmnProcessId?: string; processInstanceKey?: string }, page: SearchPage) {
        const query = knex('wf_incidents').where(defined({ state: filter.state, bpmn_process_id: filter.bpmnProcessId, process_instance_key: filter.processInstanceKey }));
        return pageOf(query, page, [{ column: 'created_at', order: 'desc' }, { column: 'key', order: 'desc' }], incidentOf);
      },
      async incident(key: string) {
        const row = await knex('wf_incidents').where({ key }).first();
        return row ? incidentOf(row) : null;
      },
      /** Every decision the instance's business-rule tasks evaluated, with inputs, matched rules and results. */
      async instanceDecisions(key: string) {
        return (await knex(EVALUATIONS_TABLE).where({ process_instance_key: key }).orderBy('key')).flatMap((row: any) => decisionInstancesOf(row));
      },
      async instanceIncidents(key: string) {
        return (await knex('wf_incidents').where({ process_instance_key: key }).orderBy([{ column: 'created_at' }, { column: 'key' }])).map(incidentOf);
      },
      async openCounts() {
        const [[open], [active]] = await Promise.all([
          knex('wf_incidents').where('state', 'ACTIVE').count({ n: '*' }),
          knex('wf_process_instances').where('state', 'ACTIVE').count({ n: '*' }),
        ]);
        return { openIncidents: Number((open as any).n), activeInstances: Number((active as any).n) };
      },
    },

    async processDefinitionXml(key: number): Promise<string | null> {
      const row = await knex('wf_process_definitions').where({ key }).first('xml');
      return row?.xml ?? null;
    },
  };
}

/** A user task as the REST API's UserTaskResult. */
function userTaskResult(row: any) {
  const t = toUserTaskRow(row);
  return {
    userTaskKey: String(t.key),
    name: t.name ?? t.elementId,
    state: t.state,
    assignee: t.assignee ?? undefined,
    elementId: t.elementId,
    candidateGroups: t.candidateGroups,
    candidateUsers: t.candidateUsers,
    processDefinitionId: t.bpmnProcessId,
    processDefinitionVersion: t.version,
    processDefinitionKey: String(t.processDefinitionKey),
    processInstanceKey: String(t.processInstanceKey),
    elementInstanceKey: String(t.elementInstanceKey),
    creationDate: iso(t.createdAt),
    completionDate: t.state === 'COMPLETED' ? (iso(t.endedAt) ?? undefined) : undefined,
    dueDate: t.dueDate ?? undefined,
    followUpDate: t.followUpDate ?? undefined,
    formKey: t.formKey ?? undefined,
    externalFormReference: t.externalFormReference ?? undefined,
    customHeaders: t.customHeaders,
    priority: t.priority,
    tenantId: t.tenantId,
  };
}

/** The decision instances of one evaluation, as the REST API's DecisionInstanceResult (with inputs and matched rules). */
function decisionInstancesOf(row: any) {
  const evaluated: any[] = JSON.parse(row.evaluated);
  const failedAt = row.state === 'FAILED' ? evaluated.length : -1;
  return evaluated.map((e, i) => ({
    decisionInstanceId: `${row.key}-${i + 1}`,
    decisionInstanceKey: String(row.key),
    state: i + 1 === failedAt ? 'FAILED' : 'EVALUATED',
    evaluationDate: iso(row.evaluated_at),
    evaluationFailure: i + 1 === failedAt ? row.failure_message : undefined,
    processDefinitionKey: row.process_definition_key == null ? undefined : String(row.process_definition_key),
    processInstanceKey: row.process_instance_key == null ? undefined : String(row.process_instance_key),
    elementInstanceKey: row.element_instance_key == null ? undefined : String(row.element_instance_key),
    elementId: row.element_id ?? undefined,
    decisionDefinitionKey: String(e.decisionKey),
    decisionDefinitionId: e.decisionId,
    decisionDefinitionName: e.decisionName,
    decisionDefinitionVersion: e.decisionVersion,
    decisionDefinitionType: e.decisionType,
    result: JSON.stringify(e.output ?? null),
    tenantId: row.tenant_id,
    evaluatedInputs: (e.evaluatedInputs ?? []).map((input: any) => ({ inputId: input.inputId, inputName: input.inputName, inputValue: JSON.stringify(input.inputValue ?? null) })),
    matchedRules: (e.matchedRules ?? []).map((rule: any) => ({
      ruleId: rule.ruleId,
      ruleIndex: rule.ruleIndex,
      evaluatedOutputs: rule.evaluatedOutputs.map((o: any) => ({ outputId: o.outputId, outputName: o.outputName, outputValue: JSON.stringify(o.outputValue ?? null) })),
    })),
  }));
}

async function pageOf<T>(query: Knex.QueryBuilder, page: SearchPage, orderBy: Array<{ column: string; order?: 'asc' | 'desc' }>, map: (row: any) => T, select = '*') {
  const [[counted], rows] = await Promise.all([query.clone().count({ n: '*' }), query.clone().orderBy(orderBy).offset(page.from).limit(page.limit).select(select)]);
  return { items: (rows as any[]).map(map), total: Number((counted as any).n) };
}

function definitionOf(row: any) {
  return {
    key: String(row.key),
    bpmnProcessId: row.bpmn_process_id as string,
    version: Number(row.version),
    resourceName: row.resource_name as string,
    deployedAt: new Date(row.created_at).toISOString(),
    xml: row.xml as string,
  };
}

function instanceOf(row: any) {
  return {
    key: String(row.key),
    bpmnProcessId: row.bpmn_process_id as string,
    version: Number(row.version),
    processDefinitionKey: String(row.process_definition_key),
    state: row.state as string,
    businessKey: row.business_key as string | null,
    parentProcessInstanceKey: row.parent_process_instance_key === null ? null : String(row.parent_process_instance_key),
    startedAt: iso(row.started_at)!,
    endedAt: iso(row.ended_at),
    finalVariables: row.variables ? (JSON.parse(row.variables) as Record<string, unknown>) : null,
  };
}

function incidentOf(row: any) {
  return {
    key: String(row.key),
    processInstanceKey: String(row.process_instance_key),
    bpmnProcessId: row.bpmn_process_id as string,
    elementId: row.element_id as string,
    elementInstanceKey: String(row.element_instance_key),
    jobKey: row.job_key === null ? null : String(row.job_key),
    errorType: row.error_type as string,
    errorMessage: row.error_message as string,
    state: row.state as string,
    createdAt: iso(row.created_at)!,
    resolvedAt: iso(row.resolved_at),
  };
}
