import type { ElementBehavior } from '.';
import { IncidentRaised } from '../errors';
import { openBoundaries } from '../events';
import { feelTypeName } from '../feel';
import type { Step } from '../interpreter';
import type { ElementDef } from '../model';
import type { EI } from '../types';

/**
 * A multi-instance body: one inner instance per item of inputCollection (all at once, or one after
 * another when sequential), collecting outputElement into outputCollection, until all completed or
 * completionCondition holds.
 */
export const multiInstanceBody: ElementBehavior = {
  async activate(step, body, el) {
    const mi = el.multiInstance!;
    const collection = mi.inputCollection ? await step.evaluate(mi.inputCollection.replace(/^\s*=/, ''), body, `inputCollection of '${el.id}'`, 'EXTRACT_VALUE_ERROR') : null;
    if (!Array.isArray(collection)) {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${mi.inputCollection}' to be 'ARRAY', but was '${feelTypeName(collection)}'.`);
    }
    body.data = { ...(body.data ?? {}), items: collection, next: 0 };
    if (mi.outputCollection) step.setLocal(body, { [mi.outputCollection]: collection.map(() => null) });
    step.touch(body);
    await openBoundaries(step, body, el);
    if (!collection.length) return step.complete(body);
    const count = mi.sequential ? 1 : collection.length;
    for (let i = 0; i < count; i++) startIteration(step, body, el);
  },
};

/** An inner instance completed: its output is collected; the body goes on, or completes. */
export async function innerCompleted(step: Step, inner: EI, body: EI, el: ElementDef) {
  const mi = el.multiInstance!;
  if (mi.outputCollection) {
    const value = mi.outputElement ? await step.evaluateModelValue(mi.outputElement, inner, 'IO_MAPPING_ERROR') : null;
    const list = [...((body.variables?.[mi.outputCollection] as unknown[]) ?? [])];
    list[Number(inner.variables?.loopCounter ?? 1) - 1] = value;
    step.setLocal(body, { [mi.outputCollection]: list });
  }
  if (mi.completionCondition) {
    const done = await step.evaluate(mi.completionCondition, inner, `completionCondition of '${el.id}'`, 'CONDITION_ERROR');
    if (done === true) {
      for (const child of await step.children(body.key)) if (child.key !== inner.key) await step.terminate(child);
      return step.complete(body);
    }
  }
  if (mi.sequential && iterationsLeft(body)) return startIteration(step, body, el);
  step.schedule(body.key, () => step.completeScopeIfDone(body), true);
}

/** Whether a (sequential) body has items it has not started yet. */
export function iterationsLeft(body: EI): boolean {
  return Boolean(body.data && body.data.next < body.data.items.length);
}

function startIteration(step: Step, body: EI, el: ElementDef) {
  const index: number = body.data!.next;
  body.data = { ...body.data, next: index + 1 };
  step.touch(body);
  const item = body.data!.items[index];
  step.schedule(body.key, () => step.activate(el, body, { inner: { item, loopCounter: index + 1 } }));
}
