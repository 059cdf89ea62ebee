import type { Knex } from 'knex';
import type { EI } from '../types';

/** Element instances: rows exist only while an element waits (a job, a subscription, a child scope). */
const TABLE = 'wf_element_instances';

export async function loadElementInstance(trx: Knex.Transaction, key: number): Promise<EI | null> {
  const row = await trx(TABLE).where({ key }).first();
  return row ? fromRow(row) : null;
}

export async function loadElementInstances(trx: Knex.Transaction, keys: number[]): Promise<EI[]> {
  return (await trx(TABLE).whereIn('key', keys)).map(fromRow);
}

/** The stored children of a scope (a step overlays what it changed itself). */
export async function loadChildren(trx: Knex.Transaction, scopeKey: number): Promise<EI[]> {
  return (await trx(TABLE).where({ flow_scope_key: scopeKey })).map(fromRow);
}

/** Writes what a step changed: ended instances go, new ones are inserted, changed ones updated. */
export async function writeElementInstances(trx: Knex.Transaction, changed: Iterable<EI>): Promise<void> {
  const inserts: Array<Record<string, unknown>> = [];
  for (const ei of changed) {
    if (!ei.alive) {
      if (ei.persisted) await trx(TABLE).where({ key: ei.key }).delete();
      continue;
    }
    if (!ei.dirty) continue;
    const row = toRow(ei);
    if (ei.persisted) await trx(TABLE).where({ key: ei.key }).update(row);
    else inserts.push(row);
  }
  for (let i = 0; i < inserts.length; i += 50) await trx(TABLE).insert(inserts.slice(i, i + 50));
}

function toRow(ei: EI) {
  return {
    key: ei.key,
    process_instance_key: ei.processInstanceKey,
    flow_scope_key: ei.flowScopeKey,
    element_id: ei.elementId,
    element_type: ei.elementType,
    state: ei.state,
    variables: ei.variables ? JSON.stringify(ei.variables) : null,
    data: ei.data ? JSON.stringify(ei.data) : null,
    created_at: ei.createdAt,
  };
}

function fromRow(row: any): EI {
  return {
    key: Number(row.key),
    processInstanceKey: Number(row.process_instance_key),
    flowScopeKey: row.flow_scope_key === null ? null : Number(row.flow_scope_key),
    elementId: row.element_id,
    elementType: row.element_type,
    state: row.state,
    variables: row.variables ? JSON.parse(row.variables) : null,
    data: row.data ? JSON.parse(row.data) : null,
    createdAt: Number(row.created_at),
    persisted: true,
    alive: true,
    dirty: false,
  };
}
