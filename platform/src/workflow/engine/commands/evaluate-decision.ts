import { DEFAULT_TENANT } from '../deployments';
import type { Step } from '../interpreter';
import type { Vars } from '../types';

/** DECISION_EVALUATION EVALUATE: the latest version of `decisionId`, or the one with `decisionKey`; recorded like a business-rule task's. */
export async function evaluateDecision(step: Step, request: { decisionId?: string; decisionKey?: number; variables: Vars; tenantId?: string }) {
  const result = await step.services.evaluateDecision(request.tenantId || DEFAULT_TENANT, request, request.variables, { type: 'latest' }, null);
  step.count('decisions.evaluated');
  return result;
}
