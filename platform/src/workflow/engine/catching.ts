import { startEventSubprocess } from './events';
import type { Step } from './interpreter';
import type { ElementDef } from './model';
import { MI_BODY, type EI, type Vars } from './types';

/** BPMN errors and escalations: who catches what is thrown, across scopes and call activities. */

/**
 * Throws a BPMN error from `thrower`: the innermost matching error boundary or error event
 * subprocess catches it (across call activities); otherwise an incident on the thrower.
 */
export async function throwBpmnError(step: Step, thrower: EI, errorCode: string, errorMessage: string, variables: Vars, jobKey: number | null = null): Promise<boolean> {
  const caught = await findCatch(step, thrower, 'error', errorCode);
  if (caught?.boundary) {
    if (!caught.flowScope) return false;
    await step.terminate(caught.owner);
    step.schedule(caught.flowScope.key, () => step.activate(caught.boundary, caught.flowScope!, { trigger: variables }));
    return true;
  }
  if (caught?.start) {
    await startEventSubprocess(step, caught.owner, caught.eventSubprocess, variables, true);
    return true;
  }
  const message = `Expected to throw an error event with the code '${errorCode}'${errorMessage ? ` with message '${errorMessage}'` : ''}, but it was not caught. No error events are available in the scope.`;
  await step.raiseIncident(thrower, 'UNHANDLED_ERROR_EVENT', message, jobKey === null ? 'activate' : null, jobKey);
  return false;
}

/**
 * Throws an escalation from `thrower`: the innermost matching escalation boundary (on an enclosing
 * subprocess or call activity) or escalation event subprocess catches it, interrupting or not.
 * Unlike an error, an escalation nobody catches is no incident: the thrower simply goes on.
 */
export async function escalate(step: Step, thrower: EI, escalationCode: string): Promise<boolean> {
  const caught = await findCatch(step, thrower, 'escalation', escalationCode);
  if (caught?.boundary) {
    if (!caught.flowScope) return false;
    if (caught.boundary.interrupting) await step.terminate(caught.owner);
    step.schedule(caught.flowScope.key, () => step.activate(caught.boundary, caught.flowScope!, { trigger: {} }));
    return true;
  }
  if (caught?.start) {
    await startEventSubprocess(step, caught.owner, caught.eventSubprocess, {}, caught.start.interrupting);
    return true;
  }
  step.count('escalations.not-caught');
  return false;
}

/**
 * The innermost catch of an error or escalation thrown by `thrower`: a boundary event of it or of an
 * enclosing activity, or an event subprocess start of an enclosing scope, across call activities.
 */
async function findCatch(
  step: Step,
  thrower: EI,
  event: 'error' | 'escalation',
  code: string,
): Promise<{ owner: EI; flowScope: EI | null; boundary: ElementDef; start?: undefined } | { owner: EI; start: ElementDef; eventSubprocess: ElementDef; boundary?: undefined } | null> {
  const field = event === 'error' ? 'errorCode' : 'escalationCode';
  let current: EI | null = thrower;
  while (current) {
    const model = await step.model(current);
    const def = model.elements.get(current.elementId);
    if (def && current.elementType !== 'bpmn:Process' && !(await step.isInner(current))) {
      const boundary = pickCatch(def.boundaryIds.map((id) => model.elements.get(id)!).filter((b) => b.event === event), code, field);
      if (boundary) return { owner: current, flowScope: await step.ei(current.flowScopeKey!), boundary };
    }
    const scope: EI | null = current.flowScopeKey === null ? null : await step.ei(current.flowScopeKey);
    if (!scope) {
      // The root of a called process: continue at the call activity in the parent.
      const instance = await step.instance(current.processInstanceKey);
      current = instance.parentElementInstanceKey === null ? null : await step.ei(instance.parentElementInstanceKey);
      continue;
    }
    const scopeDef = scope.elementType === MI_BODY ? null : model.elements.get(scope.elementType === 'bpmn:Process' ? model.bpmnProcessId : scope.elementId);
    const starts = (scopeDef?.eventSubprocessIds ?? [])
      .map((id) => model.elements.get(id)!)
      .map((sub) => (sub.startId ? model.elements.get(sub.startId)! : null))
      .filter((st): st is ElementDef => Boolean(st && st.event === event));
    const start = pickCatch(starts, code, field);
    if (start) return { owner: scope, start, eventSubprocess: model.elements.get(start.scopeId)! };
    current = scope;
  }
  return null;
}

/** The catch for exactly this code, else a catch-all (no code). */
function pickCatch(candidates: ElementDef[], code: string, field: 'errorCode' | 'escalationCode'): ElementDef | undefined {
  return candidates.find((c) => c[field] === code) ?? candidates.find((c) => c[field] === null || c[field] === undefined);
}
