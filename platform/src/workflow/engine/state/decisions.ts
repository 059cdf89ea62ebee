import type { Knex } from 'knex';
import { DecisionEvaluationFailed, evaluateDecision, type DecisionGraph, type EvaluatedDecision } from '../dmn';
import type { ResourceBinding } from '../deployments';
import { bindVersion } from './deployments';
import { CommandRejected } from '../errors';

/**
 * Deployed decisions: which version a call binds to, evaluating it, and the record of every
 * evaluation (Zeebe's decision instances: one per evaluation, with each decision of the DRG it
 * evaluated, its inputs, matched rules and output). Only this module writes `wf_decision_evaluations`.
 */

export const EVALUATIONS_TABLE = 'wf_decision_evaluations';
export const DECISION_INSTANCES = 'wf_decision_instances';

/** Which version is evaluated: the latest, the one deployed together with the calling process, or the one with a version tag. */
export type DecisionBinding = ResourceBinding;

/** Where an evaluation happened: a business-rule task, or nowhere (the EvaluateDecision API). */
export interface EvaluationContext {
  processInstanceKey: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  elementInstanceKey: number;
  elementId: string;
}

export type DecisionResult = Awaited<ReturnType<typeof evaluateStoredDecision>>;

/** The decision row `ref` names under `binding`; refused NOT_FOUND with Zeebe's wording. */
export async function findDecision(trx: Knex | Knex.Transaction, tenantId: string, ref: { decisionId?: string; decisionKey?: number }, binding: DecisionBinding = { type: 'latest' }) {
  const query = trx('wf_decisions as d').join('wf_decision_requirements as r', 'r.key', 'd.decision_requirements_key');
  if (ref.decisionKey) query.where('d.key', ref.decisionKey);
  else bindVersion(trx, query.where({ 'd.tenant_id': tenantId, 'd.decision_id': ref.decisionId ?? '' }), 'decision', ref.decisionId ?? '', binding, { key: 'd.key', versionTag: 'd.version_tag' });
  const row = await query.orderBy('d.version', 'desc').first('d.*', 'r.drg_id');
  if (row) return row;
  if (ref.decisionKey) throw new CommandRejected('NOT_FOUND', `Expected to evaluate decision with key '${ref.decisionKey}', but no such decision found`, 'EVALUATE');
  if (binding.type === 'deployment') {
    throw new CommandRejected(
      'NOT_FOUND',
      `Expected to evaluate decision with id '${ref.decisionId}' with binding type 'deployment', but no such decision found in the deployment which contained the current process. To resolve this incident, migrate the process instance to a process definition that is deployed together with the intended decision to evaluate.`,
    );
  }
  if (binding.type === 'versionTag') {
    throw new CommandRejected(
      'NOT_FOUND',
      `Expected to evaluate decision with id '${ref.decisionId}' and version tag '${binding.versionTag}', but no such decision found. To resolve this incident, deploy a decision with the given id and version tag.`,
    );
  }
  throw new CommandRejected('NOT_FOUND', `Expected to evaluate decision '${ref.decisionId}', but no decision found for id '${ref.decisionId}'`, 'EVALUATE');
}

/**
 * Evaluates a stored decision. A failed evaluation is an answer too (failedDecisionId,
 * failureMessage), as Zeebe's EvaluateDecision gives it.
 */
export async function evaluateStoredDecision(trx: Knex | Knex.Transaction, row: any, graph: DecisionGraph, variables: Record<string, unknown>) {
  const versions = new Map<string, { key: number; version: number }>();
  for (const d of await trx('wf_decisions').where({ decision_requirements_key: row.decision_requirements_key })) versions.set(d.decision_id, { key: Number(d.key), version: Number(d.version) });
  const describe = (evaluated: EvaluatedDecision[]) =>
    evaluated.map((e) => ({ ...e, decisionKey: versions.get(e.decisionId)?.key ?? 0, decisionVersion: versions.get(e.decisionId)?.version ?? 0, tenantId: row.tenant_id as string }));
  const base = {
    decisionKey: Number(row.key),
    decisionId: row.decision_id as string,
    decisionName: row.name as string,
    decisionVersion: Number(row.version),
    decisionRequirementsId: row.drg_id as string,
    decisionRequirementsKey: Number(row.decision_requirements_key),
    tenantId: row.tenant_id as string,
  };
  try {
    const { output, evaluated } = evaluateDecision(graph, row.decision_id, variables);
    return { ...base, output, evaluatedDecisions: describe(evaluated), failedDecisionId: '', failureMessage: '' };
  } catch (error) {
    if (!(error instanceof DecisionEvaluationFailed)) throw error;
    return { ...base, output: null as unknown, evaluatedDecisions: describe(error.evaluated), failedDecisionId: error.decisionId, failureMessage: error.message };
  }
}

/** Records one evaluation (its key is the decision instance key the APIs answer with), and a row per decision it evaluated. */
export async function recordEvaluation(trx: Knex.Transaction, key: number, result: DecisionResult, context: EvaluationContext | null, now: number): Promise<void> {
  const row = {
    key,
    decision_key: result.decisionKey,
    decision_id: result.decisionId,
    decision_version: result.decisionVersion,
    decision_requirements_key: result.decisionRequirementsKey,
    process_instance_key: context?.processInstanceKey ?? null,
    process_definition_key: context?.processDefinitionKey ?? null,
    bpmn_process_id: context?.bpmnProcessId ?? null,
    element_instance_key: context?.elementInstanceKey ?? null,
    element_id: context?.elementId ?? null,
    state: result.failureMessage ? 'FAILED' : 'EVALUATED',
    failure_message: result.failureMessage || null,
    output: JSON.stringify(result.output ?? null),
    evaluated: JSON.stringify(result.evaluatedDecisions),
    tenant_id: result.tenantId,
    evaluated_at: now,
  };
  await trx(EVALUATIONS_TABLE).insert(row);
  const decisions = decisionInstanceRows(row);
  if (decisions.length) await trx(DECISION_INSTANCES).insert(decisions);
}

/** The decision instances (one per decision evaluated, numbered from 1) of an evaluation row; only the one that failed is FAILED. */
export function decisionInstanceRows(row: any) {
  const evaluated: Array<{ decisionKey: number; decisionId: string }> = JSON.parse(row.evaluated);
  return evaluated.map((e, i) => ({
    evaluation_key: row.key,
    idx: i + 1,
    decision_key: e.decisionKey,
    decision_id: e.decisionId,
    state: row.state === 'FAILED' && i === evaluated.length - 1 ? 'FAILED' : 'EVALUATED',
    process_instance_key: row.process_instance_key ?? null,
    process_definition_key: row.process_definition_key ?? null,
    element_instance_key: row.element_instance_key ?? null,
    tenant_id: row.tenant_id,
  }));
}

/** The DMN source of deployed decision requirements (parsed once and cached by the engine). */
export async function decisionRequirementsXml(trx: Knex | Knex.Transaction, decisionRequirementsKey: number): Promise<string | null> {
  const row = await trx('wf_decision_requirements').where({ key: decisionRequirementsKey }).first('xml');
  return row ? row.xml : null;
}
