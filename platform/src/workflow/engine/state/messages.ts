import type { Knex } from 'knex';
import type { Vars } from '../types';

/**
 * Buffered messages (published with a time to live) and which processes each already reached:
 * Zeebe correlates a message at most once per process (bpmnProcessId).
 */
const MESSAGES = 'wf_messages';
const CORRELATIONS = 'wf_message_correlations';

export interface PublishedMessage {
  key: number;
  name: string;
  correlationKey: string;
  messageId: string | null;
  variables: Vars;
  expiresAt: number;
  tenantId: string;
}

/** Whether a live message with this id was published already. */
export async function messageIdTaken(trx: Knex.Transaction, message: { tenantId: string; name: string; correlationKey: string; messageId: string }, now: number): Promise<boolean> {
  const found = await trx(MESSAGES)
    .where({ tenant_id: message.tenantId, name: message.name, correlation_key: message.correlationKey, message_id: message.messageId })
    .where('expires_at', '>', now)
    .first('key');
  return Boolean(found);
}

export async function bufferMessage(trx: Knex.Transaction, message: PublishedMessage): Promise<void> {
  await trx(MESSAGES).insert({
    key: message.key,
    name: message.name,
    correlation_key: message.correlationKey,
    message_id: message.messageId,
    variables: JSON.stringify(message.variables),
    expires_at: message.expiresAt,
    tenant_id: message.tenantId,
  });
}

/** The oldest live buffered message the process has not received yet. */
export async function bufferedMessageFor(trx: Knex.Transaction, tenantId: string, name: string, correlationKey: string, bpmnProcessId: string, now: number): Promise<{ key: number; variables: Vars } | null> {
  const row = await trx(`${MESSAGES} as m`)
    .where({ 'm.tenant_id': tenantId, 'm.name': name, 'm.correlation_key': correlationKey })
    .where('m.expires_at', '>', now)
    .whereNotExists((q) => q.select(1).from(`${CORRELATIONS} as c`).whereRaw('c.message_key = m.key').where('c.bpmn_process_id', bpmnProcessId))
    .orderBy('m.key')
    .first();
  return row ? { key: Number(row.key), variables: JSON.parse(row.variables) } : null;
}

export async function recordCorrelations(trx: Knex.Transaction, messageKey: number, bpmnProcessIds: string[]): Promise<void> {
  if (bpmnProcessIds.length) await trx(CORRELATIONS).insert(bpmnProcessIds.map((id) => ({ message_key: messageKey, bpmn_process_id: id })));
}

export async function deleteExpiredMessages(trx: Knex.Transaction, now: number): Promise<void> {
  const expired = trx(MESSAGES).where('expires_at', '<=', now).select('key');
  await trx(CORRELATIONS).whereIn('message_key', expired).delete();
  await trx(MESSAGES).where('expires_at', '<=', now).delete();
}
