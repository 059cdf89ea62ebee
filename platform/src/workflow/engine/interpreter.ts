import type { Knex } from 'knex';
import { behaviorOf } from './behaviors';
import { innerCompleted, iterationsLeft } from './behaviors/multi-instance';
import { compensationCompleted, dropCompensations, recordCompensable } from './compensation';
import { CommandRejected, IncidentRaised } from './errors';
import { openEventSubprocesses } from './events';
import { evaluateExpression, evaluateValue, FeelEvaluationError, feelTypeName } from './feel';
import type { ElementDef, FlowDef, ProcessModel } from './model';
import { deleteCompensationsOfInstance } from './state/compensation';
import { loadChildren, loadElementInstance, loadElementInstances, writeElementInstances } from './state/element-instances';
import { insertIncident, resolveIncidentsOf } from './state/incidents';
import { deleteJobsOf, insertJob } from './state/jobs';
import { endProcessInstance, insertProcessInstance, loadProcessInstance } from './state/process-instances';
import { deleteMessageSubscriptionsOf, deleteSignalSubscriptionsOf } from './state/subscriptions';
import { deleteTimersOf } from './state/timers';
import { MI_BODY, type EI, type Effects, type EngineServices, type InstanceRow, type Vars } from './types';
import { cancelUserTask } from './user-tasks';

export { MI_BODY, type EI, type Effects, type EngineServices, type InstanceRow, type Vars } from './types';

/**
 * The token interpreter. One `Step` runs one command of the engine's single writer inside a
 * savepoint: it loads what it touches, moves tokens through the compiled model with an agenda
 * (so parallel branches settle before joins and scope completion are decided), and writes
 * back only element instances that are still waiting when the command ends. What each kind of
 * element does is its behaviour (behaviors/); events, errors and compensation have modules of
 * their own; only the state modules (state/) touch the engine's tables.
 */

const INSTANCE_FACTS_LIMIT = 10_000;

type Owned = 'job' | 'subscription' | 'signal' | 'timer' | 'incident' | 'userTask' | 'compensation';

interface AgendaItem {
  scopeKey: number | null;
  deferred: boolean;
  run: () => Promise<void>;
}

export class Step {
  readonly effects: Effects;
  private readonly eis = new Map<number, EI>();
  private readonly instances = new Map<number, InstanceRow>();
  private agenda: AgendaItem[] = [];

  constructor(
    readonly trx: Knex.Transaction,
    readonly services: EngineServices,
    readonly now: number,
    effects: Effects,
  ) {
    this.effects = effects;
  }

  count(name: string, by = 1) {
    this.effects.counters.set(name, (this.effects.counters.get(name) ?? 0) + by);
  }

  // ---------------------------------------------------------------- loading and writing

  async instance(key: number): Promise<InstanceRow> {
    const cached = this.instances.get(key) ?? this.services.instanceFacts.get(key);
    if (cached) return cached;
    const instance = await loadProcessInstance(this.trx, key);
    if (!instance) throw new Error(`process instance ${key} is missing`);
    this.remember(instance);
    return instance;
  }

  private remember(instance: InstanceRow) {
    this.instances.set(instance.key, instance);
    const facts = this.services.instanceFacts;
    if (facts.size >= INSTANCE_FACTS_LIMIT) facts.delete(facts.keys().next().value!);
    facts.set(instance.key, instance);
  }

  async ei(key: number): Promise<EI | null> {
    const cached = this.eis.get(key);
    if (cached) return cached.alive ? cached : null;
    const ei = await loadElementInstance(this.trx, key, this.services.elementInstanceRows);
    if (ei) this.eis.set(ei.key, ei);
    return ei;
  }

  /** Loads many element instances and their enclosing scopes in a few queries (job activation). */
  async preload(keys: number[]): Promise<void> {
    let missing = keys.filter((k) => !this.eis.has(k));
    for (let depth = 0; missing.length && depth < 32; depth++) {
      const parents = new Set<number>();
      for (const ei of await loadElementInstances(this.trx, missing, this.services.elementInstanceRows)) {
        this.eis.set(ei.key, ei);
        if (ei.flowScopeKey !== null && !this.eis.has(ei.flowScopeKey)) parents.add(ei.flowScopeKey);
      }
      missing = [...parents];
    }
  }

