import type { Knex } from 'knex';
import type { TimerSchedule } from '../timers';

/** Timers of waiting elements, and start timers of deployed processes (no instance). */
const TABLE = 'wf_timers';

export interface NewTimer {
  key: number;
  processDefinitionKey: number;
  processInstanceKey: number | null;
  elementInstanceKey: number | null;
  targetElementId: string;
  schedule: TimerSchedule;
  tenantId: string;
}

export async function insertTimer(trx: Knex.Transaction, timer: NewTimer): Promise<void> {
  await trx(TABLE).insert({
    key: timer.key,
    process_definition_key: timer.processDefinitionKey,
    process_instance_key: timer.processInstanceKey,
    element_instance_key: timer.elementInstanceKey,
    target_element_id: timer.targetElementId,
    due_at: timer.schedule.dueAt,
    repetitions: timer.schedule.repetitions,
    interval: timer.schedule.interval,
    tenant_id: timer.tenantId,
  });
}

/** Returns how many were removed. */
export async function deleteTimersOf(trx: Knex.Transaction, elementInstanceKey: number): Promise<number> {
  return trx(TABLE).where({ element_instance_key: elementInstanceKey }).delete();
}

/** A new version's start timers replace those of every other version of the process. */
export async function deleteStartTimers(trx: Knex.Transaction, tenantId: string, bpmnProcessId: string, keepDefinitionKey: number): Promise<void> {
  const others = trx('wf_process_definitions').where({ tenant_id: tenantId, bpmn_process_id: bpmnProcessId }).whereNot({ key: keepDefinitionKey }).select('key');
  await trx(TABLE).whereNull('process_instance_key').whereIn('process_definition_key', others).delete();
}

export async function dueTimers(knex: Knex, now: number, limit: number): Promise<any[]> {
  return knex(TABLE).where('due_at', '<=', now).orderBy('due_at').limit(limit);
}

export async function loadTimer(trx: Knex.Transaction, key: number | string): Promise<any | undefined> {
  return trx(TABLE).where({ key }).first();
}

export async function rescheduleTimer(trx: Knex.Transaction, key: number | string, next: TimerSchedule): Promise<void> {
  await trx(TABLE).where({ key }).update({ due_at: next.dueAt, repetitions: next.repetitions });
}

export async function deleteTimer(trx: Knex.Transaction, key: number | string): Promise<void> {
  await trx(TABLE).where({ key }).delete();
}

/** When the next timer is due (null: none). */
export async function nextDueAt(knex: Knex): Promise<number | null> {
  const next = await knex(TABLE).min('due_at as at').first();
  return next?.at === null || next?.at === undefined ? null : Number(next.at);
}
