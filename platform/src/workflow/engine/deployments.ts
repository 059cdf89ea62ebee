import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { validateBpmn, type ParsedProcess } from './validate-bpmn';
import { parseDmn, type DecisionGraph } from './dmn';
import type { ElementProblem } from './supported-elements';

export const DEFAULT_TENANT = '<default>';

export interface DeployedProcess {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: number;
  resourceName: string;
  tenantId: string;
}

export interface DeployedDecision {
  decisionId: string;
  decisionName: string;
  version: number;
  decisionKey: number;
  decisionRequirementsId: string;
  decisionRequirementsKey: number;
  tenantId: string;
}

export interface DeployedDecisionRequirements {
  decisionRequirementsId: string;
  decisionRequirementsName: string;
  version: number;
  decisionRequirementsKey: number;
  resourceName: string;
  tenantId: string;
}

export interface DeployedForm {
  formId: string;
  version: number;
  formKey: number;
  resourceName: string;
  tenantId: string;
}

/** Which version a call binds to: the latest, the one deployed together with the caller, or the one with a version tag. */
export type ResourceBinding = { type: 'latest' } | { type: 'deployment'; callerDefinitionKey: number } | { type: 'versionTag'; versionTag: string };

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

export class DeploymentRejected extends Error {
  constructor(readonly problemsByResource: Array<{ resourceName: string; problems: ElementProblem[] }>) {
    // Shaped like Zeebe's rejection, so people and tools used to Zeebe read it the same way.
    super(
      `Command 'CREATE' rejected with code 'INVALID_ARGUMENT': Expected to deploy new resources, but encountered the following errors:\n${problemsByResource
        .map(({ resourceName, problems }) => `'${resourceName}':\n${problems.map((p) => `- Element: ${p.elementId}\n    - ERROR: ${p.message}`).join('\n')}`)
        .join('\n')}`,
    );
    this.name = 'DeploymentRejected';
  }
}

export interface CheckedResource {
  name: string;
  xml: string;
  checksum: string;
  processes: ParsedProcess[];
  /** A DMN resource: its decision requirements graph. */
  decisions?: DecisionGraph;
  /** A Camunda form (`.form`): its id and optional version tag. */
  form?: { id: string; versionTag: string | null };
}

/**
 * Validates every resource of a deployment; one invalid file refuses the whole deployment
 * (all-or-nothing), naming each problem's element. Runs outside the engine's writer.
 */
export async function checkResources(resources: Array<{ name: string; content: Buffer | string }>): Promise<CheckedResource[]> {
  if (!resources.length) throw new DeploymentRejected([{ resourceName: '(none)', problems: [{ elementId: '(request)', message: 'no resources to deploy' }] }]);
  const checked: CheckedResource[] = [];
  const rejected: Array<{ resourceName: string; problems: ElementProblem[] }> = [];
  for (const resource of resources) {
    const xml = typeof resource.content === 'string' ? resource.content : resource.content.toString('utf8');
    const checksum = createHash('sha256').update(xml).digest('hex');
    if (/\.dmn$/i.test(resource.name)) {
      const parsed = await parseDmn(xml);
      if (!parsed.ok) rejected.push({ resourceName: resource.name, problems: parsed.problems });
      else checked.push({ name: resource.name, xml, checksum, processes: [], decisions: parsed.graph });
      continue;
    }
    if (/\.form$/i.test(resource.name)) {
      const form = parseFormResource(xml);
      if ('problem' in form) rejected.push({ resourceName: resource.name, problems: [{ elementId: '(form)', message: form.problem }] });
      else checked.push({ name: resource.name, xml, checksum, processes: [], form });
      continue;
    }
    if (!/\.(bpmn|xml)$/i.test(resource.name)) {
      rejected.push({ resourceName: resource.name, problems: [{ elementId: '(resource)', message: 'only BPMN (.bpmn, .xml), DMN (.dmn) and form (.form) resources can be deployed to the embedded engine' }] });
      continue;
    }
    const result = await validateBpmn(xml);
    if (!result.ok) rejected.push({ resourceName: resource.name, problems: result.problems });
    else checked.push({ name: resource.name, xml, checksum, processes: result.processes });
  }
  const seenForms = new Map<string, string>();
  for (const resource of checked) {
    if (!resource.form) continue;
    if (seenForms.has(resource.form.id)) rejected.push({ resourceName: resource.name, problems: [{ elementId: resource.form.id, message: `form id '${resource.form.id}' is also in '${seenForms.get(resource.form.id)}'` }] });
    seenForms.set(resource.form.id, resource.name);
  }
  const seen = new Map<string, string>();
  for (const resource of checked) {
    for (const id of resource.decisions?.decisions.keys() ?? []) {
      if (seen.has(id)) rejected.push({ resourceName: resource.name, problems: [{ elementId: id, message: `decision id '${id}' is also in '${seen.get(id)}'` }] });
      seen.set(id, resource.name);
    }
  }
  if (rejected.length) throw new DeploymentRejected(rejected);
  return checked;
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

/** A Camunda form resource is JSON with an `id` (what `formId` links to) and maybe a `versionTag`. */
function parseFormResource(text: string): { id: string; versionTag: string | null } | { problem: string } {
  let form: any;
  try {
    form = JSON.parse(text);
  } catch (error) {
    return { problem: `the form is not valid JSON: ${(error as Error).message}` };
  }
  if (!form || typeof form !== 'object' || typeof form.id !== 'string' || !form.id.trim()) return { problem: "the form has no 'id' (the formId a user task links to)" };
  if (!Array.isArray(form.components)) return { problem: "the form has no 'components' list" };
  return { id: form.id.trim(), versionTag: typeof form.versionTag === 'string' && form.versionTag ? form.versionTag : null };
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
