import type { ElementBehavior } from '.';
import { IncidentRaised } from '../errors';
import { openBoundaries } from '../events';
import { feelTypeName } from '../feel';

/** An ad-hoc subprocess as Camunda 8.8 defines it: the elements named by activeElementsCollection start, each as if a flow reached it. */
export const adHocSubProcess: ElementBehavior = {
  async activate(step, ei, el, model) {
    await openBoundaries(step, ei, el);
    const raw = el.adHoc?.activeElements ? await step.evaluate(el.adHoc.activeElements, ei, `activeElementsCollection of '${el.id}'`, 'EXTRACT_VALUE_ERROR') : [];
    const ids = raw === null ? [] : raw;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected the activeElementsCollection of ad-hoc sub-process '${el.id}' to be a list of element ids, but it was '${JSON.stringify(ids)}'`);
    }
    const startable = (id: string) => {
      const inner = model.elements.get(id);
      return inner && inner.scopeId === el.id && !inner.incoming.length && inner.type !== 'bpmn:BoundaryEvent' && !inner.triggeredByEvent ? inner : null;
    };
    const missing = ids.filter((id) => !startable(id));
    if (missing.length) {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected to activate activities for ad-hoc sub-process '${el.id}', but the given elements [${missing.join(', ')}] do not exist or cannot be activated.`);
    }
    for (const id of ids) step.schedule(ei.key, () => step.activate(startable(id)!, ei));
    step.schedule(ei.key, () => step.completeScopeIfDone(ei), true);
  },

  /**
   * Completes when its completion condition holds (cancelling what still runs, unless
   * cancelRemainingInstances is false) or, without a condition, when nothing runs in it any more.
   */
  async completeIfDone(step, scope, children) {
    const el = (await step.model(scope)).elements.get(scope.elementId)!;
    const condition = el.adHoc?.completionCondition;
    if (!condition) {
      if (!children.length) await step.complete(scope);
      return;
    }
    const done = await step.evaluate(condition, scope, `completionCondition of '${el.id}'`, 'EXTRACT_VALUE_ERROR');
    if (typeof done !== 'boolean') {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${condition}' to be 'BOOLEAN', but was '${feelTypeName(done)}'.`);
    }
    if (!done) return;
    if (children.length) {
      if (!el.adHoc!.cancelRemaining) return;
      for (const child of children) await step.terminate(child);
      step.dropAgenda(scope.key);
    }
    await step.complete(scope);
  },
};