  /** Active children of a scope: what is stored, overlaid with what this step changed. */
  async children(scopeKey: number): Promise<EI[]> {
    for (const ei of await loadChildren(this.trx, scopeKey)) if (!this.eis.has(ei.key)) this.eis.set(ei.key, ei);
    return [...this.eis.values()].filter((e) => e.alive && e.flowScopeKey === scopeKey);
  }

  newEI(instanceKey: number, flowScopeKey: number | null, elementId: string, elementType: string, key = this.services.nextKey()): EI {
    const ei: EI = {
      key,
      processInstanceKey: instanceKey,
      flowScopeKey,
      elementId,
      elementType,
      state: 'ACTIVATED',
      variables: null,
      data: null,
      createdAt: this.now,
      persisted: false,
      alive: true,
      dirty: true,
    };
    this.eis.set(ei.key, ei);
    return ei;
  }

  touch(ei: EI) {
    ei.dirty = true;
  }

  /** Writes element instances that are still waiting; transient ones never reach the database. */
  async flush(): Promise<void> {
    await writeElementInstances(this.trx, this.eis.values(), this.services.elementInstanceRows);
  }

  history(ei: EI, intent: string) {
    this.effects.history.push({
      process_instance_key: ei.processInstanceKey,
      element_instance_key: ei.key,
      element_id: ei.elementId,
      element_type: ei.elementType,
      intent,
      at: this.now,
    });
  }

  /** History of a sequence flow, recorded against the scope it runs in. */
  flowTaken(flow: FlowDef, processInstanceKey: number, scopeKey: number) {
    this.effects.history.push({
      process_instance_key: processInstanceKey,
      element_instance_key: scopeKey,
      element_id: flow.id,
      element_type: 'SEQUENCE_FLOW',
      intent: 'SEQUENCE_FLOW_TAKEN',
      at: this.now,
    });
  }

  // ---------------------------------------------------------------- variables

  async scopeChain(ei: EI): Promise<EI[]> {
    const chain: EI[] = [ei];
    let current = ei;
    while (current.flowScopeKey !== null) {
      const parent = await this.ei(current.flowScopeKey);
      if (!parent) break;
      chain.push(parent);
      current = parent;
    }
    return chain;
  }

  /** Everything visible from `ei`: local variables shadow those of enclosing scopes. */
  async visible(ei: EI): Promise<Vars> {
    const chain = await this.scopeChain(ei);
    const result: Vars = {};
    for (let i = chain.length - 1; i >= 0; i--) Object.assign(result, chain[i]!.variables ?? {});
    return result;
  }

  setLocal(ei: EI, variables: Vars) {
    if (!Object.keys(variables).length) return;
    ei.variables = { ...(ei.variables ?? {}), ...variables };
    this.touch(ei);
  }

  /** Zeebe propagation: each variable lands in the nearest scope that already has it, else the root. */
  async propagate(from: EI, variables: Vars) {
    const names = Object.keys(variables);
    if (!names.length) return;
    const chain = await this.scopeChain(from);
    const root = chain[chain.length - 1]!;
    for (const name of names) {
      const target = chain.find((scope) => scope.variables && Object.prototype.hasOwnProperty.call(scope.variables, name)) ?? root;
      target.variables = { ...(target.variables ?? {}), [name]: variables[name] };
      this.touch(target);
    }
  }

  /** Variables a job, message or child instance hands back: through output mappings when declared. */
  async applyResult(ei: EI, el: ElementDef, variables: Vars) {
    if (el.outputs.length) this.setLocal(ei, variables);
    else await this.propagate(ei, variables);
  }

  /** A FEEL expression over what `ei` sees; one that fails is an incident of `errorType`. */
  async evaluate(expression: string, ei: EI, what: string, errorType: IncidentRaised['errorType']): Promise<unknown> {
    try {
      return evaluateExpression(expression, await this.visible(ei));
    } catch (error) {
      if (error instanceof FeelEvaluationError) throw new IncidentRaised(errorType, `${what}: ${error.message}`);
      throw error;
    }
  }

