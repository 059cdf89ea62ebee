import type { ElementBehavior } from '.';
import { openBoundaries } from '../events';

/** Service and send tasks: a job for a worker, with the task's boundary events open. */
export const jobWorkerTask: ElementBehavior = {
  async activate(step, ei, el) {
    if (!el.job) return step.complete(ei);
    await openBoundaries(step, ei, el);
    return step.createJob(ei, el);
  },
};
