import type { ElementBehavior } from '.';
import { escalate } from '../catching';
import { throwCompensation } from '../compensation';
import { throwSignal } from '../events';

/** Throw events: none (a marker), signal, escalation, link, compensation, and message (a job). */
export const intermediateThrowEvent: ElementBehavior = {
  async activate(step, ei, el, model) {
    switch (el.event) {
      case 'compensation':
        return throwCompensation(step, ei, el);
      case 'signal':
        await throwSignal(step, ei, el);
        return step.complete(ei);
      case 'escalation':
        // Caught by an interrupting catch, the thrower's scope is gone; otherwise the flow goes on.
        await escalate(step, ei, el.escalationCode ?? '');
        return step.complete(ei);
      case 'link': {
        // The flow goes on at the catch link of the same name in this scope (deploy checked it is there).
        const target = [...model.elements.values()].find((e) => e.scopeId === el.scopeId && e.type === 'bpmn:IntermediateCatchEvent' && e.event === 'link' && e.link === el.link)!;
        const flowScope = await step.ei(ei.flowScopeKey!);
        if (flowScope) step.schedule(flowScope.key, () => step.activate(target, flowScope, { trigger: {} }));
        return step.complete(ei);
      }
      default:
        if (el.job) return step.createJob(ei, el);
        return step.complete(ei);
    }
  },
};
