import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { validateBpmn, type ParsedProcess } from './validate-bpmn';
import type { ElementProblem } from './supported-elements';

export const DEFAULT_TENANT = '<default>';

export interface DeployedProcess {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: number;
  resourceName: string;
  tenantId: string;
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
    if (!/\.(bpmn|xml)$/i.test(resource.name)) {
      rejected.push({ resourceName: resource.name, problems: [{ elementId: '(resource)', message: 'only BPMN resources (.bpmn, .xml) can be deployed to the embedded engine' }] });
      continue;
    }
    const xml = typeof resource.content === 'string' ? resource.content : resource.content.toString('utf8');
    const result = await validateBpmn(xml);
    if (!result.ok) rejected.push({ resourceName: resource.name, problems: result.problems });
    else checked.push({ name: resource.name, xml, checksum: createHash('sha256').update(xml).digest('hex'), processes: result.processes });
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
): Promise<{ key: number; processes: DeployedProcess[]; created: Array<DeployedProcess & { xml: string }> }> {
  const deploymentKey = nextKey();
  await trx('wf_deployments').insert({ key: deploymentKey, tenant_id: tenantId, created_at: new Date() });
  const deployed: DeployedProcess[] = [];
  const created: Array<DeployedProcess & { xml: string }> = [];
  for (const resource of checked) {
    for (const process of resource.processes) {
      const latest = await trx('wf_process_definitions')
        .where({ tenant_id: tenantId, bpmn_process_id: process.bpmnProcessId })
        .orderBy('version', 'desc')
        .first('key', 'version', 'checksum');
      if (latest && latest.checksum === resource.checksum) {
        deployed.push({ bpmnProcessId: process.bpmnProcessId, version: latest.version, processDefinitionKey: Number(latest.key), resourceName: resource.name, tenantId });
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
        created_at: new Date(),
      });
      const entry = { bpmnProcessId: process.bpmnProcessId, version, processDefinitionKey: key, resourceName: resource.name, tenantId };
      deployed.push(entry);
      created.push({ ...entry, xml: resource.xml });
    }
  }
  return { key: deploymentKey, processes: deployed, created };
}
