import type { Knex } from 'knex';

const TABLE = 'wf_incidents';

export interface NewIncident {
  key: number;
  processInstanceKey: number;
  elementInstanceKey: number;
  elementId: string;
  bpmnProcessId: string;
  jobKey: number | null;
  errorType: string;
  errorMessage: string;
  /** What resolving it runs again: 'activate', 'complete', 'start', or null (a job's incident: the job). */
  retryStep: string | null;
  tenantId: string;
}

export async function insertIncident(trx: Knex.Transaction, incident: NewIncident, now: number): Promise<void> {
  await trx(TABLE).insert({
    key: incident.key,
    process_instance_key: incident.processInstanceKey,
    element_instance_key: incident.elementInstanceKey,
    element_id: incident.elementId,
    bpmn_process_id: incident.bpmnProcessId,
    job_key: incident.jobKey,
    error_type: incident.errorType,
    error_message: incident.errorMessage.slice(0, 4000),
    state: 'ACTIVE',
    retry_step: incident.retryStep,
    tenant_id: incident.tenantId,
    created_at: now,
  });
}

export async function loadActiveIncident(trx: Knex.Transaction, key: number): Promise<any | undefined> {
  return trx(TABLE).where({ key, state: 'ACTIVE' }).first();
}

export async function markResolved(trx: Knex.Transaction, key: number, now: number): Promise<void> {
  await trx(TABLE).where({ key }).update({ state: 'RESOLVED', resolved_at: now });
}

/** An element that ends takes its open incidents with it. */
export async function resolveIncidentsOf(trx: Knex.Transaction, elementInstanceKey: number, now: number): Promise<void> {
  await trx(TABLE).where({ element_instance_key: elementInstanceKey, state: 'ACTIVE' }).update({ state: 'RESOLVED', resolved_at: now });
}