  /** A model attribute: FEEL when it starts with `=`, else the text itself. */
  async evaluateModelValue(value: string, ei: EI, errorType: IncidentRaised['errorType']): Promise<unknown> {
    const trimmed = value.trim();
    if (!trimmed.startsWith('=')) return value;
    return this.evaluate(trimmed.slice(1), ei, `expression of element '${ei.elementId}'`, errorType);
  }

  private async mapInputs(ei: EI, el: ElementDef) {
    if (!el.inputs.length) return;
    const context = await this.visible(ei);
    const locals: Vars = {};
    for (const m of el.inputs) {
      try {
        setPath(locals, m.target, evaluateValue(m.source, { ...context, ...locals }));
      } catch (error) {
        if (error instanceof FeelEvaluationError) throw new IncidentRaised('IO_MAPPING_ERROR', error.message);
        throw error;
      }
    }
    this.setLocal(ei, locals);
  }

  private async mapOutputs(ei: EI, el: ElementDef, flowScope: EI) {
    if (!el.outputs.length) return;
    const context = await this.visible(ei);
    const result: Vars = {};
    for (const m of el.outputs) {
      try {
        setPath(result, m.target, evaluateValue(m.source, context), (name) => context[name]);
      } catch (error) {
        if (error instanceof FeelEvaluationError) throw new IncidentRaised('IO_MAPPING_ERROR', error.message);
        throw error;
      }
    }
    await this.propagate(flowScope, result);
  }

  // ---------------------------------------------------------------- agenda

  schedule(scopeKey: number | null, run: () => Promise<void>, deferred = false) {
    this.agenda.push({ scopeKey, deferred, run });
  }

  /** Forgets what was still to run in a scope that was just interrupted or ended. */
  dropAgenda(scopeKey: number) {
    this.agenda = this.agenda.filter((i) => i.scopeKey !== scopeKey);
  }

  /** Runs the agenda to quiescence. Deferred checks wait until their scope has nothing else pending. */
  async settle(): Promise<void> {
    while (this.agenda.length) {
      let index = this.agenda.findIndex((i) => !i.deferred);
      if (index === -1) index = 0;
      const [item] = this.agenda.splice(index, 1);
      await item!.run();
    }
  }

  pendingIn(scopeKey: number): boolean {
    return this.agenda.some((i) => !i.deferred && i.scopeKey === scopeKey);
  }

