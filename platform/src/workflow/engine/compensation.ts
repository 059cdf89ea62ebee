import type { Step } from './interpreter';
import type { ElementDef } from './model';
import {
  anyTriggeredBy,
  compensationsIn,
  deleteCompensation,
  deleteCompensationsIn,
  hasCompensationsIn,
  holderOf,
  insertCompensation,
  loadCompensation,
  markTriggered,
  untriggeredCompensations,
  type CompensationSubscription,
} from './state/compensation';
import { MI_BODY, type EI } from './types';

/** Compensation with Zeebe's rules: what becomes compensable, what a throw event invokes, when it goes on. */

/**
 * A completed activity with a compensation boundary event (a multi-instance one once, as its
 * body) becomes compensable in its scope; so does a completed subprocess or multi-instance body
 * holding compensable children, for a throw event outside it to reach them.
 */
export async function recordCompensable(step: Step, ei: EI, el: ElementDef, flowScope: EI) {
  const inner = flowScope.elementType === MI_BODY && ei.elementType !== MI_BODY;
  const handlerId = inner ? null : (el.compensationHandlerId ?? null);
  const isContainer = (ei.elementType === 'bpmn:SubProcess' && !el.triggeredByEvent) || ei.elementType === MI_BODY;
  const holdsSome = isContainer && Boolean(ei.data?.owns?.compensation) && (await hasCompensationsIn(step.trx, ei.processInstanceKey, ei.key));
  if (!handlerId && !holdsSome) return;
  await insertCompensation(step.trx, {
    key: step.services.nextKey(),
    process_instance_key: ei.processInstanceKey,
    activity_id: ei.elementId,
    activity_instance_key: ei.key,
    scope_key: flowScope.key,
    handler_id: handlerId,
    created_at: step.now,
  });
  step.markOwns(flowScope, 'compensation');
  const root = await step.ei(ei.processInstanceKey);
  if (root) step.markOwns(root, 'compensation');
}

/**
 * A compensation throw or end event: the handlers of everything compensable in its scope (or
 * only `activityRef`'s), and through completed subprocesses of everything inside them, are all
 * invoked at once, in the throw event's scope; the event waits until every one has completed.
 * Inside an event subprocess, the scope around the event subprocess is compensated too.
 */
export async function throwCompensation(step: Step, ei: EI, el: ElementDef) {
  const flowScope = ei.flowScopeKey === null ? null : await step.ei(ei.flowScopeKey);
  if (!flowScope) return;
  const model = await step.model(ei);
  const scopeKeys = [flowScope.key];
  if (model.elements.get(flowScope.elementId)?.triggeredByEvent && flowScope.flowScopeKey !== null) scopeKeys.push(flowScope.flowScopeKey);
  // Subscriptions another throw event already triggered are its to finish.
  const open = await untriggeredCompensations(step.trx, ei.processInstanceKey);
  const chosen = open.filter((s) => scopeKeys.includes(Number(s.scope_key)) && (!el.compensateActivityRef || s.activity_id === el.compensateActivityRef));
  if (!chosen.length) return step.complete(ei);
  const triggered: CompensationSubscription[] = [];
  const collect = (sub: CompensationSubscription) => {
    triggered.push(sub);
    for (const child of open) if (Number(child.scope_key) === Number(sub.activity_instance_key)) collect(child);
  };
  chosen.forEach(collect);
  // All are marked before any handler runs, so a handler that completes at once cannot end the wait early.
  await markTriggered(step.trx, triggered.map((s) => s.key), ei.key);
  for (const sub of triggered) {
    if (!sub.handler_id) continue;
    const activity = model.elements.get(sub.activity_id)!;
    const boundaryId = activity.boundaryIds.find((id) => model.elements.get(id)!.event === 'compensation');
    if (boundaryId) {
      // The boundary event only passes the compensation on to its handler, as Zeebe records it.
      const boundary = step.newEI(ei.processInstanceKey, flowScope.key, boundaryId, 'bpmn:BoundaryEvent');
      step.history(boundary, 'ELEMENT_ACTIVATED');
      boundary.alive = false;
      step.history(boundary, 'ELEMENT_COMPLETED');
    }
    const handler = model.elements.get(sub.handler_id)!;
    step.schedule(flowScope.key, () => step.activate(handler, flowScope, { compensation: Number(sub.key) }));
  }
}

/**
 * A compensation handler completed: its subscription is done, then each enclosing subprocess's
 * once nothing inside it is left; the throw event goes on when none it triggered remains.
 */
export async function compensationCompleted(step: Step, handler: EI) {
  const instanceKey = handler.processInstanceKey;
  const sub = await loadCompensation(step.trx, instanceKey, handler.data!.compensation);
  if (!sub) return;
  await deleteCompensation(step.trx, instanceKey, sub.key);
  let scopeKey = Number(sub.scope_key);
  while (!(await hasCompensationsIn(step.trx, instanceKey, scopeKey))) {
    const holder = await holderOf(step.trx, instanceKey, scopeKey);
    if (!holder) break;
    await deleteCompensation(step.trx, instanceKey, holder.key);
    scopeKey = Number(holder.scope_key);
  }
  if (await anyTriggeredBy(step.trx, instanceKey, Number(sub.throw_event_instance_key))) return;
  const thrower = await step.ei(Number(sub.throw_event_instance_key));
  if (thrower) step.schedule(thrower.flowScopeKey, () => step.complete(thrower));
}

/** Removes the compensation subscriptions of a scope and of the completed subprocesses they hold. */
export async function dropCompensations(step: Step, processInstanceKey: number, scopeKey: number) {
  for (const sub of await compensationsIn(step.trx, processInstanceKey, scopeKey)) {
    await dropCompensations(step, processInstanceKey, Number(sub.activity_instance_key));
  }
  await deleteCompensationsIn(step.trx, processInstanceKey, scopeKey);
}
