import { triggerSubscription } from '../events';
import type { Step } from '../interpreter';
import { definitionById } from '../state/definitions';
import { deleteTimer, loadTimer, rescheduleTimer } from '../state/timers';
import { nextOccurrence } from '../timers';

/**
 * TIMER TRIGGER: a due timer starts its process (a timer start event of the latest version) or
 * triggers what waits for it; a cycle that goes on is rescheduled.
 */
export async function triggerTimer(step: Step, timerKey: number | string) {
  const timer = await loadTimer(step.trx, timerKey);
  if (!timer || Number(timer.due_at) > step.now) return;
  const next = nextOccurrence({ dueAt: Number(timer.due_at), repetitions: Number(timer.repetitions), interval: timer.interval }, step.now);
  const model = await step.services.model(Number(timer.process_definition_key));
  const target = model.elements.get(timer.target_element_id);
  const keepsRunning = next && (timer.process_instance_key === null || (target && !target.interrupting && target.type !== 'bpmn:IntermediateCatchEvent'));
  if (keepsRunning) await rescheduleTimer(step.trx, timer.key, next);
  else await deleteTimer(step.trx, timer.key);
  step.effects.timersChanged = true;
  if (timer.process_instance_key === null) {
    const latest = await definitionById(step.trx, timer.tenant_id, model.bpmnProcessId);
    if (latest?.key !== Number(timer.process_definition_key)) return;
    await step.startInstance({ definition: latest, variables: {}, startElementId: timer.target_element_id });
    return;
  }
  await triggerSubscription(step, timer, {});
}
