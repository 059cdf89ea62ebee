import { DEFAULT_TENANT } from '../deployments';
import type { ActivatedJob, JobActivation } from '../engine';
import type { Step } from '../interpreter';
import { activatableJobs, markActivated } from '../state/jobs';
import { listenerJobTask } from '../user-tasks';

/** JOB_BATCH ACTIVATE: hands out up to `max` jobs of a type (never blocks; long polling is the gateway's part). */
export async function activateJobs(step: Step, request: JobActivation): Promise<ActivatedJob[]> {
  const tenants = request.tenantIds.length ? request.tenantIds : [DEFAULT_TENANT];
  const rows = await activatableJobs(step.trx, request.type, tenants, step.now, Math.max(1, Math.min(request.maxJobsToActivate, 1000)));
  if (!rows.length) return [];
  await step.preload(rows.map((r: any) => Number(r.element_instance_key)));
  const deadline = step.now + Math.max(0, request.timeout);
  await markActivated(step.trx, rows.map((r: any) => r.key), deadline, request.worker.slice(0, 255));
  step.count('jobs.activated', rows.length);
  const jobs: ActivatedJob[] = [];
  for (const row of rows) {
    const ei = await step.ei(Number(row.element_instance_key));
    let variables = ei ? await step.visible(ei) : {};
    if (request.fetchVariable.length) variables = Object.fromEntries(request.fetchVariable.filter((n) => n in variables).map((n) => [n, variables[n]]));
    jobs.push({
      key: String(row.key),
      type: row.type,
      processInstanceKey: String(row.process_instance_key),
      bpmnProcessId: row.bpmn_process_id,
      processDefinitionVersion: Number(row.version),
      processDefinitionKey: String(row.process_definition_key),
      elementId: row.element_id,
      elementInstanceKey: String(row.element_instance_key),
      customHeaders: row.custom_headers,
      worker: request.worker,
      retries: Number(row.retries),
      deadline: String(deadline),
      variables: JSON.stringify(variables),
      tenantId: row.tenant_id,
      kind: row.kind ?? 'BPMN_ELEMENT',
      listenerEventType: row.listener_event_type ?? 'UNSPECIFIED',
      ...(row.kind === 'TASK_LISTENER' ? { userTask: await listenerJobTask(step, Number(row.element_instance_key)) } : {}),
    });
  }
  return jobs;
}
