import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { loadActiveIncident, markResolved } from '../state/incidents';
import { loadJob, reactivate } from '../state/jobs';

/**
 * INCIDENT RESOLVE: a job's incident hands the job out again (its retries must have been raised);
 * any other runs again the step that failed (the instance's start, an activation or a completion).
 */
export async function resolveIncident(step: Step, key: number) {
  const incident = await loadActiveIncident(step.trx, key);
  if (!incident) throw new CommandRejected('NOT_FOUND', `Expected to resolve incident with key '${key}', but no such incident was found`, 'RESOLVE');
  if (incident.job_key !== null) {
    const job = await loadJob(step.trx, Number(incident.job_key));
    if (job && Number(job.retries) <= 0) {
      throw new CommandRejected(
        'FAILED_PRECONDITION',
        `Expected to resolve incident with key '${key}', but job with key '${incident.job_key}' has no retries left; update its retries first`,
        'RESOLVE',
      );
    }
  }
  await markResolved(step.trx, key, step.now);
  if (incident.job_key !== null) {
    const type = await reactivate(step.trx, Number(incident.job_key), step.now);
    if (type) step.effects.jobTypes.add(type);
    return;
  }
  const ei = await step.ei(Number(incident.element_instance_key));
  if (!ei) return;
  if (incident.retry_step === 'start' && ei.data?.pendingStart) {
    const { elementId, trigger } = ei.data.pendingStart;
    step.schedule(ei.key, () => step.beginInstance(ei, elementId, trigger));
    return;
  }
  if (incident.retry_step === 'complete') {
    step.schedule(ei.flowScopeKey, () => step.complete(ei));
    return;
  }
  const el = (await step.model(ei)).elements.get(ei.elementId)!;
  step.schedule(ei.flowScopeKey, () => step.enter(ei, el));
}
