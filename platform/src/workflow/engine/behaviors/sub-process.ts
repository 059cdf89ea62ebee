import type { ElementBehavior } from '.';
import { openBoundaries, openEventSubprocesses } from '../events';
import type { Vars } from '../types';

/** An embedded subprocess (or an event subprocess, entered at its triggered start event). */
export const subProcess: ElementBehavior = {
  async activate(step, ei, el, model) {
    await openBoundaries(step, ei, el);
    await openEventSubprocesses(step, ei, el, model);
    if (el.triggeredByEvent) {
      const startTrigger: Vars = ei.data?.startTrigger ?? {};
      return step.activate(model.elements.get(el.startId!)!, ei, { trigger: startTrigger });
    }
    if (!el.startId) return step.complete(ei);
    return step.activate(model.elements.get(el.startId)!, ei);
  },
};