  /** Runs one element step; a failure an operator must fix becomes an incident on that element. */
  async guarded(ei: EI, step: 'activate' | 'complete', work: () => Promise<void>) {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof IncidentRaised)) throw error;
      await this.raiseIncident(ei, error.errorType, error.message, step, null);
    }
  }

  async raiseIncident(ei: EI, errorType: string, message: string, retryStep: string | null, jobKey: number | null) {
    const instance = await this.instance(ei.processInstanceKey);
    this.markOwns(ei, 'incident');
    await insertIncident(
      this.trx,
      {
        key: this.services.nextKey(),
        processInstanceKey: ei.processInstanceKey,
        elementInstanceKey: ei.key,
        elementId: ei.elementId,
        bpmnProcessId: instance.bpmnProcessId,
        jobKey,
        errorType,
        errorMessage: message,
        retryStep,
        tenantId: instance.tenantId,
      },
      this.now,
    );
    this.count('incidents.created');
  }

  // ---------------------------------------------------------------- process instances

  async startInstance(options: {
    definition: { key: number; bpmnProcessId: string; version: number; tenantId: string };
    variables: Vars;
    startElementId?: string;
    triggerVariables?: Vars;
    parent?: { processInstanceKey: number; elementInstanceKey: number };
  }): Promise<number> {
    const model = await this.services.model(options.definition.key);
    const startId = options.startElementId ?? model.process.startId;
    if (!startId) {
      throw new CommandRejected('FAILED_PRECONDITION', `Expected to create instance of process with none start event, but there is no such event`, 'CREATE');
    }
    const key = this.services.nextKey();
    const instance: InstanceRow = {
      key,
      processDefinitionKey: options.definition.key,
      bpmnProcessId: options.definition.bpmnProcessId,
      version: options.definition.version,
      tenantId: options.definition.tenantId,
      parentProcessInstanceKey: options.parent?.processInstanceKey ?? null,
      parentElementInstanceKey: options.parent?.elementInstanceKey ?? null,
      businessKey: typeof options.variables.businessKey === 'string' ? options.variables.businessKey.slice(0, 255) : null,
    };
    await insertProcessInstance(this.trx, instance, this.now);
    this.remember(instance);
    const root = this.newEI(key, null, model.bpmnProcessId, 'bpmn:Process', key);
    root.variables = { ...options.variables };
    this.history(root, 'ELEMENT_ACTIVATED');
    this.count('instances.started');
    await this.beginInstance(root, startId, options.triggerVariables ?? null);
    return key;
  }

  /**
   * Opens the process's event subprocesses, then enters its start event. As on Zeebe, one that
   * cannot be opened (its correlation key or timer fails) is an incident on the process instance,
   * not a refused command; resolving it tries again from here.
   */
  async beginInstance(root: EI, startId: string, trigger: Vars | null) {
    const model = await this.model(root);
    try {
      await openEventSubprocesses(this, root, model.process, model);
    } catch (error) {
      if (!(error instanceof IncidentRaised)) throw error;
      await this.closeOwned(root); // all or nothing: the retry opens every subscription again
      root.data = { ...(root.data ?? {}), pendingStart: { elementId: startId, trigger } };
      this.touch(root);
      await this.raiseIncident(root, error.errorType, error.message, 'start', null);
      return;
    }
    if (root.data?.pendingStart) {
      const { pendingStart: _done, ...rest } = root.data;
      root.data = rest;
      this.touch(root);
    }
    // The process's own start listeners run first; the start event follows (its behaviour).
    root.data = { ...(root.data ?? {}), start: { elementId: startId, trigger } };
    this.touch(root);
    this.schedule(root.key, () => this.guarded(root, 'activate', () => this.enter(root, model.process)));
  }

  async endInstance(root: EI, state: 'COMPLETED' | 'TERMINATED') {
    const instance = await this.instance(root.processInstanceKey);
    await this.closeOwned(root);
    // Zeebe: compensation subscriptions live as long as their process instance, not their scope.
    if (root.data?.owns?.compensation) await deleteCompensationsOfInstance(this.trx, root.key);
    root.alive = false;
    this.history(root, state === 'COMPLETED' ? 'ELEMENT_COMPLETED' : 'ELEMENT_TERMINATED');
    await endProcessInstance(this.trx, instance.key, state, root.variables ?? {}, this.now);
    this.count(state === 'COMPLETED' ? 'instances.completed' : 'instances.terminated');
    this.effects.completed.push({ processInstanceKey: instance.key, variables: root.variables ?? {}, state });
    if (state === 'COMPLETED' && instance.parentElementInstanceKey !== null) {
      const callActivity = await this.ei(instance.parentElementInstanceKey);
      if (!callActivity) return;
      const parentModel = await this.services.model((await this.instance(callActivity.processInstanceKey)).processDefinitionKey);
      const el = parentModel.elements.get(callActivity.elementId)!;
      // Output mappings see every child variable and alone decide what reaches the parent;
      // without them, propagateAllChildVariables (default true) does.
      if (el.outputs.length) this.setLocal(callActivity, root.variables ?? {});
      else if (el.calledElement?.propagateAllChildVariables) await this.propagate(callActivity, root.variables ?? {});
      this.schedule(callActivity.flowScopeKey, () => this.complete(callActivity));
    }
  }

  // ---------------------------------------------------------------- activation

  async model(ei: EI): Promise<ProcessModel> {
    return this.services.model((await this.instance(ei.processInstanceKey)).processDefinitionKey);
  }

  /**
   * Activates `el` in `flowScope`. `trigger` carries the variables of the message, timer or
   * error that started an event (it then completes at once instead of waiting).
   */
  async activate(
    el: ElementDef,
    flowScope: EI,
    options: { trigger?: Vars | null; inner?: { item: unknown; loopCounter: number }; compensation?: number } = {},
  ): Promise<void> {
    if (!flowScope.alive) return;
    const asBody = Boolean(el.multiInstance && !options.inner);
    const ei = this.newEI(flowScope.processInstanceKey, flowScope.key, el.id, asBody ? MI_BODY : el.type);
    // A compensation handler remembers its subscription: completing it completes that.
    if (options.compensation) ei.data = { compensation: options.compensation };
    if (options.inner) {
      const mi = el.multiInstance!;
      // A plain variable named as outputElement starts local (null) in each inner instance, so
      // parallel iterations each keep their own result instead of overwriting one global variable.
      const outputVariable = /^=\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(mi.outputElement ?? '')?.[1];
      this.setLocal(ei, {
        ...(outputVariable ? { [outputVariable]: null } : {}),
        ...(mi.inputElement ? { [mi.inputElement]: options.inner.item } : {}),
        loopCounter: options.inner.loopCounter,
      });
    }
    if (options.trigger) ei.data = { trigger: options.trigger };
    this.history(ei, 'ELEMENT_ACTIVATED');
    await this.guarded(ei, 'activate', () => this.enter(ei, el));
  }

  /** What activation runs (and resolving an activation incident runs again): input mappings, start listeners, the behaviour. */
  async enter(ei: EI, el: ElementDef): Promise<void> {
    // A multi-instance body only spreads out its inner instances; they map their own inputs.
    if (ei.elementType === MI_BODY) return behaviorOf(MI_BODY).activate(this, ei, el, await this.model(ei));
    await this.mapInputs(ei, el);
    // Start listeners run after the input mappings, before anything else of the element (Zeebe's order).
    if (el.listeners?.start.length) return this.runListener(ei, el, 'start', 0);
    return this.proceed(ei, el);
  }

  /** The element's own behaviour, once its input mappings and start listeners are done. */
  private async proceed(ei: EI, el: ElementDef): Promise<void> {
    const trigger: Vars | null = ei.data?.trigger ?? null;
    if (trigger) {
      // An event that was triggered (message, timer, error, …) takes its variables and completes.
      ei.data = null;
      await this.applyResult(ei, el, trigger);
      return this.complete(ei);
    }
    return behaviorOf(el.type).activate(this, ei, el, await this.model(ei));
  }

  // ---------------------------------------------------------------- completion and flows

  async complete(ei: EI): Promise<void> {
    if (!ei.alive) return;
    const model = await this.model(ei);
    if (ei.elementType === 'bpmn:Process') {
      // The process's end listeners run before it completes (their variables stay on the instance).
      if (model.process.listeners?.end.length) return this.guarded(ei, 'complete', () => this.runListener(ei, model.process, 'end', 0));
      return this.endInstance(ei, 'COMPLETED');
    }
    ei.state = 'COMPLETING';
    await this.guarded(ei, 'complete', () => this.leave(ei, model));
  }

  /** Output mappings, then the outgoing flows (what resolving a completion incident re-runs). */
  async leave(ei: EI, model: ProcessModel): Promise<void> {
    const el = model.elements.get(ei.elementId)!;
    const flowScope = ei.flowScopeKey === null ? null : await this.ei(ei.flowScopeKey);
    if (!flowScope) return;
    let flows: FlowDef[] = el.outgoing;
    if (el.type === 'bpmn:ExclusiveGateway' || el.type === 'bpmn:InclusiveGateway') flows = await this.chooseFlows(ei, el);
    if (ei.elementType === MI_BODY) {
      const mi = el.multiInstance!;
      if (mi.outputCollection) await this.propagate(flowScope, { [mi.outputCollection]: ei.variables?.[mi.outputCollection] ?? [] });
    } else {
      await this.mapOutputs(ei, el, flowScope);
      // End listeners run after the output mappings, before the element is left.
      if (el.listeners?.end.length) return this.runListener(ei, el, 'end', 0);
    }
    return this.depart(ei, el, model, flowScope, flows);
  }

  /** Leaves a completed element: its flows are taken (or its scope checked). */
  private async depart(ei: EI, el: ElementDef, model: ProcessModel, flowScope: EI, flows: FlowDef[]): Promise<void> {
    const isBody = ei.elementType === MI_BODY;
    await this.closeOwned(ei);
    ei.alive = false;
    this.history(ei, 'ELEMENT_COMPLETED');
    await recordCompensable(this, ei, el, flowScope);
    if (ei.data?.compensation) await compensationCompleted(this, ei);
    if (flowScope.elementType === MI_BODY && !isBody) return innerCompleted(this, ei, flowScope, el);
    if (el.triggeredByEvent || !flows.length) {
      this.schedule(flowScope.key, () => this.completeScopeIfDone(flowScope), true);
      return;
    }
    for (const flow of flows) this.schedule(flowScope.key, () => this.take(flow, flowScope, model));
  }

  private async chooseFlows(ei: EI, el: ElementDef): Promise<FlowDef[]> {
    if (el.outgoing.length <= 1 && !el.outgoing[0]?.condition) return el.outgoing;
    const chosen: FlowDef[] = [];
    for (const flow of el.outgoing) {
      if (flow.id === el.defaultFlowId || !flow.condition) continue;
      const value = await this.evaluate(flow.condition, ei, `condition of sequence flow '${flow.id}'`, 'CONDITION_ERROR');
      if (value !== true && value !== false && value !== null) {
        throw new IncidentRaised('CONDITION_ERROR', `Expected result of the expression '${flow.condition}' to be 'BOOLEAN', but was '${feelTypeName(value)}'.`);
      }
      if (value === true) {
        chosen.push(flow);
        if (el.type === 'bpmn:ExclusiveGateway') break;
      }
    }
    if (!chosen.length) {
      const fallback = el.outgoing.find((f) => f.id === el.defaultFlowId);
      if (fallback) return [fallback];
      throw new IncidentRaised('CONDITION_ERROR', `Expected at least one condition to evaluate to true, or to have a default flow`);
    }
    return chosen;
  }

  private async take(flow: FlowDef, flowScope: EI, model: ProcessModel) {
    if (!flowScope.alive) return;
    this.flowTaken(flow, flowScope.processInstanceKey, flowScope.key);
    const target = model.elements.get(flow.targetId)!;
    const joining = (target.type === 'bpmn:ParallelGateway' || target.type === 'bpmn:InclusiveGateway') && target.incoming.length > 1;
    if (!joining) return this.activate(target, flowScope);
    const joins = { ...(flowScope.data?.joins ?? {}) };
    const arrived: Record<string, number> = { ...(joins[target.id] ?? {}) };
    arrived[flow.id] = (arrived[flow.id] ?? 0) + 1;
    joins[target.id] = arrived;
    flowScope.data = { ...(flowScope.data ?? {}), joins };
    this.touch(flowScope);
    if (target.type === 'bpmn:ParallelGateway') {
      if (target.incoming.every((f) => (arrived[f.id] ?? 0) > 0)) await this.fireJoin(flowScope, target, target.incoming.map((f) => f.id));
      return;
    }
    this.schedule(flowScope.key, () => this.checkInclusiveJoin(flowScope, target), true);
  }

  private async fireJoin(flowScope: EI, gateway: ElementDef, consumed: string[]) {
    const joins = { ...(flowScope.data?.joins ?? {}) };
    const arrived: Record<string, number> = { ...(joins[gateway.id] ?? {}) };
    for (const id of consumed) {
      arrived[id] = (arrived[id] ?? 0) - 1;
      if (arrived[id]! <= 0) delete arrived[id];
    }
    if (Object.keys(arrived).length) joins[gateway.id] = arrived;
    else delete joins[gateway.id];
    flowScope.data = { ...(flowScope.data ?? {}), joins };
    if (!Object.keys(joins).length) delete flowScope.data.joins;
    this.touch(flowScope);
    await this.activate(gateway, flowScope);
  }

  /** An inclusive join fires once no active token in its scope can still reach it. */
  private async checkInclusiveJoin(flowScope: EI, gateway: ElementDef) {
    if (!flowScope.alive) return;
    if (this.pendingIn(flowScope.key)) {
      this.schedule(flowScope.key, () => this.checkInclusiveJoin(flowScope, gateway), true);
      return;
    }
    const arrived: Record<string, number> = flowScope.data?.joins?.[gateway.id] ?? {};
    if (!Object.keys(arrived).length) return;
    const children = await this.children(flowScope.key);
    const reachable = gateway.reachableFrom ?? new Set();
    if (children.some((c) => reachable.has(c.elementId))) return;
    await this.fireJoin(flowScope, gateway, Object.keys(arrived));
  }

  /** A scope completes when nothing inside it is active and no token waits at a join (unless its behaviour decides). */
  async completeScopeIfDone(scope: EI) {
    if (!scope.alive) return;
    if (this.pendingIn(scope.key)) {
      this.schedule(scope.key, () => this.completeScopeIfDone(scope), true);
      return;
    }
    const children = await this.children(scope.key);
    const own = scope.elementType === MI_BODY ? null : behaviorOf(scope.elementType).completeIfDone;
    // (an ad-hoc subprocess: a completion condition that cannot be evaluated is an incident on it)
    if (own) return this.guarded(scope, 'complete', () => own(this, scope, children));
    if (children.length) {
      // Tokens that can no longer reach an inclusive join release it.
      for (const gatewayId of Object.keys(scope.data?.joins ?? {})) {
        const gateway = (await this.model(scope)).elements.get(gatewayId);
        if (gateway?.type === 'bpmn:InclusiveGateway') this.schedule(scope.key, () => this.checkInclusiveJoin(scope, gateway), true);
      }
      return;
    }
    if (Object.keys(scope.data?.joins ?? {}).length) {
      const model = await this.model(scope);
      for (const gatewayId of Object.keys(scope.data!.joins)) {
        const gateway = model.elements.get(gatewayId);
        if (gateway?.type === 'bpmn:InclusiveGateway') return this.checkInclusiveJoin(scope, gateway);
      }
      return;
    }
    if (scope.elementType === MI_BODY && iterationsLeft(scope)) return;
    await this.complete(scope);
  }

  // ---------------------------------------------------------------- termination

  /** Terminates an element and everything inside it (child process instances included). */
  async terminate(ei: EI): Promise<void> {
    if (!ei.alive) return;
    for (const child of await this.children(ei.key)) await this.terminate(child);
    if (ei.elementType === 'bpmn:Process') return this.endInstance(ei, 'TERMINATED');
    if (ei.elementType !== MI_BODY) await behaviorOf(ei.elementType).terminate?.(this, ei);
    await this.closeOwned(ei);
    // What completed inside a terminated scope can never be compensated (Zeebe drops it).
    if (ei.data?.owns?.compensation) await dropCompensations(this, ei.processInstanceKey, ei.key);
    ei.alive = false;
    this.history(ei, 'ELEMENT_TERMINATED');
  }

  /** Removes what an element instance owns: its job, subscriptions, timers, user task, open incidents. */
  async closeOwned(ei: EI) {
    const owns: Record<string, number> = ei.data?.owns ?? {};
    if (owns.job) await deleteJobsOf(this.trx, ei.key);
    if (owns.subscription) await deleteMessageSubscriptionsOf(this.trx, ei.key);
    if (owns.signal) await deleteSignalSubscriptionsOf(this.trx, ei.key);
    if (owns.timer && (await deleteTimersOf(this.trx, ei.key))) this.effects.timersChanged = true;
    if (owns.userTask) await cancelUserTask(this, ei);
    if (owns.incident) await resolveIncidentsOf(this.trx, ei.key, this.now);
  }

  /** Remembers what an element instance owns, so closing it touches only those tables. */
  markOwns(ei: EI, what: Owned) {
    if (ei.data?.owns?.[what]) return;
    ei.data = { ...(ei.data ?? {}), owns: { ...(ei.data?.owns ?? {}), [what]: 1 } };
    this.touch(ei);
  }

  /** What the element owned was removed or ended by the caller; closing the element need not look for it. */
  dropOwned(ei: EI, what: Owned) {
    if (ei.data?.owns?.[what]) {
      const { [what]: _gone, ...rest } = ei.data.owns;
      ei.data = { ...ei.data, owns: rest };
      this.touch(ei);
    }
  }

  /** Whether `ei` is one inner instance of a multi-instance body. */
  async isInner(ei: EI): Promise<boolean> {
    if (ei.flowScopeKey === null || ei.elementType === MI_BODY) return false;
    return (await this.ei(ei.flowScopeKey))?.elementType === MI_BODY;
  }

  // ---------------------------------------------------------------- jobs and execution listeners

  /**
   * Runs listener `index` of `phase` as a job of kind EXECUTION_LISTENER; its completion
   * (listenerCompleted) runs the next one, then goes on with the element.
   */
  private async runListener(ei: EI, el: ElementDef, phase: 'start' | 'end', index: number) {
    const listener = el.listeners![phase][index]!;
    ei.data = { ...(ei.data ?? {}), listener: { phase, index } };
    this.touch(ei);
    await this.createJob(ei, el, listener, { kind: 'EXECUTION_LISTENER', eventType: phase === 'start' ? 'START' : 'END' });
  }

  /** A listener job completed: start listeners' variables become local, end listeners' go to the parent scope. */
  async listenerCompleted(ei: EI, variables: Vars): Promise<void> {
    const model = await this.model(ei);
    const el = model.elements.get(ei.elementId)!;
    const { phase, index } = ei.data!.listener as { phase: 'start' | 'end'; index: number };
    const flowScope = ei.flowScopeKey === null ? null : await this.ei(ei.flowScopeKey);
    if (phase === 'start' || !flowScope) this.setLocal(ei, variables);
    else await this.propagate(flowScope, variables);
    if (index + 1 < el.listeners![phase].length) return this.runListener(ei, el, phase, index + 1);
    const { listener: _done, ...rest } = ei.data ?? {};
    ei.data = rest;
    this.touch(ei);
    if (phase === 'start') return this.guarded(ei, 'activate', () => this.proceed(ei, el));
    if (ei.elementType === 'bpmn:Process') return this.endInstance(ei, 'COMPLETED');
    if (!flowScope) return;
    return this.guarded(ei, 'complete', () => this.depart(ei, el, model, flowScope, el.outgoing));
  }

  /** Creates the element's job, or a listener's (kind EXECUTION_LISTENER or TASK_LISTENER, with its event type). */
  async createJob(ei: EI, el: ElementDef, job = el.job!, listener: { kind: 'EXECUTION_LISTENER' | 'TASK_LISTENER'; eventType: string } | null = null) {
    const instance = await this.instance(ei.processInstanceKey);
    const type = String(await this.evaluateModelValue(job.type, ei, 'EXTRACT_VALUE_ERROR'));
    const retries = Number(await this.evaluateModelValue(job.retries, ei, 'EXTRACT_VALUE_ERROR'));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(job.headers)) {
      const evaluated = name.startsWith('io.camunda.zeebe:') ? await this.evaluateModelValue(value, ei, 'EXTRACT_VALUE_ERROR') : value;
      headers[name] = typeof evaluated === 'string' ? evaluated : JSON.stringify(evaluated);
    }
    for (const list of ['io.camunda.zeebe:candidateGroups', 'io.camunda.zeebe:candidateUsers']) {
      if (headers[list] && !headers[list].startsWith('[')) headers[list] = JSON.stringify(splitList(headers[list]));
    }
    this.markOwns(ei, 'job');
    await insertJob(
      this.trx,
      {
        key: this.services.nextKey(),
        type,
        retries: Number.isFinite(retries) && retries > 0 ? Math.trunc(retries) : 3,
        processInstanceKey: ei.processInstanceKey,
        elementInstanceKey: ei.key,
        elementId: ei.elementId,
        bpmnProcessId: instance.bpmnProcessId,
        processDefinitionKey: instance.processDefinitionKey,
        version: instance.version,
        tenantId: instance.tenantId,
        customHeaders: headers,
        listener,
      },
      this.now,
    );
    this.effects.jobTypes.add(type);
    this.count('jobs.created');
  }
}

/** A comma-separated list as Zeebe reads candidate groups and users. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Sets `a.b.c` in `target`, keeping what an existing context variable already holds. */
function setPath(target: Vars, path: string, value: unknown, existing?: (name: string) => unknown) {
  const parts = path.split('.');
  if (parts.length === 1) {
    target[path] = value;
    return;
  }
  const head = parts[0]!;
  const base = target[head] ?? existing?.(head);
  let node: Vars = base && typeof base === 'object' && !Array.isArray(base) ? structuredClone(base as Vars) : {};
  target[head] = node;
  for (const part of parts.slice(1, -1)) {
    const next = node[part];
    node = node[part] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Vars) } : {};
  }
  node[parts[parts.length - 1]!] = value;
}
