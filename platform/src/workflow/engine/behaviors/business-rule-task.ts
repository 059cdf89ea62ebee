import type { ElementBehavior } from '.';
import type { DecisionBinding, EvaluationContext } from '../state/decisions';
import { CommandRejected, IncidentRaised } from '../errors';
import { openBoundaries } from '../events';

/** A called decision (zeebe:calledDecision) the engine evaluates itself, like Zeebe; else a job. */
export const businessRuleTask: ElementBehavior = {
  async activate(step, ei, el) {
    const called = el.calledDecision;
    if (!called) {
      await openBoundaries(step, ei, el);
      return step.createJob(ei, el);
    }
    const instance = await step.instance(ei.processInstanceKey);
    const decisionId = String(await step.evaluateModelValue(called.decisionId, ei, 'EXTRACT_VALUE_ERROR'));
    const binding: DecisionBinding =
      called.bindingType === 'deployment'
        ? { type: 'deployment', callerDefinitionKey: instance.processDefinitionKey }
        : called.bindingType === 'versionTag'
          ? { type: 'versionTag', versionTag: called.versionTag ?? '' }
          : { type: 'latest' };
    const context: EvaluationContext = {
      processInstanceKey: ei.processInstanceKey,
      processDefinitionKey: instance.processDefinitionKey,
      bpmnProcessId: instance.bpmnProcessId,
      elementInstanceKey: ei.key,
      elementId: ei.elementId,
    };
    const result = await step.services.evaluateDecision(instance.tenantId, { decisionId }, await step.visible(ei), binding, context).catch((error) => {
      if (error instanceof CommandRejected) throw new IncidentRaised('CALLED_DECISION_ERROR', error.message.replace(/^Command '\w+' rejected with code '\w+': /, ''));
      throw error;
    });
    if (result.failureMessage) throw new IncidentRaised('DECISION_EVALUATION_ERROR', result.failureMessage);
    // The decision's result lands in resultVariable (through output mappings when declared).
    await step.applyResult(ei, el, { [called.resultVariable]: result.output ?? null });
    return step.complete(ei);
  },
};
