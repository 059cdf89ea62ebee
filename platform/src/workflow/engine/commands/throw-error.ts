import { throwBpmnError } from '../catching';
import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { deleteJob, markErrorThrown } from '../state/jobs';
import type { Vars } from '../types';
import { requireJob } from './load-job';

/** JOB THROW_ERROR: a BPMN error from the job's element; caught, the job goes; uncaught, an incident keeps it. */
export async function throwError(step: Step, request: { key: number; errorCode: string; errorMessage: string; variables: Vars }) {
  const job = await requireJob(step, request.key, 'THROW_ERROR', 'throw an error for');
  if (job.state !== 'ACTIVATED' && job.state !== 'ACTIVATABLE') {
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to throw an error for job with key '${request.key}', but it is in state '${job.state}'`, 'THROW_ERROR');
  }
  if (job.kind === 'EXECUTION_LISTENER' || job.kind === 'TASK_LISTENER') {
    throw new CommandRejected(
      'FAILED_PRECONDITION',
      `Cannot throw BPMN error from ${job.kind} job with key '${request.key}', type '${job.type}' and processInstanceKey '${job.process_instance_key}'. Throwing BPMN errors from ${job.kind} jobs is not supported`,
      'THROW_ERROR',
    );
  }
  const ei = await step.ei(Number(job.element_instance_key));
  if (!ei) return;
  await markErrorThrown(step.trx, request.key, request.errorMessage || null);
  const caught = await throwBpmnError(step, ei, request.errorCode, request.errorMessage, request.variables, request.key);
  if (caught) await deleteJob(step.trx, request.key);
}
