import { DEFAULT_TENANT } from '../deployments';
import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { definitionById, definitionByKey } from '../state/definitions';
import type { Vars } from '../types';

export interface CreateInstanceRequest {
  bpmnProcessId?: string;
  version?: number;
  processDefinitionKey?: number;
  variables: Vars;
  tenantId?: string;
}

/** PROCESS_INSTANCE_CREATION CREATE: by definition key, or by process id and version (latest when none or -1). */
export async function createInstance(step: Step, request: CreateInstanceRequest) {
  const tenantId = request.tenantId || DEFAULT_TENANT;
  const definition = await findDefinition(step, request, tenantId);
  const key = await step.startInstance({ definition, variables: request.variables });
  return { processDefinitionKey: definition.key, bpmnProcessId: definition.bpmnProcessId, version: definition.version, processInstanceKey: key, tenantId };
}

async function findDefinition(step: Step, request: CreateInstanceRequest, tenantId: string) {
  if (request.processDefinitionKey) {
    const found = await definitionByKey(step.trx, request.processDefinitionKey);
    if (!found) throw new CommandRejected('NOT_FOUND', `Expected to find process definition with key '${request.processDefinitionKey}', but none found`, 'CREATE');
    return found;
  }
  const version = request.version !== undefined && request.version >= 0 ? request.version : undefined;
  const found = version === undefined ? await step.services.latestDefinition(tenantId, request.bpmnProcessId ?? '') : await definitionById(step.trx, tenantId, request.bpmnProcessId ?? '', version);
  if (!found) {
    const which = version !== undefined ? ` and version '${version}'` : '';
    throw new CommandRejected('NOT_FOUND', `Expected to find process definition with process ID '${request.bpmnProcessId}'${which}, but none found`, 'CREATE');
  }
  return found;
}
