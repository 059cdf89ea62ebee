import type { Knex } from 'knex';
import type { ResourceBinding } from '../deployments';
import { bindVersion } from './deployments';
import type { DefinitionRef } from '../types';

/** Reads of deployed process definitions (deployments.ts writes them). */
const TABLE = 'wf_process_definitions';


const columns = ['key', 'bpmn_process_id', 'version', 'tenant_id'] as const;
const toRef = (row: any): DefinitionRef => ({ key: Number(row.key), bpmnProcessId: row.bpmn_process_id, version: Number(row.version), tenantId: row.tenant_id });

export async function definitionSource(trx: Knex | Knex.Transaction, key: number): Promise<{ xml: string; bpmnProcessId: string } | null> {
  const row = await trx(TABLE).where({ key }).first('xml', 'bpmn_process_id');
  return row ? { xml: row.xml, bpmnProcessId: row.bpmn_process_id } : null;
}

export async function definitionByKey(trx: Knex | Knex.Transaction, key: number): Promise<DefinitionRef | null> {
  const row = await trx(TABLE).where({ key }).first(...columns);
  return row ? toRef(row) : null;
}

/** The latest version, or `version` when given. */
export async function definitionById(trx: Knex | Knex.Transaction, tenantId: string, bpmnProcessId: string, version?: number): Promise<DefinitionRef | null> {
  const query = trx(TABLE).where({ tenant_id: tenantId, bpmn_process_id: bpmnProcessId });
  if (version !== undefined) query.where({ version });
  const row = await query.orderBy('version', 'desc').first(...columns);
  return row ? toRef(row) : null;
}

/** The version a call activity binds to (latest, its caller's deployment, or a version tag). */
export async function boundDefinition(trx: Knex | Knex.Transaction, tenantId: string, bpmnProcessId: string, binding: ResourceBinding): Promise<DefinitionRef | null> {
  const query = trx(`${TABLE} as d`).where({ 'd.tenant_id': tenantId, 'd.bpmn_process_id': bpmnProcessId });
  const row = await bindVersion(trx, query, 'process', bpmnProcessId, binding, { key: 'd.key', versionTag: 'd.version_tag' })
    .orderBy('d.version', 'desc')
    .first('d.key', 'd.bpmn_process_id', 'd.version', 'd.tenant_id');
  return row ? toRef(row) : null;
}

/** The latest version of every process of a tenant. */
export async function latestDefinitions(trx: Knex | Knex.Transaction, tenantId: string): Promise<DefinitionRef[]> {
  const rows = await trx(`${TABLE} as d`)
    .where('d.tenant_id', tenantId)
    .whereRaw(`d.version = (select max(v.version) from ${TABLE} v where v.bpmn_process_id = d.bpmn_process_id and v.tenant_id = d.tenant_id)`)
    .select('d.key', 'd.bpmn_process_id', 'd.version', 'd.tenant_id');
  return rows.map(toRef);
}
