import type { Knex } from 'knex';
import { sqliteInsert, sqliteOf } from './sqlite';
import { deferUpsert, flushWrites } from './write-behind';

/** Jobs: ACTIVATABLE (from activatable_at on) → ACTIVATED (until its deadline) → gone, FAILED or ERROR_THROWN. */
const TABLE = 'wf_jobs';

export interface NewJob {
  key: number;
  type: string;
  retries: number;
  processInstanceKey: number;
  elementInstanceKey: number;
  elementId: string;
  bpmnProcessId: string;
  processDefinitionKey: number;
  version: number;
  tenantId: string;
  customHeaders: Record<string, string>;
  /** EXECUTION_LISTENER or TASK_LISTENER with its event type; none for the element's own job. */
  listener: { kind: string; eventType: string } | null;
}

export async function insertJob(trx: Knex.Transaction, job: NewJob, now: number): Promise<void> {
  const row = {
    key: job.key,
    type: job.type,
    state: 'ACTIVATABLE',
    retries: job.retries,
    activatable_at: now,
    deadline: null,
    worker: null,
    process_instance_key: job.processInstanceKey,
    element_instance_key: job.elementInstanceKey,
    element_id: job.elementId,
    bpmn_process_id: job.bpmnProcessId,
    process_definition_key: job.processDefinitionKey,
    version: job.version,
    tenant_id: job.tenantId,
    custom_headers: JSON.stringify(job.customHeaders),
    error_message: null,
    created_at: now,
    kind: job.listener?.kind ?? 'BPMN_ELEMENT',
    listener_event_type: job.listener?.eventType ?? null,
  };
  const db = sqliteOf(trx);
  if (db) sqliteInsert(db, TABLE, JOB_COLUMNS, row);
  else if (!deferUpsert(trx, TABLE, row)) await trx(TABLE).insert(row);
}

const JOB_COLUMNS = [
  'key', 'type', 'state', 'retries', 'activatable_at', 'deadline', 'worker', 'process_instance_key', 'element_instance_key', 'element_id',
  'bpmn_process_id', 'process_definition_key', 'version', 'tenant_id', 'custom_headers', 'error_message', 'created_at', 'kind', 'listener_event_type',
] as const;

export async function loadJob(trx: Knex.Transaction, key: number): Promise<any | undefined> {
  await flushWrites(trx, TABLE);
  return trx(TABLE).where({ key }).first();
}

export async function deleteJobsOf(trx: Knex.Transaction, elementInstanceKey: number): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ element_instance_key: elementInstanceKey }).delete();
}

export async function deleteJob(trx: Knex.Transaction, key: number): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).delete();
}

/** Jobs of `type` that may be handed out now, oldest first. */
export async function activatableJobs(trx: Knex.Transaction, type: string, tenantIds: string[], now: number, limit: number): Promise<any[]> {
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  if (db) {
    const sql = `select * from ${TABLE} where type = ? and activatable_at <= ? and tenant_id in (${tenantIds.map(() => '?').join(', ')}) order by activatable_at, key limit ?`;
    return db.prepare(sql).all(type, now, ...tenantIds, limit);
  }
  return trx(TABLE).where({ type }).where('activatable_at', '<=', now).whereIn('tenant_id', tenantIds).orderBy('activatable_at').orderBy('key').limit(limit);
}

/** Hands jobs to a worker until `deadline` (they become activatable again then). */
export async function markActivated(trx: Knex.Transaction, keys: Array<number | string>, deadline: number, worker: string): Promise<void> {
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  if (db) {
    db.prepare(`update ${TABLE} set state = 'ACTIVATED', deadline = ?, activatable_at = ?, worker = ? where key in (${keys.map(() => '?').join(', ')})`).run(deadline, deadline, worker, ...keys);
    return;
  }
  await trx(TABLE).whereIn('key', keys).update({ state: 'ACTIVATED', deadline, activatable_at: deadline, worker });
}

/**
 * Removes a job that may be completed (activated or activatable), in one statement on the hot
 * path; undefined when there was none. (knex 3 has no RETURNING for SQLite deletes; both accept it raw.)
 */
export async function takeCompletableJob(trx: Knex.Transaction, key: number): Promise<{ element_instance_key: number | string; kind: string | null } | undefined> {
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  if (db) return db.prepare(TAKE_COMPLETABLE).get(key);
  const deleted = await trx.raw(TAKE_COMPLETABLE, [key]);
  return (Array.isArray(deleted) ? deleted : deleted.rows)[0];
}

const TAKE_COMPLETABLE = `delete from ${TABLE} where key = ? and state in ('ACTIVATED', 'ACTIVATABLE') returning element_instance_key, kind`;

/** A failed job with retries left waits `backOff` ms before it is handed out again. */
export async function retryJob(trx: Knex.Transaction, key: number, retries: number, backOff: number, errorMessage: string | null, now: number): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ state: 'ACTIVATABLE', retries, activatable_at: now + Math.max(0, backOff), deadline: null, worker: null, error_message: errorMessage });
}

export async function markFailed(trx: Knex.Transaction, key: number, errorMessage: string | null): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ state: 'FAILED', retries: 0, activatable_at: null, deadline: null, worker: null, error_message: errorMessage });
}

export async function markErrorThrown(trx: Knex.Transaction, key: number, errorMessage: string | null): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ state: 'ERROR_THROWN', activatable_at: null, deadline: null, error_message: errorMessage });
}

export async function setRetries(trx: Knex.Transaction, key: number, retries: number): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ retries });
}

export async function setDeadline(trx: Knex.Transaction, key: number, deadline: number): Promise<void> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ deadline, activatable_at: deadline });
}

/** A job whose incident was resolved is handed out again at once; returns its type (null when gone). */
export async function reactivate(trx: Knex.Transaction, key: number, now: number): Promise<string | null> {
  await flushWrites(trx, TABLE);
  await trx(TABLE).where({ key }).update({ state: 'ACTIVATABLE', activatable_at: now, deadline: null, worker: null });
  const job = await trx(TABLE).where({ key }).first('type');
  return job ? job.type : null;
}

/** Of `types`, those with a job whose deadline or back-off has passed. */
export async function readyTypes(knex: Knex, types: string[], now: number): Promise<string[]> {
  await flushWrites(knex, TABLE);
  return (await knex(TABLE).distinct('type').whereIn('type', types).where('activatable_at', '<=', now)).map((row: any) => row.type);
}
