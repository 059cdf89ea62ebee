import type { ResourceBinding } from './deployments';
import type { DecisionBinding, DecisionResult, EvaluationContext } from './state/decisions';
import type { ProcessModel } from './model';
import type { ElementInstanceRows } from './state/element-instances';
import type { TaskOutcome } from './user-tasks';

/** The engine's shared shapes: what a command step loads, changes and reports back to the writer. */

export type Vars = Record<string, unknown>;

/** The element type of a multi-instance activity's body (its inner instances carry the activity's own type). */
export const MI_BODY = 'MULTI_INSTANCE_BODY';

export interface InstanceRow {
  key: number;
  processDefinitionKey: number;
  bpmnProcessId: string;
  version: number;
  tenantId: string;
  parentProcessInstanceKey: number | null;
  parentElementInstanceKey: number | null;
  businessKey: string | null;
}

/** An element instance as a step holds it: loaded, changed in memory, written back at the end of the command. */
export interface EI {
  key: number;
  processInstanceKey: number;
  flowScopeKey: number | null;
  elementId: string;
  elementType: string;
  state: 'ACTIVATED' | 'COMPLETING';
  variables: Vars | null;
  data: Record<string, any> | null;
  createdAt: number;
  persisted: boolean;
  alive: boolean;
  dirty: boolean;
}

export interface DefinitionRef {
  key: number;
  bpmnProcessId: string;
  version: number;
  tenantId: string;
}

/** What the writer lends a step: cached models, key allocation, decisions. */
export interface EngineServices {
  model(processDefinitionKey: number): Promise<ProcessModel>;
  /** A freshly deployed version's model, so the first instances need not compile it again. */
  rememberModel(processDefinitionKey: number, model: ProcessModel): void;
  latestDefinition(tenantId: string, bpmnProcessId: string): Promise<DefinitionRef | null>;
  /** The version a call activity binds to (`deployment`: the caller's own deployment; `versionTag`: the tagged one). */
  boundDefinition(tenantId: string, bpmnProcessId: string, binding: ResourceBinding): Promise<DefinitionRef | null>;
  /** Evaluates and records a decision (a business-rule task's, or the EvaluateDecision API's when `context` is null). */
  evaluateDecision(
    tenantId: string,
    ref: { decisionId?: string; decisionKey?: number },
    variables: Vars,
    binding: DecisionBinding,
    context: EvaluationContext | null,
  ): Promise<DecisionResult & { decisionInstanceKey: number }>;
  /** Deployed processes changed: the latest versions remembered are forgotten. */
  forgetLatestDefinitions(): void;
  nextKey(): number;
  instanceFacts: Map<number, InstanceRow>;
  /** Element-instance rows as last written or read (see state/element-instances). */
  elementInstanceRows: ElementInstanceRows;
}

/** What a batch of commands leaves for the writer to do once it committed. */
export interface Effects {
  jobTypes: Set<string>;
  completed: Array<{ processInstanceKey: number; variables: Vars; state: 'COMPLETED' | 'TERMINATED' }>;
  timersChanged: boolean;
  history: Array<Record<string, unknown>>;
  counters: Map<string, number>;
  resultWaiters: Array<[number, (outcome: { variables: Vars; state: string }) => void]>;
  /** Requests waiting for a user task transition (assign, update, complete), and the outcomes settled here. */
  userTaskWaiters: Array<[number, (rejection: Error | null) => void]>;
  userTaskOutcomes: TaskOutcome[];
}
