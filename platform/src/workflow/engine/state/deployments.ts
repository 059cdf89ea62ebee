import type { Knex } from 'knex';
import type { CheckedResource, DeployedDecision, DeployedDecisionRequirements, DeployedForm, DeployedProcess, ResourceBinding } from '../deployments';
import type { DecisionGraph } from '../dmn';

/** Deployments and the versioned resources they hold (processes, decision requirements and decisions, forms). */

/** Where each kind of versioned resource records the deployments that held it (new or unchanged). */
const HELD_IN = {
  process: { table: 'wf_deployment_processes', key: 'process_definition_key', id: 'bpmn_process_id' },
  decision: { table: 'wf_deployment_decisions', key: 'decision_key', id: 'decision_id' },
  form: { table: 'wf_deployment_forms', key: 'form_key', id: 'form_id' },
} as const;

/**
 * Narrows `query` over a versioned resource (its key in `columns.key`, its version tag in
 * `columns.versionTag`) to the versions `binding` allows; the caller orders by version and takes the first.
 */
export function bindVersion(
  trx: Knex | Knex.Transaction,
  query: Knex.QueryBuilder,
  kind: keyof typeof HELD_IN,
  id: string,
  binding: ResourceBinding,
  columns: { key: string; versionTag: string },
): Knex.QueryBuilder {
  if (binding.type === 'deployment') {
    // The version the caller's own deployment held (new then, or unchanged and kept).
    const held = HELD_IN[kind];
    const caller = trx('wf_process_definitions').where({ key: binding.callerDefinitionKey }).select('deployment_key');
    query.whereIn(columns.key, trx(held.table).whereIn('deployment_key', caller).where({ [held.id]: id }).select(held.key));
  } else if (binding.type === 'versionTag') {
    query.where(columns.versionTag, binding.versionTag);
  }
  return query;
}

/**
 * Stores checked resources inside the caller's transaction. A process whose XML equals its
 * latest version keeps that version (as Zeebe does); `created` lists only new versions.
 */
export async function storeDeployment(
  trx: Knex.Transaction,
  checked: CheckedResource[],
  tenantId: string,
  nextKey: () => number,
): Promise<{
  key: number;
  processes: DeployedProcess[];
  decisions: DeployedDecision[];
  decisionRequirements: DeployedDecisionRequirements[];
  forms: DeployedForm[];
  created: Array<DeployedProcess & { xml: string }>;
}> {
  const deploymentKey = nextKey();
  await trx('wf_deployments').insert({ key: deploymentKey, tenant_id: tenantId, created_at: new Date() });
  const deployed: DeployedProcess[] = [];
  const created: Array<DeployedProcess & { xml: string }> = [];
  const decisions: DeployedDecision[] = [];
  const decisionRequirements: DeployedDecisionRequirements[] = [];
  const forms: DeployedForm[] = [];
  for (const resource of checked) {
    if (resource.form) {
      forms.push(await storeForm(trx, resource, resource.form, tenantId, deploymentKey, nextKey));
      continue;
    }
    if (resource.decisions) {
      const stored = await storeDecisions(trx, resource, resource.decisions, tenantId, deploymentKey, nextKey);
      decisions.push(...stored.decisions);
      decisionRequirements.push(stored.requirements);
      continue;
    }
    for (const process of resource.processes) {
      const latest = await trx('wf_process_definitions')
        .where({ tenant_id: tenantId, bpmn_process_id: process.bpmnProcessId })
        .orderBy('version', 'desc')
        .first('key', 'version', 'checksum');
      if (latest && latest.checksum === resource.checksum) {
        deployed.push({ bpmnProcessId: process.bpmnProcessId, version: latest.version, processDefinitionKey: Number(latest.key), resourceName: resource.name, tenantId });
        await trx('wf_deployment_processes').insert({ deployment_key: deploymentKey, process_definition_key: latest.key, bpmn_process_id: process.bpmnProcessId }).onConflict(['deployment_key', 'bpmn_process_id']).ignore();
        continue;
      }
      const key = nextKey();
      const version = (latest?.version ?? 0) + 1;
      await trx('wf_process_definitions').insert({
        key,
        deployment_key: deploymentKey,
        bpmn_process_id: process.bpmnProcessId,
        version,
        resource_name: resource.name,
        checksum: resource.checksum,
        xml: resource.xml,
        tenant_id: tenantId,
        version_tag: process.versionTag,
        created_at: new Date(),
      });
      await trx('wf_deployment_processes').insert({ deployment_key: deploymentKey, process_definition_key: key, bpmn_process_id: process.bpmnProcessId }).onConflict(['deployment_key', 'bpmn_process_id']).ignore();
      const entry = { bpmnProcessId: process.bpmnProcessId, version, processDefinitionKey: key, resourceName: resource.name, tenantId };
      deployed.push(entry);
      created.push({ ...entry, xml: resource.xml });
    }
  }
  return { key: deploymentKey, processes: deployed, decisions, decisionRequirements, forms, created };
}

