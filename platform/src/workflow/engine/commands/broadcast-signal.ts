import { DEFAULT_TENANT } from '../deployments';
import { broadcastSignal as broadcast } from '../events';
import type { Step } from '../interpreter';
import type { Vars } from '../types';

/** SIGNAL BROADCAST: every subscription and signal start event of the tenant (signals are never buffered). */
export async function broadcastSignal(step: Step, request: { signalName: string; variables: Vars; tenantId?: string }) {
  const tenantId = request.tenantId || DEFAULT_TENANT;
  const key = step.services.nextKey();
  await broadcast(step, tenantId, request.signalName, request.variables);
  return { key, tenantId };
}
