import type { ElementBehavior } from '.';

/**
 * Start events, gateways (which flows to take is decided when they are left), triggered boundary
 * events, and manual and undefined tasks: the token passes straight through.
 */
export const passThrough: ElementBehavior = {
  activate: (step, ei) => step.complete(ei),
};