/** A DRG whose XML equals its latest version keeps it and its decisions' versions; otherwise all get new ones. */
async function storeDecisions(trx: Knex.Transaction, resource: CheckedResource, graph: DecisionGraph, tenantId: string, deploymentKey: number, nextKey: () => number) {
  const latest = await trx('wf_decision_requirements').where({ tenant_id: tenantId, drg_id: graph.id }).orderBy('version', 'desc').first();
  const held = (decisions: Array<{ key: number; decision_id: string }>) =>
    decisions.length
      ? trx('wf_deployment_decisions')
          .insert(decisions.map((d) => ({ deployment_key: deploymentKey, decision_key: d.key, decision_id: d.decision_id })))
          .onConflict(['deployment_key', 'decision_id'])
          .ignore()
      : Promise.resolve();
  if (latest && latest.checksum === resource.checksum) {
    const rows = await trx('wf_decisions').where({ decision_requirements_key: latest.key });
    await held(rows);
    return {
      requirements: requirementsOf(latest),
      decisions: rows.map((r: any) => decisionOf(r, graph.id)),
    };
  }
  const key = nextKey();
  const row = { key, deployment_key: deploymentKey, drg_id: graph.id, name: graph.name, version: (latest?.version ?? 0) + 1, resource_name: resource.name, checksum: resource.checksum, xml: resource.xml, tenant_id: tenantId, created_at: Date.now() };
  await trx('wf_decision_requirements').insert(row);
  const stored: DeployedDecision[] = [];
  for (const decision of graph.decisions.values()) {
    const previous = await trx('wf_decisions').where({ tenant_id: tenantId, decision_id: decision.id }).orderBy('version', 'desc').first('version');
    const decisionRow = {
      key: nextKey(),
      decision_id: decision.id,
      name: decision.name,
      version: (previous?.version ?? 0) + 1,
      decision_requirements_key: key,
      tenant_id: tenantId,
      version_tag: decision.versionTag,
    };
    await trx('wf_decisions').insert(decisionRow);
    await held([decisionRow]);
    stored.push(decisionOf(decisionRow, graph.id));
  }
  return { requirements: requirementsOf(row), decisions: stored };
}

/** A form whose JSON equals its latest version keeps that version; otherwise it gets a new one. */
async function storeForm(trx: Knex.Transaction, resource: CheckedResource, form: { id: string; versionTag: string | null }, tenantId: string, deploymentKey: number, nextKey: () => number): Promise<DeployedForm> {
  const latest = await trx('wf_forms').where({ tenant_id: tenantId, form_id: form.id }).orderBy('version', 'desc').first('key', 'version', 'checksum');
  let key = latest && latest.checksum === resource.checksum ? Number(latest.key) : 0;
  let version = Number(latest?.version ?? 0);
  if (!key) {
    key = nextKey();
    version += 1;
    await trx('wf_forms').insert({
      key,
      deployment_key: deploymentKey,
      form_id: form.id,
      version,
      version_tag: form.versionTag,
      resource_name: resource.name,
      checksum: resource.checksum,
      schema: resource.xml,
      tenant_id: tenantId,
      created_at: Date.now(),
    });
  }
  await trx('wf_deployment_forms').insert({ deployment_key: deploymentKey, form_key: key, form_id: form.id }).onConflict(['deployment_key', 'form_id']).ignore();
  return { formId: form.id, version, formKey: key, resourceName: resource.name, tenantId };
}

function requirementsOf(row: any): DeployedDecisionRequirements {
  return { decisionRequirementsId: row.drg_id, decisionRequirementsName: row.name, version: Number(row.version), decisionRequirementsKey: Number(row.key), resourceName: row.resource_name, tenantId: row.tenant_id };
}

function decisionOf(row: any, drgId: string): DeployedDecision {
  return {
    decisionId: row.decision_id,
    decisionName: row.name,
    version: Number(row.version),
    decisionKey: Number(row.key),
    decisionRequirementsId: drgId,
    decisionRequirementsKey: Number(row.decision_requirements_key),
    tenantId: row.tenant_id,
  };
}

/** The key of the deployed form `formId` a user task links to under its binding (null: none). */
export async function boundForm(trx: Knex.Transaction, tenantId: string, formId: string, binding: ResourceBinding): Promise<number | null> {
  const query = trx('wf_forms').where({ tenant_id: tenantId, form_id: formId });
  const row = await bindVersion(trx, query, 'form', formId, binding, { key: 'key', versionTag: 'version_tag' }).orderBy('version', 'desc').first('key');
  return row ? Number(row.key) : null;
}
