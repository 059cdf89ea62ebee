import type { ElementBehavior } from '.';
import { subscribe, subscribeSignal, startTimer } from '../events';

/** Waits for its message, signal or timer (a link catch is only ever entered triggered). */
export const intermediateCatchEvent: ElementBehavior = {
  async activate(step, ei, el) {
    if (el.event === 'message') return subscribe(step, ei, ei, el);
    if (el.event === 'signal') return subscribeSignal(step, ei, ei, el);
    return startTimer(step, ei, ei, el);
  },
};
