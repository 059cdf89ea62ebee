import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { setDeadline, setRetries } from '../state/jobs';
import { requireJob } from './load-job';

/** JOB UPDATE_RETRIES. */
export async function updateJobRetries(step: Step, key: number, retries: number) {
  await requireJob(step, key, 'UPDATE_RETRIES', 'update retries of');
  if (!(retries > 0)) throw new CommandRejected('INVALID_ARGUMENT', `Expected retries to be greater than zero, but it was '${retries}'`, 'UPDATE_RETRIES');
  await setRetries(step.trx, key, Math.trunc(retries));
}

/** JOB UPDATE_TIMEOUT: an activated job's new deadline counts from now. */
export async function updateJobTimeout(step: Step, key: number, timeoutMs: number) {
  const job = await requireJob(step, key, 'UPDATE_TIMEOUT', 'update timeout of');
  if (job.state !== 'ACTIVATED') {
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to update the timeout of activated job with key '${key}', but it is in state '${job.state}'`, 'UPDATE_TIMEOUT');
  }
  await setDeadline(step.trx, key, step.now + Math.max(0, timeoutMs));
}
