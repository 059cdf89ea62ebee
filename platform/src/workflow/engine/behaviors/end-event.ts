import type { ElementBehavior } from '.';
import { escalate, throwBpmnError } from '../catching';
import { throwCompensation } from '../compensation';
import { throwSignal } from '../events';
import type { Step } from '../interpreter';
import type { EI } from '../types';

/** End events: none, message (a job), terminate, signal, error, escalation, compensation. */
export const endEvent: ElementBehavior = {
  async activate(step, ei, el) {
    if (el.event === 'compensation') return throwCompensation(step, ei, el);
    if (el.job) return step.createJob(ei, el);
    switch (el.event) {
      case 'terminate':
        return terminateScope(step, ei);
      case 'signal':
        await throwSignal(step, ei, el);
        return step.complete(ei);
      case 'error':
        // Caught, the scope is left by the catch; uncaught, an incident on this event.
        await throwBpmnError(step, ei, el.errorCode ?? '', '', {});
        return;
      case 'escalation':
        await escalate(step, ei, el.escalationCode ?? '');
        return step.complete(ei);
      default:
        return step.complete(ei);
    }
  },
};

/** A terminate end event ends everything else in its scope, which then completes. */
async function terminateScope(step: Step, endEvent: EI) {
  const scope = await step.ei(endEvent.flowScopeKey!);
  if (!scope) return;
  endEvent.alive = false;
  step.history(endEvent, 'ELEMENT_COMPLETED');
  for (const child of await step.children(scope.key)) await step.terminate(child);
  step.dropAgenda(scope.key);
  if (scope.data?.joins) {
    delete scope.data.joins;
    step.touch(scope);
  }
  await step.complete(scope);
}
