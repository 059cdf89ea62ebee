import type { Knex } from 'knex';

/** Camunda user tasks the engine holds (user-tasks.ts runs their lifecycle); rows stay once ended, for the task search. */
export const TASKS_TABLE = 'wf_user_tasks';

export interface UserTaskRow {
  key: number;
  elementInstanceKey: number;
  processInstanceKey: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  version: number;
  elementId: string;
  name: string | null;
  tenantId: string;
  state: string;
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  dueDate: string | null;
  followUpDate: string | null;
  priority: number;
  formKey: string | null;
  externalFormReference: string | null;
  customHeaders: Record<string, string>;
  createdAt: number;
  endedAt: number | null;
}

export function toUserTaskRow(row: any): UserTaskRow {
  return {
    key: Number(row.key),
    elementInstanceKey: Number(row.element_instance_key),
    processInstanceKey: Number(row.process_instance_key),
    processDefinitionKey: Number(row.process_definition_key),
    bpmnProcessId: row.bpmn_process_id,
    version: Number(row.version),
    elementId: row.element_id,
    name: row.name,
    tenantId: row.tenant_id,
    state: row.state,
    assignee: row.assignee,
    candidateGroups: JSON.parse(row.candidate_groups),
    candidateUsers: JSON.parse(row.candidate_users),
    dueDate: row.due_date,
    followUpDate: row.follow_up_date,
    priority: Number(row.priority),
    formKey: row.form_key,
    externalFormReference: row.external_form_reference,
    customHeaders: JSON.parse(row.custom_headers),
    createdAt: Number(row.created_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
  };
}

// ---------------------------------------------------------------- creation (the element's behaviour)

export async function insertUserTask(trx: Knex.Transaction, row: Record<string, unknown>): Promise<void> {
  await trx(TASKS_TABLE).insert(row);
}

export async function loadUserTask(trx: Knex.Transaction, key: number): Promise<any | undefined> {
  return trx(TASKS_TABLE).where({ key }).first();
}

/** The task of an element instance while a transition is pending (its listeners run). */
export async function pendingTaskOf(trx: Knex.Transaction, elementInstanceKey: number): Promise<any | undefined> {
  return trx(TASKS_TABLE).where({ element_instance_key: elementInstanceKey }).whereNotNull('pending').first();
}

export async function updateUserTask(trx: Knex.Transaction, key: number, update: Record<string, unknown>): Promise<void> {
  await trx(TASKS_TABLE).where({ key }).update(update);
}

/** Cancels the open task of an element instance that ended without it; returns how many were. */
export async function cancelTasksOf(trx: Knex.Transaction, elementInstanceKey: number, now: number): Promise<number> {
  return trx(TASKS_TABLE).where({ element_instance_key: elementInstanceKey }).whereNotIn('state', ['COMPLETED', 'CANCELED']).update({ state: 'CANCELED', pending: null, ended_at: now });
}
