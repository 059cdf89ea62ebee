import type { ElementBehavior } from '.';
import { openBoundaries, subscribe } from '../events';

/** Waits for its message, with its boundary events open. */
export const receiveTask: ElementBehavior = {
  async activate(step, ei, el) {
    await openBoundaries(step, ei, el);
    return subscribe(step, ei, ei, el);
  },
};
