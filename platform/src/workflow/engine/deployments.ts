import { createHash } from 'node:crypto';
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
