import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';

/** PROCESS_INSTANCE CANCEL: a root instance ends, with everything in it (called instances included). */
export async function cancelInstance(step: Step, key: number) {
  const root = await step.ei(key);
  if (!root || root.elementType !== 'bpmn:Process') {
    throw new CommandRejected('NOT_FOUND', `Expected to cancel a process instance with key '${key}', but no such process was found`, 'CANCEL');
  }
  const instance = await step.instance(key);
  if (instance.parentProcessInstanceKey !== null) {
    throw new CommandRejected(
      'INVALID_ARGUMENT',
      `Expected to cancel a process instance with key '${key}', but it is created by a parent process instance. Cancel the root process instance '${instance.parentProcessInstanceKey}' instead.`,
      'CANCEL',
    );
  }
  await step.terminate(root);
}
