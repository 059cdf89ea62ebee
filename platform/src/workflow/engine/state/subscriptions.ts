import type { Knex } from 'knex';

/** Message and signal subscriptions of waiting elements (event subprocess starts and boundaries included). */
const MESSAGE_SUBSCRIPTIONS = 'wf_message_subscriptions';
const SIGNAL_SUBSCRIPTIONS = 'wf_signal_subscriptions';

interface Owner {
  processInstanceKey: number;
  elementInstanceKey: number;
  targetElementId: string;
  bpmnProcessId: string;
  tenantId: string;
}

export interface MessageSubscription {
  key: number;
  message_name: string;
  correlation_key: string;
  process_instance_key: number;
  element_instance_key: number;
  target_element_id: string;
  bpmn_process_id: string;
  tenant_id: string;
  created_at: number;
}

export async function insertMessageSubscription(trx: Knex.Transaction, key: number, owner: Owner, messageName: string, correlationKey: string, now: number): Promise<MessageSubscription> {
  const sub: MessageSubscription = { key, message_name: messageName, correlation_key: correlationKey, ...ownerColumns(owner), created_at: now };
  await trx(MESSAGE_SUBSCRIPTIONS).insert(sub);
  return sub;
}

/** Subscriptions a published message reaches, oldest first. */
export async function messageSubscriptions(trx: Knex.Transaction, tenantId: string, messageName: string, correlationKey: string): Promise<any[]> {
  return trx(MESSAGE_SUBSCRIPTIONS).where({ tenant_id: tenantId, message_name: messageName, correlation_key: correlationKey }).orderBy('key');
}

export async function insertSignalSubscription(trx: Knex.Transaction, key: number, owner: Owner, signalName: string, now: number): Promise<void> {
  await trx(SIGNAL_SUBSCRIPTIONS).insert({ key, signal_name: signalName, ...ownerColumns(owner), created_at: now });
}

export async function signalSubscriptions(trx: Knex.Transaction, tenantId: string, signalName: string): Promise<any[]> {
  return trx(SIGNAL_SUBSCRIPTIONS).where({ tenant_id: tenantId, signal_name: signalName }).orderBy('key');
}

export async function deleteMessageSubscriptionsOf(trx: Knex.Transaction, elementInstanceKey: number): Promise<void> {
  await trx(MESSAGE_SUBSCRIPTIONS).where({ element_instance_key: elementInstanceKey }).delete();
}

export async function deleteSignalSubscriptionsOf(trx: Knex.Transaction, elementInstanceKey: number): Promise<void> {
  await trx(SIGNAL_SUBSCRIPTIONS).where({ element_instance_key: elementInstanceKey }).delete();
}

/** Who waits, as both subscription tables store it. */
function ownerColumns(owner: Owner) {
  return {
    process_instance_key: owner.processInstanceKey,
    element_instance_key: owner.elementInstanceKey,
    target_element_id: owner.targetElementId,
    bpmn_process_id: owner.bpmnProcessId,
    tenant_id: owner.tenantId,
  };
}
