import { IncidentRaised } from './errors';
import { feelTypeName } from './feel';
import type { Step } from './interpreter';
import type { ElementDef, ProcessModel } from './model';
import { latestDefinitions } from './state/definitions';
import { bufferedMessageFor, recordCorrelations } from './state/messages';
import { insertMessageSubscription, insertSignalSubscription, signalSubscriptions, deleteMessageSubscriptionsOf, deleteSignalSubscriptionsOf } from './state/subscriptions';
import { deleteTimersOf, insertTimer } from './state/timers';
import { scheduleTimer } from './timers';
import { MI_BODY, type EI, type Vars } from './types';

/**
 * Catch events: the subscriptions (message, signal, timer) an element opens for itself, its
 * boundary events and its event subprocesses, and what happens when one is triggered.
 */

/** Opens the message, signal and timer boundary events of an activity (a multi-instance one once, on its body). */
export async function openBoundaries(step: Step, ei: EI, el: ElementDef) {
  if (!el.boundaryIds.length || (await step.isInner(ei))) return;
  const model = await step.model(ei);
  for (const id of el.boundaryIds) await openCatch(step, ei, model.elements.get(id)!);
}

/** Opens the start events of the event subprocesses of a scope. */
export async function openEventSubprocesses(step: Step, scope: EI, scopeDef: ElementDef, model: ProcessModel) {
  for (const id of scopeDef.eventSubprocessIds) {
    const sub = model.elements.get(id)!;
    const start = sub.startId ? model.elements.get(sub.startId) : null;
    if (start) await openCatch(step, scope, start);
  }
}

/** A subscription owned by `owner` for the catch event `target` (error and escalation catches need none). */
export async function openCatch(step: Step, owner: EI, target: ElementDef) {
  if (target.event === 'message') await subscribe(step, owner, owner, target);
  else if (target.event === 'signal') await subscribeSignal(step, owner, owner, target);
  else if (target.event === 'timer') await startTimer(step, owner, owner, target);
}

/** Opens a message subscription owned by `owner` that triggers `target`; a buffered message correlates at once. */
export async function subscribe(step: Step, owner: EI, context: EI, target: ElementDef) {
  const instance = await step.instance(owner.processInstanceKey);
  const name = String(await step.evaluateModelValue(target.message?.name ?? '', context, 'EXTRACT_VALUE_ERROR'));
  const rawKey = target.message?.correlationKey ? await step.evaluateModelValue(target.message.correlationKey, context, 'EXTRACT_VALUE_ERROR') : '';
  if (typeof rawKey !== 'string' && typeof rawKey !== 'number') {
    throw new IncidentRaised(
      'EXTRACT_VALUE_ERROR',
      `Failed to extract the correlation key for '${target.message?.correlationKey}': The value must be either a string or a number, but was '${feelTypeName(rawKey)}'.`,
    );
  }
  const correlationKey = String(rawKey);
  step.markOwns(owner, 'subscription');
  const sub = await insertMessageSubscription(
    step.trx,
    step.services.nextKey(),
    { processInstanceKey: owner.processInstanceKey, elementInstanceKey: owner.key, targetElementId: target.id, bpmnProcessId: instance.bpmnProcessId, tenantId: instance.tenantId },
    name,
    correlationKey,
    step.now,
  );
  const buffered = await bufferedMessageFor(step.trx, instance.tenantId, name, correlationKey, instance.bpmnProcessId, step.now);
  if (buffered) {
    await recordCorrelations(step.trx, buffered.key, [instance.bpmnProcessId]);
    step.schedule(owner.key, async () => {
      await triggerSubscription(step, sub, buffered.variables);
    });
  }
}

/** Opens a signal subscription owned by `owner` that triggers `target` (signals are never buffered). */
export async function subscribeSignal(step: Step, owner: EI, context: EI, target: ElementDef) {
  const instance = await step.instance(owner.processInstanceKey);
  const name = String(await step.evaluateModelValue(target.signal?.name ?? '', context, 'EXTRACT_VALUE_ERROR'));
  step.markOwns(owner, 'signal');
  await insertSignalSubscription(
    step.trx,
    step.services.nextKey(),
    { processInstanceKey: owner.processInstanceKey, elementInstanceKey: owner.key, targetElementId: target.id, bpmnProcessId: instance.bpmnProcessId, tenantId: instance.tenantId },
    name,
    step.now,
  );
}

