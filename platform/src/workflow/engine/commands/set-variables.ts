import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import type { Vars } from '../types';

/** VARIABLE_DOCUMENT UPDATE: local to the element, or propagated as a job's variables are. */
export async function setVariables(step: Step, elementInstanceKey: number, variables: Vars, local: boolean) {
  const ei = await step.ei(elementInstanceKey);
  if (!ei) throw new CommandRejected('NOT_FOUND', `Expected to update variables for element with key '${elementInstanceKey}', but no such element was found`, 'UPDATE');
  if (local) step.setLocal(ei, variables);
  else await step.propagate(ei, variables);
  return step.services.nextKey();
}
