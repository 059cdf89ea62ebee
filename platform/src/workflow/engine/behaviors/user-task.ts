import type { ElementBehavior } from '.';
import { openBoundaries } from '../events';
import { createUserTask } from '../user-tasks';

/** A Camunda user task (zeebe:userTask) the engine holds, or a job-based one (io.camunda.zeebe:userTask jobs). */
export const userTask: ElementBehavior = {
  async activate(step, ei, el) {
    await openBoundaries(step, ei, el);
    if (el.userTask) return createUserTask(step, ei, el);
    return step.createJob(ei, el);
  },
};
