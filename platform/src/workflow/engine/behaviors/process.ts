import type { ElementBehavior } from '.';

/** The process itself: its start event (the one the instance was created at) is entered. */
export const process: ElementBehavior = {
  async activate(step, ei, _el, model) {
    const { start, ...rest } = ei.data ?? {};
    ei.data = rest;
    step.touch(ei);
    return step.activate(model.elements.get(start.elementId)!, ei, { trigger: start.trigger });
  },
};
