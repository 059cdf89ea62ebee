import type { ElementBehavior } from '.';
import { openBoundaries } from '../events';

/** A zeebe:script FEEL expression the engine evaluates itself, like Zeebe; else a job. */
export const scriptTask: ElementBehavior = {
  async activate(step, ei, el) {
    if (!el.script) {
      await openBoundaries(step, ei, el);
      return step.createJob(ei, el);
    }
    const result = await step.evaluate(el.script.expression, ei, `script of element '${el.id}'`, 'EXTRACT_VALUE_ERROR');
    // The result lands in resultVariable (through output mappings when declared).
    await step.applyResult(ei, el, { [el.script.resultVariable]: result ?? null });
    return step.complete(ei);
  },
};
