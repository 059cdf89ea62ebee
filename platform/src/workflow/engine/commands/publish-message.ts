import { DEFAULT_TENANT } from '../deployments';
import { CommandRejected } from '../errors';
import { latestStarts, triggerSubscription } from '../events';
import type { Step } from '../interpreter';
import { bufferMessage, messageIdTaken, recordCorrelations } from '../state/messages';
import { messageSubscriptions } from '../state/subscriptions';
import type { Vars } from '../types';

export interface PublishMessageRequest {
  name: string;
  correlationKey: string;
  timeToLive: number;
  messageId: string;
  variables: Vars;
  tenantId?: string;
}

/**
 * MESSAGE PUBLISH: correlates to waiting subscriptions and message start events, at most once
 * per process (bpmnProcessId); with a time to live it is buffered for subscriptions still to come.
 */
export async function publishMessage(step: Step, request: PublishMessageRequest) {
  const tenantId = request.tenantId || DEFAULT_TENANT;
  if (request.messageId && (await messageIdTaken(step.trx, { tenantId, name: request.name, correlationKey: request.correlationKey, messageId: request.messageId }, step.now))) {
    throw new CommandRejected('ALREADY_EXISTS', `Expected to publish a new message with id '${request.messageId}', but a message with that id was already published`, 'PUBLISH');
  }
  const key = step.services.nextKey();
  const buffered = request.timeToLive > 0;
  if (buffered) {
    await bufferMessage(step.trx, {
      key,
      name: request.name,
      correlationKey: request.correlationKey,
      messageId: request.messageId || null,
      variables: request.variables,
      expiresAt: step.now + request.timeToLive,
      tenantId,
    });
  }
  const correlated = new Set<string>();
  // The instances the message reached (opened or started), in correlation order.
  const processInstanceKeys: number[] = [];
  for (const sub of await messageSubscriptions(step.trx, tenantId, request.name, request.correlationKey)) {
    if (correlated.has(sub.bpmn_process_id)) continue;
    if (await triggerSubscription(step, sub, request.variables)) {
      correlated.add(sub.bpmn_process_id);
      processInstanceKeys.push(Number(sub.process_instance_key));
    }
  }
  for (const start of await latestStarts(step, tenantId, (model) => model.messageStarts.find((s) => s.message?.name === request.name))) {
    if (correlated.has(start.bpmnProcessId)) continue;
    correlated.add(start.bpmnProcessId);
    processInstanceKeys.push(await step.startInstance({ definition: start.definition, variables: request.variables, startElementId: start.elementId }));
  }
  if (buffered) await recordCorrelations(step.trx, key, [...correlated]);
  step.count('messages.published');
  return { key, tenantId, processInstanceKeys };
}