export async function startTimer(step: Step, owner: EI, context: EI, target: ElementDef) {
  const instance = await step.instance(owner.processInstanceKey);
  const value = await step.evaluateModelValue(target.timer!.expression, context, 'EXTRACT_VALUE_ERROR');
  let schedule;
  try {
    schedule = scheduleTimer(target.timer!.kind, String(value), step.now);
  } catch (error) {
    throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Invalid timer of '${target.id}': ${(error as Error).message}`);
  }
  step.markOwns(owner, 'timer');
  await insertTimer(step.trx, {
    key: step.services.nextKey(),
    processDefinitionKey: instance.processDefinitionKey,
    processInstanceKey: owner.processInstanceKey,
    elementInstanceKey: owner.key,
    targetElementId: target.id,
    schedule,
    tenantId: instance.tenantId,
  });
  step.effects.timersChanged = true;
}

/** A signal intermediate throw or end event: broadcast with the event's local variables (its input mappings). */
export async function throwSignal(step: Step, ei: EI, el: ElementDef) {
  const instance = await step.instance(ei.processInstanceKey);
  const name = String(await step.evaluateModelValue(el.signal?.name ?? '', ei, 'EXTRACT_VALUE_ERROR'));
  await broadcastSignal(step, instance.tenantId, name, { ...(ei.variables ?? {}) });
}

/**
 * Triggers every subscription to the signal and starts every latest process version with a
 * matching signal start event (Zeebe: a signal reaches all, not once per process).
 */
export async function broadcastSignal(step: Step, tenantId: string, name: string, variables: Vars): Promise<void> {
  for (const sub of await signalSubscriptions(step.trx, tenantId, name)) await triggerSubscription(step, sub, variables);
  for (const start of await latestStarts(step, tenantId, (model) => model.signalStarts.find((s) => s.signal?.name === name))) {
    await step.startInstance({ definition: start.definition, variables, startElementId: start.elementId });
  }
  step.count('signals.broadcast');
}

/** The latest version of every process whose start event `pick` chooses (message and signal starts). */
export async function latestStarts(step: Step, tenantId: string, pick: (model: ProcessModel) => ElementDef | undefined) {
  const found: Array<{ bpmnProcessId: string; elementId: string; definition: { key: number; bpmnProcessId: string; version: number; tenantId: string } }> = [];
  for (const definition of await latestDefinitions(step.trx, tenantId)) {
    const start = pick(await step.services.model(definition.key));
    if (start) found.push({ bpmnProcessId: definition.bpmnProcessId, elementId: start.id, definition });
  }
  return found;
}

/**
 * A message, signal or timer reached what `owner` waits for. Returns false when the owner is gone.
 * Non-interrupting triggers leave the owner (and a cycle timer) in place.
 */
export async function triggerSubscription(step: Step, sub: { element_instance_key: number | string; target_element_id: string; key?: number | string }, variables: Vars): Promise<boolean> {
  const owner = await step.ei(Number(sub.element_instance_key));
  if (!owner) return false;
  const model = await step.model(owner);
  const target = model.elements.get(sub.target_element_id)!;
  const ownerDef = model.elements.get(owner.elementId)!;

  if (owner.elementId === target.id && owner.elementType !== MI_BODY) {
    // The waiting element itself: intermediate catch event or receive task.
    await step.applyResult(owner, target, variables);
    step.schedule(owner.flowScopeKey, () => step.complete(owner));
    return true;
  }
  if (ownerDef.type === 'bpmn:EventBasedGateway') {
    const flowScope = await step.ei(owner.flowScopeKey!);
    await step.closeOwned(owner);
    owner.alive = false;
    step.history(owner, 'ELEMENT_COMPLETED');
    const flow = ownerDef.outgoing.find((f) => f.targetId === target.id)!;
    step.flowTaken(flow, owner.processInstanceKey, owner.flowScopeKey!);
    if (flowScope) step.schedule(flowScope.key, () => step.activate(target, flowScope, { trigger: variables }));
    return true;
  }
  if (target.type === 'bpmn:BoundaryEvent') {
    const flowScope = await step.ei(owner.flowScopeKey!);
    if (!flowScope) return false;
    if (target.interrupting) await step.terminate(owner);
    step.schedule(flowScope.key, () => step.activate(target, flowScope, { trigger: variables }));
    return true;
  }
  if (target.type === 'bpmn:StartEvent') {
    // Start of an event subprocess inside the owner's scope.
    if (target.interrupting) {
      // An interrupting start also closes the scope's other event subprocess triggers.
      await deleteMessageSubscriptionsOf(step.trx, owner.key);
      await deleteSignalSubscriptionsOf(step.trx, owner.key);
      await deleteTimersOf(step.trx, owner.key);
    }
    await startEventSubprocess(step, owner, model.elements.get(target.scopeId)!, variables, target.interrupting);
    return true;
  }
  return false;
}

/** Starts an event subprocess in `scope`; an interrupting one first ends everything else there. */
export async function startEventSubprocess(step: Step, scope: EI, eventSubprocess: ElementDef, variables: Vars, interrupting: boolean) {
  if (interrupting) {
    for (const child of await step.children(scope.key)) await step.terminate(child);
    step.dropAgenda(scope.key);
  }
  const ei = step.newEI(scope.processInstanceKey, scope.key, eventSubprocess.id, eventSubprocess.type);
  ei.data = { startTrigger: variables };
  step.history(ei, 'ELEMENT_ACTIVATED');
  step.schedule(scope.key, () => step.guarded(ei, 'activate', () => step.enter(ei, eventSubprocess)));
}
