import type { Knex } from 'knex';
import { TASKS_TABLE, toUserTaskRow } from './user-tasks';

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
