import type { ElementBehavior } from '.';
import { IncidentRaised } from '../errors';
import { openBoundaries } from '../events';
import { activeCalledInstance } from '../state/process-instances';
import type { DefinitionRef } from '../types';

/** Starts the called process (bound by bindingType) as a child instance; completes when the child does. */
export const callActivity: ElementBehavior = {
  async activate(step, ei, el) {
    await openBoundaries(step, ei, el);
    const called = el.calledElement!;
    const processId = String(await step.evaluateModelValue(called.processId, ei, 'CALLED_ELEMENT_ERROR'));
    const instance = await step.instance(ei.processInstanceKey);
    let definition: DefinitionRef | null;
    if (called.bindingType === 'deployment') {
      definition = await step.services.boundDefinition(instance.tenantId, processId, { type: 'deployment', callerDefinitionKey: instance.processDefinitionKey });
      if (!definition) {
        throw new IncidentRaised(
          'CALLED_ELEMENT_ERROR',
          `Expected to call process with BPMN process id '${processId}' with binding type 'deployment', but no such process found in the deployment which contained the current process.`,
        );
      }
    } else if (called.bindingType === 'versionTag') {
      const versionTag = String(called.versionTag ?? '');
      definition = await step.services.boundDefinition(instance.tenantId, processId, { type: 'versionTag', versionTag });
      if (!definition) {
        throw new IncidentRaised('CALLED_ELEMENT_ERROR', `Expected to call process with BPMN process id '${processId}' and version tag '${versionTag}', but no such process found.`);
      }
    } else {
      definition = await step.services.latestDefinition(instance.tenantId, processId);
      if (!definition) {
        throw new IncidentRaised('CALLED_ELEMENT_ERROR', `Expected process with BPMN process id '${processId}' to be deployed, but not found.`);
      }
    }
    const variables = called.propagateAllParentVariables ? await step.visible(ei) : { ...(ei.variables ?? {}) };
    await step.startInstance({
      definition: { key: definition.key, bpmnProcessId: processId, version: definition.version, tenantId: instance.tenantId },
      variables,
      parent: { processInstanceKey: ei.processInstanceKey, elementInstanceKey: ei.key },
    });
  },

  /** The called instance ends with its call activity. */
  async terminate(step, ei) {
    const childKey = await activeCalledInstance(step.trx, ei.key);
    const childRoot = childKey === null ? null : await step.ei(childKey);
    if (childRoot) await step.terminate(childRoot);
  },
};
