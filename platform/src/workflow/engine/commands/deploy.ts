import type { CheckedResource, DeployedProcess } from '../deployments';
import { storeDeployment } from '../state/deployments';
import { evaluateValue } from '../feel';
import type { Step } from '../interpreter';
import { compileProcess } from '../model';
import { deleteStartTimers, insertTimer } from '../state/timers';
import { scheduleTimer } from '../timers';

/** DEPLOYMENT CREATE: stores the checked resources as new versions; a new version's start timers replace the older ones'. */
export async function deploy(step: Step, checked: CheckedResource[], tenantId: string) {
  const stored = await storeDeployment(step.trx, checked, tenantId, step.services.nextKey);
  step.services.forgetLatestDefinitions();
  for (const created of stored.created) await replaceStartTimers(step, created);
  return stored;
}

async function replaceStartTimers(step: Step, created: DeployedProcess & { xml: string }) {
  await deleteStartTimers(step.trx, created.tenantId, created.bpmnProcessId, created.processDefinitionKey);
  const model = await compileProcess(created.xml, created.bpmnProcessId);
  step.services.rememberModel(created.processDefinitionKey, model);
  for (const start of model.timerStarts) {
    const value = String(evaluateValue(start.timer!.expression, {}));
    await insertTimer(step.trx, {
      key: step.services.nextKey(),
      processDefinitionKey: created.processDefinitionKey,
      processInstanceKey: null,
      elementInstanceKey: null,
      targetElementId: start.id,
      schedule: scheduleTimer(start.timer!.kind, value, step.now),
      tenantId: created.tenantId,
    });
    step.effects.timersChanged = true;
  }
}
