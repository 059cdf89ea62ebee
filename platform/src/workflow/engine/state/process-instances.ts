import type { Knex } from 'knex';
import type { InstanceRow, Vars } from '../types';
import { sqliteInsert, sqliteOf } from './sqlite';
import { deferUpsert, flushWrites } from './write-behind';

const TABLE = 'wf_process_instances';

const COLUMNS = [
  'key', 'process_definition_key', 'bpmn_process_id', 'version', 'tenant_id', 'state', 'business_key', 'parent_process_instance_key', 'parent_element_instance_key', 'variables', 'started_at', 'ended_at',
] as const;

export async function insertProcessInstance(trx: Knex.Transaction, instance: InstanceRow, now: number): Promise<void> {
  const row = {
    key: instance.key,
    process_definition_key: instance.processDefinitionKey,
    bpmn_process_id: instance.bpmnProcessId,
    version: instance.version,
    tenant_id: instance.tenantId,
    state: 'ACTIVE',
    business_key: instance.businessKey,
    parent_process_instance_key: instance.parentProcessInstanceKey,
    parent_element_instance_key: instance.parentElementInstanceKey,
    variables: null,
    started_at: now,
    ended_at: null,
  };
  const db = sqliteOf(trx);
  if (db) sqliteInsert(db, TABLE, COLUMNS, row);
  else if (!deferUpsert(trx, TABLE, row)) await trx(TABLE).insert(row);
}

export async function loadProcessInstance(trx: Knex.Transaction, key: number): Promise<InstanceRow | null> {
  await flushWrites(trx, TABLE);
  const row = await trx(TABLE).where({ key }).first();
  if (!row) return null;
  return {
    key: Number(row.key),
    processDefinitionKey: Number(row.process_definition_key),
    bpmnProcessId: row.bpmn_process_id,
    version: row.version,
    tenantId: row.tenant_id,
    parentProcessInstanceKey: row.parent_process_instance_key === null ? null : Number(row.parent_process_instance_key),
    parentElementInstanceKey: row.parent_element_instance_key === null ? null : Number(row.parent_element_instance_key),
    businessKey: row.business_key,
  };
}

/** An ended instance keeps its final variables for the operations views. */
export async function endProcessInstance(trx: Knex.Transaction, key: number, state: 'COMPLETED' | 'TERMINATED', variables: Vars, now: number): Promise<void> {
  await flushWrites(trx, TABLE);
  const db = sqliteOf(trx);
  if (db) db.prepare(`update ${TABLE} set state = ?, ended_at = ?, variables = ? where key = ?`).run(state, now, JSON.stringify(variables), key);
  else await trx(TABLE).where({ key }).update({ state, ended_at: now, variables: JSON.stringify(variables) });
}

/** The running child instance a call activity started, if any. */
export async function activeCalledInstance(trx: Knex.Transaction, callActivityKey: number): Promise<number | null> {
  await flushWrites(trx, TABLE);
  const row = await trx(TABLE).where({ parent_element_instance_key: callActivityKey, state: 'ACTIVE' }).first('key');
  return row ? Number(row.key) : null;
}
