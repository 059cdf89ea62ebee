import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { markFailed, retryJob } from '../state/jobs';
import type { Vars } from '../types';
import { requireJob } from './load-job';

export interface FailJobRequest {
  key: number;
  retries: number;
  errorMessage: string;
  retryBackOff: number;
  variables: Vars;
}

/** JOB FAIL: with retries left it is handed out again (after the back-off); without, an incident. */
export async function failJob(step: Step, request: FailJobRequest) {
  const job = await requireJob(step, request.key, 'FAIL', 'fail');
  if (job.state !== 'ACTIVATED') {
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to fail activated job with key '${request.key}', but it is in state '${job.state}'`, 'FAIL');
  }
  step.count('jobs.failed');
  const ei = await step.ei(Number(job.element_instance_key));
  if (ei) step.setLocal(ei, request.variables);
  const retries = Math.trunc(request.retries);
  if (retries > 0) {
    await retryJob(step.trx, request.key, retries, request.retryBackOff, request.errorMessage || null, step.now);
    if (!request.retryBackOff) step.effects.jobTypes.add(job.type);
    else step.effects.timersChanged = true;
    return;
  }
  await markFailed(step.trx, request.key, request.errorMessage || null);
  if (ei) await step.raiseIncident(ei, 'JOB_NO_RETRIES', request.errorMessage || 'No more retries left.', null, request.key);
}
