import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { loadJob, takeCompletableJob } from '../state/jobs';
import type { Vars } from '../types';
import { checkListenerResult, taskListenerCompleted, type TaskAttributes } from '../user-tasks';
import { requireJob } from './load-job';

/** A task listener's decision (REST job completion only; the gRPC request has none). */
export type ListenerResult = { denied?: boolean; deniedReason?: string; corrections?: TaskAttributes } | null;

/** JOB COMPLETE: the element (or the listener) it belongs to goes on with the job's variables. */
export async function completeJob(step: Step, key: number, variables: Vars, result: ListenerResult) {
  if (result?.denied || result?.corrections || Object.keys(variables).length) {
    const job = await loadJob(step.trx, key);
    if (job?.kind === 'TASK_LISTENER') {
      if (Object.keys(variables).length) {
        throw new CommandRejected(
          'INVALID_ARGUMENT',
          `Task Listener job completion with variables payload provided is not yet supported (job key '${key}', type '${job.type}', processInstanceKey '${job.process_instance_key}')`,
          'COMPLETE',
        );
      }
      await checkListenerResult(step, Number(job.element_instance_key), key, result);
    }
  }
  // One statement on the hot path; the refusals look the job up only when it was not there to complete.
  const job = await takeCompletableJob(step.trx, key);
  if (!job) {
    const { state } = await requireJob(step, key, 'COMPLETE', 'complete');
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to complete job with key '${key}', but it is in state '${state}'`, 'COMPLETE');
  }
  step.count('jobs.completed');
  const ei = await step.ei(Number(job.element_instance_key));
  if (!ei) return;
  step.dropOwned(ei, 'job');
  if (job.kind === 'EXECUTION_LISTENER') {
    step.schedule(ei.flowScopeKey, () => step.listenerCompleted(ei, variables));
    return;
  }
  if (job.kind === 'TASK_LISTENER') {
    step.schedule(ei.flowScopeKey, () => taskListenerCompleted(step, ei, result));
    return;
  }
  const model = await step.model(ei);
  await step.applyResult(ei, model.elements.get(ei.elementId)!, variables);
  step.schedule(ei.flowScopeKey, () => step.complete(ei));
}
