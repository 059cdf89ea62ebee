import type { ElementBehavior } from '.';
import { openCatch } from '../events';

/** Waits for the first of the events after it; that one's flow is taken (events.ts, triggerSubscription). */
export const eventBasedGateway: ElementBehavior = {
  async activate(step, ei, el, model) {
    for (const flow of el.outgoing) await openCatch(step, ei, model.elements.get(flow.targetId)!);
  },
};
