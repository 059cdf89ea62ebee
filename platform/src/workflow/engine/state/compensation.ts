import type { Knex } from 'knex';

/**
 * Compensation subscriptions: a completed compensable activity (handler_id set), or a completed
 * subprocess holding some (handler_id null), in the scope it completed in. They live as long as
 * their process instance; a throw event marks those it triggered.
 */
const TABLE = 'wf_compensation_subscriptions';

export interface CompensationSubscription {
  key: number;
  process_instance_key: number;
  activity_id: string;
  activity_instance_key: number;
  scope_key: number;
  handler_id: string | null;
  throw_event_instance_key: number | null;
  created_at: number;
}

const of = (trx: Knex.Transaction, processInstanceKey: number) => trx(TABLE).where({ process_instance_key: processInstanceKey });

export async function insertCompensation(trx: Knex.Transaction, sub: Omit<CompensationSubscription, 'throw_event_instance_key'>): Promise<void> {
  await trx(TABLE).insert({ ...sub, throw_event_instance_key: null });
}

export async function hasCompensationsIn(trx: Knex.Transaction, processInstanceKey: number, scopeKey: number): Promise<boolean> {
  return Boolean(await of(trx, processInstanceKey).where({ scope_key: scopeKey }).first('key'));
}

/** Those no throw event has triggered yet, oldest first. */
export async function untriggeredCompensations(trx: Knex.Transaction, processInstanceKey: number): Promise<CompensationSubscription[]> {
  return of(trx, processInstanceKey).whereNull('throw_event_instance_key').orderBy('key');
}

export async function markTriggered(trx: Knex.Transaction, keys: number[], throwEventInstanceKey: number): Promise<void> {
  await trx(TABLE).whereIn('key', keys).update({ throw_event_instance_key: throwEventInstanceKey });
}

export async function loadCompensation(trx: Knex.Transaction, processInstanceKey: number, key: number): Promise<CompensationSubscription | undefined> {
  return of(trx, processInstanceKey).where({ key }).first();
}

export async function deleteCompensation(trx: Knex.Transaction, processInstanceKey: number, key: number): Promise<void> {
  await of(trx, processInstanceKey).where({ key }).delete();
}

/** The subscription of a completed subprocess that holds others (no handler of its own). */
export async function holderOf(trx: Knex.Transaction, processInstanceKey: number, activityInstanceKey: number): Promise<CompensationSubscription | undefined> {
  return of(trx, processInstanceKey).where({ activity_instance_key: activityInstanceKey }).whereNull('handler_id').first();
}

export async function anyTriggeredBy(trx: Knex.Transaction, processInstanceKey: number, throwEventInstanceKey: number): Promise<boolean> {
  return Boolean(await of(trx, processInstanceKey).where({ throw_event_instance_key: throwEventInstanceKey }).first('key'));
}

export async function compensationsIn(trx: Knex.Transaction, processInstanceKey: number, scopeKey: number): Promise<CompensationSubscription[]> {
  return of(trx, processInstanceKey).where({ scope_key: scopeKey });
}

export async function deleteCompensationsIn(trx: Knex.Transaction, processInstanceKey: number, scopeKey: number): Promise<void> {
  await of(trx, processInstanceKey).where({ scope_key: scopeKey }).delete();
}

export async function deleteCompensationsOfInstance(trx: Knex.Transaction, processInstanceKey: number): Promise<void> {
  await of(trx, processInstanceKey).delete();
}
