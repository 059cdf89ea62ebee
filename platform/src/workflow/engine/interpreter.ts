import type { Knex } from 'knex';
import { CommandRejected, IncidentRaised } from './errors';
import { evaluateExpression, evaluateValue, FeelEvaluationError, feelTypeName } from './feel';
import type { ElementDef, FlowDef, ProcessModel } from './model';
import { scheduleTimer } from './timers';
import { cancelUserTask, createUserTask, type TaskOutcome } from './user-tasks';
import type { DecisionBinding, EvaluationContext } from './decisions';
import type { ResourceBinding } from './deployments';

/**
 * The token interpreter. One `Step` runs one command of the engine's single writer inside a
 * savepoint: it loads what it touches, moves tokens through the compiled model with an agenda
 * (so parallel branches settle before joins and scope completion are decided), and writes
 * back only element instances that are still waiting when the command ends.
 */

export type Vars = Record<string, unknown>;

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

export interface EngineServices {
  model(processDefinitionKey: number): Promise<ProcessModel>;
  latestDefinition(tenantId: string, bpmnProcessId: string): Promise<{ key: number; version: number } | null>;
  /** The version a call activity binds to (`deployment`: the caller's own deployment; `versionTag`: the tagged one). */
  boundDefinition(
    tenantId: string,
    bpmnProcessId: string,
    binding: ResourceBinding,
  ): Promise<{ key: number; version: number } | null>;
  /** Evaluates and records a decision for a business-rule task. */
  evaluateDecision(tenantId: string, decisionId: string, variables: Vars, binding: DecisionBinding, context: EvaluationContext): Promise<{ output: unknown; failureMessage: string }>;
  nextKey(): number;
  instanceFacts: Map<number, InstanceRow>;
}

const INSTANCE_FACTS_LIMIT = 10_000;

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

type Owned = 'job' | 'subscription' | 'signal' | 'timer' | 'incident' | 'userTask' | 'compensation';

interface AgendaItem {
  scopeKey: number | null;
  deferred: boolean;
  run: () => Promise<void>;
}

export const MI_BODY = 'MULTI_INSTANCE_BODY';
const JOB_ELEMENTS = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask', 'bpmn:UserTask', 'bpmn:ScriptTask']);

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
    const row = await this.trx('wf_process_instances').where({ key }).first();
    if (!row) throw new Error(`process instance ${key} is missing`);
    const instance: InstanceRow = {
      key: Number(row.key),
      processDefinitionKey: Number(row.process_definition_key),
      bpmnProcessId: row.bpmn_process_id,
      version: row.version,
      tenantId: row.tenant_id,
      parentProcessInstanceKey: row.parent_process_instance_key === null ? null : Number(row.parent_process_instance_key),
      parentElementInstanceKey: row.parent_element_instance_key === null ? null : Number(row.parent_element_instance_key),
      businessKey: row.business_key,
    };
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
    const row = await this.trx('wf_element_instances').where({ key }).first();
    if (!row) return null;
    const ei = this.fromRow(row);
    this.eis.set(ei.key, ei);
    return ei;
  }

  private fromRow(row: any): EI {
    return {
      key: Number(row.key),
      processInstanceKey: Number(row.process_instance_key),
      flowScopeKey: row.flow_scope_key === null ? null : Number(row.flow_scope_key),
      elementId: row.element_id,
      elementType: row.element_type,
      state: row.state,
      variables: row.variables ? JSON.parse(row.variables) : null,
      data: row.data ? JSON.parse(row.data) : null,
      createdAt: Number(row.created_at),
      persisted: true,
      alive: true,
      dirty: false,
    };
  }

  /** Loads many element instances and their enclosing scopes in a few queries (job activation). */
  async preload(keys: number[]): Promise<void> {
    let missing = keys.filter((k) => !this.eis.has(k));
    for (let depth = 0; missing.length && depth < 32; depth++) {
      const rows = await this.trx('wf_element_instances').whereIn('key', missing);
      const parents = new Set<number>();
      for (const row of rows) {
        const ei = this.fromRow(row);
        this.eis.set(ei.key, ei);
        if (ei.flowScopeKey !== null && !this.eis.has(ei.flowScopeKey)) parents.add(ei.flowScopeKey);
      }
      missing = [...parents];
    }
  }

  /** Active children of a scope: what is stored, overlaid with what this step changed. */
  async children(scopeKey: number): Promise<EI[]> {
    const rows = await this.trx('wf_element_instances').where({ flow_scope_key: scopeKey });
    for (const row of rows) if (!this.eis.has(Number(row.key))) this.eis.set(Number(row.key), this.fromRow(row));
    return [...this.eis.values()].filter((e) => e.alive && e.flowScopeKey === scopeKey);
  }

  private newEI(instanceKey: number, flowScopeKey: number | null, elementId: string, elementType: string, key = this.services.nextKey()): EI {
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
    const inserts: any[] = [];
    for (const ei of this.eis.values()) {
      if (!ei.alive) {
        if (ei.persisted) await this.trx('wf_element_instances').where({ key: ei.key }).delete();
        continue;
      }
      if (!ei.dirty) continue;
      const row = {
        key: ei.key,
        process_instance_key: ei.processInstanceKey,
        flow_scope_key: ei.flowScopeKey,
        element_id: ei.elementId,
        element_type: ei.elementType,
        state: ei.state,
        variables: ei.variables ? JSON.stringify(ei.variables) : null,
        data: ei.data ? JSON.stringify(ei.data) : null,
        created_at: ei.createdAt,
      };
      if (ei.persisted) await this.trx('wf_element_instances').where({ key: ei.key }).update(row);
      else inserts.push(row);
    }
    for (let i = 0; i < inserts.length; i += 50) await this.trx('wf_element_instances').insert(inserts.slice(i, i + 50));
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
  private flowTaken(flow: FlowDef, processInstanceKey: number, scopeKey: number) {
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

  private async evaluate(expression: string, ei: EI, what: string, errorType: IncidentRaised['errorType']): Promise<unknown> {
    try {
      return evaluateExpression(expression, await this.visible(ei));
    } catch (error) {
      if (error instanceof FeelEvaluationError) throw new IncidentRaised(errorType, `${what}: ${error.message}`);
      throw error;
    }
  }

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

  /** Runs the agenda to quiescence. Deferred checks wait until their scope has nothing else pending. */
  async settle(): Promise<void> {
    while (this.agenda.length) {
      let index = this.agenda.findIndex((i) => !i.deferred);
      if (index === -1) index = 0;
      const [item] = this.agenda.splice(index, 1);
      await item!.run();
    }
  }

  private pendingIn(scopeKey: number): boolean {
    return this.agenda.some((i) => !i.deferred && i.scopeKey === scopeKey);
  }

  /** Runs one element step; a failure an operator must fix becomes an incident on that element. */
  private async guarded(ei: EI, step: 'activate' | 'complete', work: () => Promise<void>) {
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
    await this.trx('wf_incidents').insert({
      key: this.services.nextKey(),
      process_instance_key: ei.processInstanceKey,
      element_instance_key: ei.key,
      element_id: ei.elementId,
      bpmn_process_id: instance.bpmnProcessId,
      job_key: jobKey,
      error_type: errorType,
      error_message: message.slice(0, 4000),
      state: 'ACTIVE',
      retry_step: retryStep,
      tenant_id: instance.tenantId,
      created_at: this.now,
    });
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
    const businessKey = typeof options.variables.businessKey === 'string' ? options.variables.businessKey.slice(0, 255) : null;
    await this.trx('wf_process_instances').insert({
      key,
      process_definition_key: options.definition.key,
      bpmn_process_id: options.definition.bpmnProcessId,
      version: options.definition.version,
      tenant_id: options.definition.tenantId,
      state: 'ACTIVE',
      business_key: businessKey,
      parent_process_instance_key: options.parent?.processInstanceKey ?? null,
      parent_element_instance_key: options.parent?.elementInstanceKey ?? null,
      variables: null,
      started_at: this.now,
      ended_at: null,
    });
    this.remember({
      key,
      processDefinitionKey: options.definition.key,
      bpmnProcessId: options.definition.bpmnProcessId,
      version: options.definition.version,
      tenantId: options.definition.tenantId,
      parentProcessInstanceKey: options.parent?.processInstanceKey ?? null,
      parentElementInstanceKey: options.parent?.elementInstanceKey ?? null,
      businessKey,
    });
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
      await this.openEventSubprocesses(root, model.process, model);
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
    // The process's own start listeners run first; the start event follows (proceed).
    root.data = { ...(root.data ?? {}), start: { elementId: startId, trigger } };
    this.touch(root);
    this.schedule(root.key, () => this.guarded(root, 'activate', () => this.enter(root, model.process)));
  }

  private async endInstance(root: EI, state: 'COMPLETED' | 'TERMINATED') {
    const instance = await this.instance(root.processInstanceKey);
    await this.closeOwned(root);
    // Zeebe: compensation subscriptions live as long as their process instance, not their scope.
    if (root.data?.owns?.compensation) await this.trx('wf_compensation_subscriptions').where({ process_instance_key: root.key }).delete();
    root.alive = false;
    this.history(root, state === 'COMPLETED' ? 'ELEMENT_COMPLETED' : 'ELEMENT_TERMINATED');
    await this.trx('wf_process_instances')
      .where({ key: instance.key })
      .update({ state, ended_at: this.now, variables: JSON.stringify(root.variables ?? {}) });
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

  async cancelInstance(key: number) {
    const root = await this.ei(key);
    if (!root || root.elementType !== 'bpmn:Process') {
      throw new CommandRejected('NOT_FOUND', `Expected to cancel a process instance with key '${key}', but no such process was found`, 'CANCEL');
    }
    const instance = await this.instance(key);
    if (instance.parentProcessInstanceKey !== null) {
      throw new CommandRejected(
        'INVALID_ARGUMENT',
        `Expected to cancel a process instance with key '${key}', but it is created by a parent process instance. Cancel the root process instance '${instance.parentProcessInstanceKey}' instead.`,
        'CANCEL',
      );
    }
    await this.terminate(root);
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
    if (el.multiInstance && !options.inner) return this.activateMultiInstance(el, flowScope, options.compensation);
    const ei = this.newEI(flowScope.processInstanceKey, flowScope.key, el.id, el.type);
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

  /** The element-type behaviour after activation (also what resolving an activation incident re-runs). */
  async enter(ei: EI, el: ElementDef): Promise<void> {
    await this.mapInputs(ei, el);
    // Start listeners run after the input mappings, before anything else of the element (Zeebe's order).
    if (el.listeners?.start.length) return this.runListener(ei, el, 'start', 0);
    return this.proceed(ei, el);
  }

  /** The element's own behaviour, once its input mappings and start listeners are done. */
  private async proceed(ei: EI, el: ElementDef): Promise<void> {
    const model = await this.model(ei);
    const trigger: Vars | null = ei.data?.trigger ?? null;
    if (trigger) {
      ei.data = null;
      await this.applyResult(ei, el, trigger);
      return this.complete(ei);
    }
    switch (el.type) {
      case 'bpmn:Process': {
        const { start, ...rest } = ei.data ?? {};
        ei.data = rest;
        this.touch(ei);
        return this.activate(model.elements.get(start.elementId)!, ei, { trigger: start.trigger });
      }
      case 'bpmn:IntermediateThrowEvent':
        if (el.event === 'compensation') return this.throwCompensation(ei, el);
        if (el.event === 'signal') {
          await this.throwSignal(ei, el);
          return this.complete(ei);
        }
        if (el.event === 'escalation') {
          // Caught by an interrupting catch, the thrower's scope is gone; otherwise the flow goes on.
          await this.escalate(ei, el.escalationCode ?? '');
          return this.complete(ei);
        }
        if (el.event === 'link') {
          // The flow goes on at the catch link of the same name in this scope (deploy checked it is there).
          const target = [...model.elements.values()].find((e) => e.scopeId === el.scopeId && e.type === 'bpmn:IntermediateCatchEvent' && e.event === 'link' && e.link === el.link)!;
          const flowScope = await this.ei(ei.flowScopeKey!);
          if (flowScope) this.schedule(flowScope.key, () => this.activate(target, flowScope, { trigger: {} }));
          return this.complete(ei);
        }
        if (el.job) return this.createJob(ei, el);
        return this.complete(ei);
      case 'bpmn:StartEvent':
      case 'bpmn:ExclusiveGateway':
      case 'bpmn:ParallelGateway':
      case 'bpmn:InclusiveGateway':
      case 'bpmn:BoundaryEvent':
        if (el.job) return this.createJob(ei, el);
        return this.complete(ei);
      case 'bpmn:EndEvent':
        if (el.event === 'compensation') return this.throwCompensation(ei, el);
        if (el.job) return this.createJob(ei, el);
        if (el.event === 'terminate') return this.terminateScope(ei);
        if (el.event === 'signal') {
          await this.throwSignal(ei, el);
          return this.complete(ei);
        }
        if (el.event === 'error') {
          await this.throwFrom(ei, el.errorCode ?? '', '', {});
          return;
        }
        if (el.event === 'escalation') {
          await this.escalate(ei, el.escalationCode ?? '');
          return this.complete(ei);
        }
        return this.complete(ei);
      case 'bpmn:IntermediateCatchEvent':
        if (el.event === 'message') return this.subscribe(ei, ei, el);
        if (el.event === 'signal') return this.subscribeSignal(ei, ei, el);
        return this.startTimer(ei, ei, el);
      case 'bpmn:ReceiveTask':
        await this.openBoundaries(ei, el);
        return this.subscribe(ei, ei, el);
      case 'bpmn:EventBasedGateway':
        for (const flow of el.outgoing) {
          const target = model.elements.get(flow.targetId)!;
          if (target.event === 'message') await this.subscribe(ei, ei, target);
          else if (target.event === 'signal') await this.subscribeSignal(ei, ei, target);
          else if (target.event === 'timer') await this.startTimer(ei, ei, target);
        }
        return;
      case 'bpmn:SubProcess': {
        await this.openBoundaries(ei, el);
        await this.openEventSubprocesses(ei, el, model);
        if (el.triggeredByEvent) {
          const start = model.elements.get(el.startId!)!;
          const startTrigger: Vars = ei.data?.startTrigger ?? {};
          return this.activate(start, ei, { trigger: startTrigger });
        }
        if (!el.startId) return this.complete(ei);
        return this.activate(model.elements.get(el.startId)!, ei);
      }
      case 'bpmn:CallActivity':
        await this.openBoundaries(ei, el);
        return this.call(ei, el);
      case 'bpmn:AdHocSubProcess': {
        await this.openBoundaries(ei, el);
        // The elements named by activeElementsCollection start, each as if a flow reached it.
        const raw = el.adHoc?.activeElements ? await this.evaluate(el.adHoc.activeElements, ei, `activeElementsCollection of '${el.id}'`, 'EXTRACT_VALUE_ERROR') : [];
        const ids = raw === null ? [] : raw;
        if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
          throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected the activeElementsCollection of ad-hoc sub-process '${el.id}' to be a list of element ids, but it was '${JSON.stringify(ids)}'`);
        }
        const startable = (id: string) => {
          const inner = model.elements.get(id);
          return inner && inner.scopeId === el.id && !inner.incoming.length && inner.type !== 'bpmn:BoundaryEvent' && !inner.triggeredByEvent ? inner : null;
        };
        const missing = ids.filter((id) => !startable(id));
        if (missing.length) {
          throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected to activate activities for ad-hoc sub-process '${el.id}', but the given elements [${missing.join(', ')}] do not exist or cannot be activated.`);
        }
        for (const id of ids) this.schedule(ei.key, () => this.activate(startable(id)!, ei));
        this.schedule(ei.key, () => this.completeScopeIfDone(ei), true);
        return;
      }
      case 'bpmn:BusinessRuleTask':
        if (el.calledDecision) {
          // Evaluated by the engine, like Zeebe: the decision's result lands in resultVariable.
          const instance = await this.instance(ei.processInstanceKey);
          const decisionId = String(await this.evaluateModelValue(el.calledDecision.decisionId, ei, 'EXTRACT_VALUE_ERROR'));
          const called = el.calledDecision;
          const binding: DecisionBinding =
            called.bindingType === 'deployment'
              ? { type: 'deployment', callerDefinitionKey: instance.processDefinitionKey }
              : called.bindingType === 'versionTag'
                ? { type: 'versionTag', versionTag: called.versionTag ?? '' }
                : { type: 'latest' };
          const context: EvaluationContext = { processInstanceKey: ei.processInstanceKey, processDefinitionKey: instance.processDefinitionKey, bpmnProcessId: instance.bpmnProcessId, elementInstanceKey: ei.key, elementId: ei.elementId };
          const result = await this.services.evaluateDecision(instance.tenantId, decisionId, await this.visible(ei), binding, context).catch((error) => {
            if (error instanceof CommandRejected) throw new IncidentRaised('CALLED_DECISION_ERROR', error.message.replace(/^Command '\w+' rejected with code '\w+': /, ''));
            throw error;
          });
          if (result.failureMessage) throw new IncidentRaised('DECISION_EVALUATION_ERROR', result.failureMessage);
          await this.applyResult(ei, el, { [el.calledDecision.resultVariable]: result.output ?? null });
          return this.complete(ei);
        }
        await this.openBoundaries(ei, el);
        return this.createJob(ei, el);
      case 'bpmn:ScriptTask':
        if (el.script) {
          // Evaluated by the engine, like Zeebe: the result lands in resultVariable (through output mappings when declared).
          const result = await this.evaluate(el.script.expression, ei, `script of element '${el.id}'`, 'EXTRACT_VALUE_ERROR');
          await this.applyResult(ei, el, { [el.script.resultVariable]: result ?? null });
          return this.complete(ei);
        }
        await this.openBoundaries(ei, el);
        return this.createJob(ei, el);
      default:
        if (el.userTask) {
          await this.openBoundaries(ei, el);
          return createUserTask(this, ei, el);
        }
        if (JOB_ELEMENTS.has(el.type) && el.job) {
          await this.openBoundaries(ei, el);
          return this.createJob(ei, el);
        }
        return this.complete(ei);
    }
  }

  private async activateMultiInstance(el: ElementDef, flowScope: EI, compensation?: number) {
    const body = this.newEI(flowScope.processInstanceKey, flowScope.key, el.id, MI_BODY);
    if (compensation) body.data = { compensation };
    this.history(body, 'ELEMENT_ACTIVATED');
    await this.guarded(body, 'activate', () => this.enterMultiInstance(body, el));
  }

  async enterMultiInstance(body: EI, el: ElementDef) {
    const mi = el.multiInstance!;
    const collection = mi.inputCollection ? await this.evaluate(mi.inputCollection.replace(/^\s*=/, ''), body, `inputCollection of '${el.id}'`, 'EXTRACT_VALUE_ERROR') : null;
    if (!Array.isArray(collection)) {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${mi.inputCollection}' to be 'ARRAY', but was '${feelTypeName(collection)}'.`);
    }
    body.data = { ...(body.data ?? {}), items: collection, next: 0 };
    if (mi.outputCollection) this.setLocal(body, { [mi.outputCollection]: collection.map(() => null) });
    this.touch(body);
    await this.openBoundaries(body, el);
    if (!collection.length) return this.complete(body);
    const count = mi.sequential ? 1 : collection.length;
    for (let i = 0; i < count; i++) this.startIteration(body, el);
  }

  private startIteration(body: EI, el: ElementDef) {
    const index: number = body.data!.next;
    body.data = { ...body.data, next: index + 1 };
    this.touch(body);
    const item = body.data!.items[index];
    this.schedule(body.key, () => this.activate(el, body, { inner: { item, loopCounter: index + 1 } }));
  }

  private async innerCompleted(inner: EI, body: EI, el: ElementDef) {
    const mi = el.multiInstance!;
    if (mi.outputCollection) {
      const value = mi.outputElement ? await this.evaluateModelValue(mi.outputElement, inner, 'IO_MAPPING_ERROR') : null;
      const list = [...((body.variables?.[mi.outputCollection] as unknown[]) ?? [])];
      list[Number(inner.variables?.loopCounter ?? 1) - 1] = value;
      this.setLocal(body, { [mi.outputCollection]: list });
    }
    if (mi.completionCondition) {
      const done = await this.evaluate(mi.completionCondition, inner, `completionCondition of '${el.id}'`, 'CONDITION_ERROR');
      if (done === true) {
        for (const child of await this.children(body.key)) if (child.key !== inner.key) await this.terminate(child);
        return this.complete(body);
      }
    }
    if (mi.sequential && body.data!.next < body.data!.items.length) return this.startIteration(body, el);
    this.schedule(body.key, () => this.completeScopeIfDone(body), true);
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
    const isBody = ei.elementType === MI_BODY;
    let flows: FlowDef[] = el.outgoing;
    if (el.type === 'bpmn:ExclusiveGateway' || el.type === 'bpmn:InclusiveGateway') flows = await this.chooseFlows(ei, el);
    if (isBody) {
      const mi = el.multiInstance!;
      if (mi.outputCollection) await this.propagate(flowScope, { [mi.outputCollection]: body(ei, mi.outputCollection) });
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
    await this.recordCompensable(ei, el, flowScope);
    if (ei.data?.compensation) await this.compensationCompleted(ei);
    if (flowScope.elementType === MI_BODY && !isBody) return this.innerCompleted(ei, flowScope, el);
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
      throw new IncidentRaised(
        'CONDITION_ERROR',
        `Expected at least one condition to evaluate to true, or to have a default flow`,
      );
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

  /** A scope completes when nothing inside it is active and no token waits at a join. */
  async completeScopeIfDone(scope: EI) {
    if (!scope.alive) return;
    if (this.pendingIn(scope.key)) {
      this.schedule(scope.key, () => this.completeScopeIfDone(scope), true);
      return;
    }
    const children = await this.children(scope.key);
    // A completion condition that cannot be evaluated is an incident on the ad-hoc subprocess.
    if (scope.elementType === 'bpmn:AdHocSubProcess') return this.guarded(scope, 'complete', () => this.completeAdHocIfDone(scope, children));
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
    if (scope.elementType === MI_BODY && scope.data && scope.data.next < scope.data.items.length) return;
    await this.complete(scope);
  }

  // ---------------------------------------------------------------- termination

  /** Terminates an element and everything inside it (child process instances included). */
  async terminate(ei: EI): Promise<void> {
    if (!ei.alive) return;
    for (const child of await this.children(ei.key)) await this.terminate(child);
    if (ei.elementType === 'bpmn:CallActivity') {
      const childInstance = await this.trx('wf_process_instances').where({ parent_element_instance_key: ei.key, state: 'ACTIVE' }).first('key');
      if (childInstance) {
        const childRoot = await this.ei(Number(childInstance.key));
        if (childRoot) await this.terminate(childRoot);
      }
    }
    if (ei.elementType === 'bpmn:Process') return this.endInstance(ei, 'TERMINATED');
    await this.closeOwned(ei);
    // What completed inside a terminated scope can never be compensated (Zeebe drops it).
    if (ei.data?.owns?.compensation) await this.dropCompensations(ei.processInstanceKey, ei.key);
    ei.alive = false;
    this.history(ei, 'ELEMENT_TERMINATED');
  }

  private async terminateScope(endEvent: EI) {
    const scope = await this.ei(endEvent.flowScopeKey!);
    if (!scope) return;
    endEvent.alive = false;
    this.history(endEvent, 'ELEMENT_COMPLETED');
    for (const child of await this.children(scope.key)) await this.terminate(child);
    this.agenda = this.agenda.filter((i) => i.scopeKey !== scope.key);
    if (scope.data?.joins) {
      delete scope.data.joins;
      this.touch(scope);
    }
    await this.complete(scope);
  }

  /**
   * An ad-hoc subprocess completes when its completion condition holds (cancelling what still runs,
   * unless cancelRemainingInstances is false) or, without a condition, when nothing runs in it any more.
   */
  private async completeAdHocIfDone(scope: EI, children: EI[]) {
    const el = (await this.model(scope)).elements.get(scope.elementId)!;
    const condition = el.adHoc?.completionCondition;
    if (!condition) {
      if (!children.length) await this.complete(scope);
      return;
    }
    const done = await this.evaluate(condition, scope, `completionCondition of '${el.id}'`, 'EXTRACT_VALUE_ERROR');
    if (typeof done !== 'boolean') {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${condition}' to be 'BOOLEAN', but was '${feelTypeName(done)}'.`);
    }
    if (!done) return;
    if (children.length) {
      if (!el.adHoc!.cancelRemaining) return;
      for (const child of children) await this.terminate(child);
      this.agenda = this.agenda.filter((i) => i.scopeKey !== scope.key);
    }
    await this.complete(scope);
  }

  /** Removes what an element instance owns: its job, subscriptions, timers, open incidents. */
  async closeOwned(ei: EI) {
    const owns: Record<string, number> = ei.data?.owns ?? {};
    if (owns.job) await this.trx('wf_jobs').where({ element_instance_key: ei.key }).delete();
    if (owns.subscription) await this.trx('wf_message_subscriptions').where({ element_instance_key: ei.key }).delete();
    if (owns.signal) await this.trx('wf_signal_subscriptions').where({ element_instance_key: ei.key }).delete();
    if (owns.timer) {
      const timers = await this.trx('wf_timers').where({ element_instance_key: ei.key }).delete();
      if (timers) this.effects.timersChanged = true;
    }
    if (owns.userTask) await cancelUserTask(this, ei);
    if (owns.incident) {
      await this.trx('wf_incidents').where({ element_instance_key: ei.key, state: 'ACTIVE' }).update({ state: 'RESOLVED', resolved_at: this.now });
    }
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

  private async isInner(ei: EI): Promise<boolean> {
    if (ei.flowScopeKey === null || ei.elementType === MI_BODY) return false;
    return (await this.ei(ei.flowScopeKey))?.elementType === MI_BODY;
  }

  // ---------------------------------------------------------------- jobs

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
    if (headers['io.camunda.zeebe:candidateGroups'] && !headers['io.camunda.zeebe:candidateGroups'].startsWith('[')) {
      headers['io.camunda.zeebe:candidateGroups'] = JSON.stringify(splitList(headers['io.camunda.zeebe:candidateGroups']));
    }
    if (headers['io.camunda.zeebe:candidateUsers'] && !headers['io.camunda.zeebe:candidateUsers'].startsWith('[')) {
      headers['io.camunda.zeebe:candidateUsers'] = JSON.stringify(splitList(headers['io.camunda.zeebe:candidateUsers']));
    }
    this.markOwns(ei, 'job');
    await this.trx('wf_jobs').insert({
      key: this.services.nextKey(),
      type,
      state: 'ACTIVATABLE',
      retries: Number.isFinite(retries) && retries > 0 ? Math.trunc(retries) : 3,
      activatable_at: this.now,
      deadline: null,
      worker: null,
      process_instance_key: ei.processInstanceKey,
      element_instance_key: ei.key,
      element_id: ei.elementId,
      bpmn_process_id: instance.bpmnProcessId,
      process_definition_key: instance.processDefinitionKey,
      version: instance.version,
      tenant_id: instance.tenantId,
      custom_headers: JSON.stringify(headers),
      error_message: null,
      created_at: this.now,
      ...(listener ? { kind: listener.kind, listener_event_type: listener.eventType } : {}),
    });
    this.effects.jobTypes.add(type);
    this.count('jobs.created');
  }

  // ---------------------------------------------------------------- messages and timers

  private async openBoundaries(ei: EI, el: ElementDef) {
    if (!el.boundaryIds.length || (await this.isInner(ei))) return;
    const model = await this.model(ei);
    for (const id of el.boundaryIds) {
      const boundary = model.elements.get(id)!;
      if (boundary.event === 'message') await this.subscribe(ei, ei, boundary);
      else if (boundary.event === 'signal') await this.subscribeSignal(ei, ei, boundary);
      else if (boundary.event === 'timer') await this.startTimer(ei, ei, boundary);
    }
  }

  private async openEventSubprocesses(scope: EI, scopeDef: ElementDef, model: ProcessModel) {
    for (const id of scopeDef.eventSubprocessIds) {
      const sub = model.elements.get(id)!;
      const start = sub.startId ? model.elements.get(sub.startId) : null;
      if (start?.event === 'message') await this.subscribe(scope, scope, start);
      else if (start?.event === 'signal') await this.subscribeSignal(scope, scope, start);
      else if (start?.event === 'timer') await this.startTimer(scope, scope, start);
    }
  }

  /** Opens a message subscription owned by `owner` that triggers `target`; a buffered message correlates at once. */
  private async subscribe(owner: EI, context: EI, target: ElementDef) {
    const instance = await this.instance(owner.processInstanceKey);
    const name = String(await this.evaluateModelValue(target.message?.name ?? '', context, 'EXTRACT_VALUE_ERROR'));
    const rawKey = target.message?.correlationKey ? await this.evaluateModelValue(target.message.correlationKey, context, 'EXTRACT_VALUE_ERROR') : '';
    if (typeof rawKey !== 'string' && typeof rawKey !== 'number') {
      throw new IncidentRaised(
        'EXTRACT_VALUE_ERROR',
        `Failed to extract the correlation key for '${target.message?.correlationKey}': The value must be either a string or a number, but was '${feelTypeName(rawKey)}'.`,
      );
    }
    const correlationKey = String(rawKey);
    this.markOwns(owner, 'subscription');
    const sub = {
      key: this.services.nextKey(),
      message_name: name,
      correlation_key: correlationKey,
      process_instance_key: owner.processInstanceKey,
      element_instance_key: owner.key,
      target_element_id: target.id,
      bpmn_process_id: instance.bpmnProcessId,
      tenant_id: instance.tenantId,
      created_at: this.now,
    };
    await this.trx('wf_message_subscriptions').insert(sub);
    const buffered = await this.trx('wf_messages as m')
      .where({ 'm.tenant_id': instance.tenantId, 'm.name': name, 'm.correlation_key': correlationKey })
      .where('m.expires_at', '>', this.now)
      .whereNotExists((q) => q.select(1).from('wf_message_correlations as c').whereRaw('c.message_key = m.key').where('c.bpmn_process_id', instance.bpmnProcessId))
      .orderBy('m.key')
      .first();
    if (buffered) {
      await this.trx('wf_message_correlations').insert({ message_key: buffered.key, bpmn_process_id: instance.bpmnProcessId });
      this.schedule(owner.key, async () => {
        await this.triggerSubscription(sub, JSON.parse(buffered.variables));
      });
    }
  }

  /** Opens a signal subscription owned by `owner` that triggers `target` (signals are never buffered). */
  private async subscribeSignal(owner: EI, context: EI, target: ElementDef) {
    const instance = await this.instance(owner.processInstanceKey);
    const name = String(await this.evaluateModelValue(target.signal?.name ?? '', context, 'EXTRACT_VALUE_ERROR'));
    this.markOwns(owner, 'signal');
    await this.trx('wf_signal_subscriptions').insert({
      key: this.services.nextKey(),
      signal_name: name,
      process_instance_key: owner.processInstanceKey,
      element_instance_key: owner.key,
      target_element_id: target.id,
      bpmn_process_id: instance.bpmnProcessId,
      tenant_id: instance.tenantId,
      created_at: this.now,
    });
  }

  /** A signal intermediate throw or end event: broadcast with the event's local variables (its input mappings). */
  private async throwSignal(ei: EI, el: ElementDef) {
    const instance = await this.instance(ei.processInstanceKey);
    const name = String(await this.evaluateModelValue(el.signal?.name ?? '', ei, 'EXTRACT_VALUE_ERROR'));
    await this.broadcastSignal(instance.tenantId, name, { ...(ei.variables ?? {}) });
  }

  /**
   * Triggers every subscription to the signal and starts every latest process version with a
   * matching signal start event (Zeebe: a signal reaches all, not once per process).
   */
  async broadcastSignal(tenantId: string, name: string, variables: Vars): Promise<void> {
    const subscriptions = await this.trx('wf_signal_subscriptions').where({ tenant_id: tenantId, signal_name: name }).orderBy('key');
    for (const sub of subscriptions) await this.triggerSubscription(sub, variables);
    for (const start of await this.latestStarts(tenantId, (model) => model.signalStarts.find((s) => s.signal?.name === name))) {
      await this.startInstance({ definition: start.definition, variables, startElementId: start.elementId });
    }
    this.count('signals.broadcast');
  }

  /** The latest version of every process whose start event `pick` chooses (message and signal starts). */
  async latestStarts(tenantId: string, pick: (model: ProcessModel) => ElementDef | undefined) {
    const latest = await this.trx('wf_process_definitions as d')
      .where('d.tenant_id', tenantId)
      .whereRaw('d.version = (select max(v.version) from wf_process_definitions v where v.bpmn_process_id = d.bpmn_process_id and v.tenant_id = d.tenant_id)')
      .select('d.key', 'd.bpmn_process_id', 'd.version', 'd.tenant_id');
    const found: Array<{ bpmnProcessId: string; elementId: string; definition: { key: number; bpmnProcessId: string; version: number; tenantId: string } }> = [];
    for (const row of latest) {
      const start = pick(await this.services.model(Number(row.key)));
      if (start) {
        found.push({
          bpmnProcessId: row.bpmn_process_id,
          elementId: start.id,
          definition: { key: Number(row.key), bpmnProcessId: row.bpmn_process_id, version: Number(row.version), tenantId: row.tenant_id },
        });
      }
    }
    return found;
  }

  private async startTimer(owner: EI, context: EI, target: ElementDef) {
    const instance = await this.instance(owner.processInstanceKey);
    const value = await this.evaluateModelValue(target.timer!.expression, context, 'EXTRACT_VALUE_ERROR');
    let schedule;
    try {
      schedule = scheduleTimer(target.timer!.kind, String(value), this.now);
    } catch (error) {
      throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Invalid timer of '${target.id}': ${(error as Error).message}`);
    }
    this.markOwns(owner, 'timer');
    await this.trx('wf_timers').insert({
      key: this.services.nextKey(),
      process_definition_key: instance.processDefinitionKey,
      process_instance_key: owner.processInstanceKey,
      element_instance_key: owner.key,
      target_element_id: target.id,
      due_at: schedule.dueAt,
      repetitions: schedule.repetitions,
      interval: schedule.interval,
      tenant_id: instance.tenantId,
    });
    this.effects.timersChanged = true;
  }

  /**
   * A message or timer reached what `owner` waits for. Returns false when the owner is gone.
   * Non-interrupting triggers leave the owner (and a cycle timer) in place.
   */
  async triggerSubscription(sub: { element_instance_key: number | string; target_element_id: string; key?: number | string }, variables: Vars): Promise<boolean> {
    const owner = await this.ei(Number(sub.element_instance_key));
    if (!owner) return false;
    const model = await this.model(owner);
    const target = model.elements.get(sub.target_element_id)!;
    const ownerDef = model.elements.get(owner.elementId)!;

    if (owner.elementId === target.id && owner.elementType !== MI_BODY) {
      // The waiting element itself: intermediate catch event or receive task.
      await this.applyResult(owner, target, variables);
      this.schedule(owner.flowScopeKey, () => this.complete(owner));
      return true;
    }
    if (ownerDef.type === 'bpmn:EventBasedGateway') {
      const flowScope = await this.ei(owner.flowScopeKey!);
      await this.closeOwned(owner);
      owner.alive = false;
      this.history(owner, 'ELEMENT_COMPLETED');
      const flow = ownerDef.outgoing.find((f) => f.targetId === target.id)!;
      this.flowTaken(flow, owner.processInstanceKey, owner.flowScopeKey!);
      if (flowScope) this.schedule(flowScope.key, () => this.activate(target, flowScope, { trigger: variables }));
      return true;
    }
    if (target.type === 'bpmn:BoundaryEvent') {
      const flowScope = await this.ei(owner.flowScopeKey!);
      if (!flowScope) return false;
      if (target.interrupting) await this.terminate(owner);
      this.schedule(flowScope.key, () => this.activate(target, flowScope, { trigger: variables }));
      return true;
    }
    if (target.type === 'bpmn:StartEvent') {
      // Start of an event subprocess inside the owner's scope.
      if (target.interrupting) {
        // An interrupting start also closes the scope's other event subprocess triggers.
        await this.trx('wf_message_subscriptions').where({ element_instance_key: owner.key }).delete();
        await this.trx('wf_signal_subscriptions').where({ element_instance_key: owner.key }).delete();
        await this.trx('wf_timers').where({ element_instance_key: owner.key }).delete();
      }
      await this.startEventSubprocess(owner, model.elements.get(target.scopeId)!, variables, target.interrupting);
      return true;
    }
    return false;
  }

  /** Starts an event subprocess in `scope`; an interrupting one first ends everything else there. */
  private async startEventSubprocess(scope: EI, eventSubprocess: ElementDef, variables: Vars, interrupting: boolean) {
    if (interrupting) {
      for (const child of await this.children(scope.key)) await this.terminate(child);
      this.agenda = this.agenda.filter((i) => i.scopeKey !== scope.key);
    }
    const ei = this.newEI(scope.processInstanceKey, scope.key, eventSubprocess.id, eventSubprocess.type);
    ei.data = { startTrigger: variables };
    this.history(ei, 'ELEMENT_ACTIVATED');
    this.schedule(scope.key, () => this.guarded(ei, 'activate', () => this.enter(ei, eventSubprocess)));
  }

  // ---------------------------------------------------------------- compensation

  /**
   * A completed activity with a compensation boundary event (a multi-instance one once, as its
   * body) becomes compensable in its scope; so does a completed subprocess or multi-instance body
   * holding compensable children, for a throw event outside it to reach them (Zeebe's rules).
   */
  private async recordCompensable(ei: EI, el: ElementDef, flowScope: EI) {
    const inner = flowScope.elementType === MI_BODY && ei.elementType !== MI_BODY;
    const handlerId = inner ? null : (el.compensationHandlerId ?? null);
    const isContainer = (ei.elementType === 'bpmn:SubProcess' && !el.triggeredByEvent) || ei.elementType === MI_BODY;
    const holdsSome =
      isContainer &&
      Boolean(ei.data?.owns?.compensation) &&
      Boolean(await this.trx('wf_compensation_subscriptions').where({ process_instance_key: ei.processInstanceKey, scope_key: ei.key }).first('key'));
    if (!handlerId && !holdsSome) return;
    await this.trx('wf_compensation_subscriptions').insert({
      key: this.services.nextKey(),
      process_instance_key: ei.processInstanceKey,
      activity_id: ei.elementId,
      activity_instance_key: ei.key,
      scope_key: flowScope.key,
      handler_id: handlerId,
      throw_event_instance_key: null,
      created_at: this.now,
    });
    this.markOwns(flowScope, 'compensation');
    const root = await this.ei(ei.processInstanceKey);
    if (root) this.markOwns(root, 'compensation');
  }

  /**
   * A compensation throw or end event: the handlers of everything compensable in its scope (or
   * only `activityRef`'s), and through completed subprocesses of everything inside them, are all
   * invoked at once, in the throw event's scope; the event waits until every one has completed.
   * Inside an event subprocess, the scope around the event subprocess is compensated too.
   */
  private async throwCompensation(ei: EI, el: ElementDef) {
    const flowScope = ei.flowScopeKey === null ? null : await this.ei(ei.flowScopeKey);
    if (!flowScope) return;
    const model = await this.model(ei);
    const scopeKeys = [flowScope.key];
    if (model.elements.get(flowScope.elementId)?.triggeredByEvent && flowScope.flowScopeKey !== null) scopeKeys.push(flowScope.flowScopeKey);
    // Subscriptions another throw event already triggered are its to finish.
    const open: any[] = await this.trx('wf_compensation_subscriptions').where({ process_instance_key: ei.processInstanceKey }).whereNull('throw_event_instance_key').orderBy('key');
    const chosen = open.filter((s) => scopeKeys.includes(Number(s.scope_key)) && (!el.compensateActivityRef || s.activity_id === el.compensateActivityRef));
    if (!chosen.length) return this.complete(ei);
    const triggered: any[] = [];
    const collect = (sub: any) => {
      triggered.push(sub);
      for (const child of open) if (Number(child.scope_key) === Number(sub.activity_instance_key)) collect(child);
    };
    chosen.forEach(collect);
    // All are marked before any handler runs, so a handler that completes at once cannot end the wait early.
    await this.trx('wf_compensation_subscriptions').whereIn('key', triggered.map((s) => s.key)).update({ throw_event_instance_key: ei.key });
    for (const sub of triggered) {
      if (!sub.handler_id) continue;
      const activity = model.elements.get(sub.activity_id)!;
      const boundaryId = activity.boundaryIds.find((id) => model.elements.get(id)!.event === 'compensation');
      if (boundaryId) {
        // The boundary event only passes the compensation on to its handler, as Zeebe records it.
        const boundary = this.newEI(ei.processInstanceKey, flowScope.key, boundaryId, 'bpmn:BoundaryEvent');
        this.history(boundary, 'ELEMENT_ACTIVATED');
        boundary.alive = false;
        this.history(boundary, 'ELEMENT_COMPLETED');
      }
      const handler = model.elements.get(sub.handler_id)!;
      this.schedule(flowScope.key, () => this.activate(handler, flowScope, { compensation: Number(sub.key) }));
    }
  }

  /**
   * A compensation handler completed: its subscription is done, then each enclosing subprocess's
   * once nothing inside it is left; the throw event goes on when none it triggered remains.
   */
  private async compensationCompleted(handler: EI) {
    const table = () => this.trx('wf_compensation_subscriptions').where({ process_instance_key: handler.processInstanceKey });
    const sub = await table().where({ key: handler.data!.compensation }).first();
    if (!sub) return;
    await table().where({ key: sub.key }).delete();
    let scopeKey = Number(sub.scope_key);
    while (!(await table().where({ scope_key: scopeKey }).first('key'))) {
      const holder = await table().where({ activity_instance_key: scopeKey }).whereNull('handler_id').first();
      if (!holder) break;
      await table().where({ key: holder.key }).delete();
      scopeKey = Number(holder.scope_key);
    }
    if (await table().where({ throw_event_instance_key: sub.throw_event_instance_key }).first('key')) return;
    const thrower = await this.ei(Number(sub.throw_event_instance_key));
    if (thrower) this.schedule(thrower.flowScopeKey, () => this.complete(thrower));
  }

  /** Removes the compensation subscriptions of a scope and of the completed subprocesses they hold. */
  private async dropCompensations(processInstanceKey: number, scopeKey: number) {
    const table = () => this.trx('wf_compensation_subscriptions').where({ process_instance_key: processInstanceKey });
    for (const sub of await table().where({ scope_key: scopeKey }).select('activity_instance_key')) {
      await this.dropCompensations(processInstanceKey, Number(sub.activity_instance_key));
    }
    await table().where({ scope_key: scopeKey }).delete();
  }

  // ---------------------------------------------------------------- errors

  /**
   * Throws a BPMN error from `thrower`: the innermost matching error boundary or error event
   * subprocess catches it (across call activities); otherwise an incident on the thrower.
   */
  async throwFrom(thrower: EI, errorCode: string, errorMessage: string, variables: Vars, jobKey: number | null = null): Promise<boolean> {
    const caught = await this.findCatch(thrower, 'error', errorCode);
    if (caught?.boundary) {
      if (!caught.flowScope) return false;
      await this.terminate(caught.owner);
      this.schedule(caught.flowScope.key, () => this.activate(caught.boundary, caught.flowScope!, { trigger: variables }));
      return true;
    }
    if (caught?.start) {
      await this.startEventSubprocess(caught.owner, caught.eventSubprocess, variables, true);
      return true;
    }
    const message = `Expected to throw an error event with the code '${errorCode}'${errorMessage ? ` with message '${errorMessage}'` : ''}, but it was not caught. No error events are available in the scope.`;
    await this.raiseIncident(thrower, 'UNHANDLED_ERROR_EVENT', message, jobKey === null ? 'activate' : null, jobKey);
    return false;
  }

  /**
   * Throws an escalation from `thrower`: the innermost matching escalation boundary (on an enclosing
   * subprocess or call activity) or escalation event subprocess catches it, interrupting or not.
   * Unlike an error, an escalation nobody catches is no incident: the thrower simply goes on.
   */
  async escalate(thrower: EI, escalationCode: string): Promise<boolean> {
    const caught = await this.findCatch(thrower, 'escalation', escalationCode);
    if (caught?.boundary) {
      if (!caught.flowScope) return false;
      if (caught.boundary.interrupting) await this.terminate(caught.owner);
      this.schedule(caught.flowScope.key, () => this.activate(caught.boundary, caught.flowScope!, { trigger: {} }));
      return true;
    }
    if (caught?.start) {
      await this.startEventSubprocess(caught.owner, caught.eventSubprocess, {}, caught.start.interrupting);
      return true;
    }
    this.count('escalations.not-caught');
    return false;
  }

  /**
   * The innermost catch of an error or escalation thrown by `thrower`: a boundary event of it or of an
   * enclosing activity, or an event subprocess start of an enclosing scope, across call activities.
   */
  private async findCatch(
    thrower: EI,
    event: 'error' | 'escalation',
    code: string,
  ): Promise<
    | { owner: EI; flowScope: EI | null; boundary: ElementDef; start?: undefined }
    | { owner: EI; start: ElementDef; eventSubprocess: ElementDef; boundary?: undefined }
    | null
  > {
    const field = event === 'error' ? 'errorCode' : 'escalationCode';
    let current: EI | null = thrower;
    while (current) {
      const model = await this.model(current);
      const def = model.elements.get(current.elementId);
      if (def && current.elementType !== 'bpmn:Process' && !(await this.isInner(current))) {
        const boundary = pickCatch(def.boundaryIds.map((id) => model.elements.get(id)!).filter((b) => b.event === event), code, field);
        if (boundary) return { owner: current, flowScope: await this.ei(current.flowScopeKey!), boundary };
      }
      const scope: EI | null = current.flowScopeKey === null ? null : await this.ei(current.flowScopeKey);
      if (!scope) {
        // The root of a called process: continue at the call activity in the parent.
        const instance = await this.instance(current.processInstanceKey);
        current = instance.parentElementInstanceKey === null ? null : await this.ei(instance.parentElementInstanceKey);
        continue;
      }
      const scopeDef = scope.elementType === MI_BODY ? null : model.elements.get(scope.elementType === 'bpmn:Process' ? model.bpmnProcessId : scope.elementId);
      const starts = (scopeDef?.eventSubprocessIds ?? [])
        .map((id) => model.elements.get(id)!)
        .map((sub) => (sub.startId ? model.elements.get(sub.startId)! : null))
        .filter((st): st is ElementDef => Boolean(st && st.event === event));
      const start = pickCatch(starts, code, field);
      if (start) return { owner: scope, start, eventSubprocess: model.elements.get(start.scopeId)! };
      current = scope;
    }
    return null;
  }

  // ---------------------------------------------------------------- call activities

  private async call(ei: EI, el: ElementDef) {
    const called = el.calledElement!;
    const processId = String(await this.evaluateModelValue(called.processId, ei, 'CALLED_ELEMENT_ERROR'));
    const instance = await this.instance(ei.processInstanceKey);
    let definition: { key: number; version: number } | null;
    if (called.bindingType === 'deployment') {
      definition = await this.services.boundDefinition(instance.tenantId, processId, { type: 'deployment', callerDefinitionKey: instance.processDefinitionKey });
      if (!definition) {
        throw new IncidentRaised(
          'CALLED_ELEMENT_ERROR',
          `Expected to call process with BPMN process id '${processId}' with binding type 'deployment', but no such process found in the deployment which contained the current process.`,
        );
      }
    } else if (called.bindingType === 'versionTag') {
      const versionTag = String(called.versionTag ?? '');
      definition = await this.services.boundDefinition(instance.tenantId, processId, { type: 'versionTag', versionTag });
      if (!definition) {
        throw new IncidentRaised('CALLED_ELEMENT_ERROR', `Expected to call process with BPMN process id '${processId}' and version tag '${versionTag}', but no such process found.`);
      }
    } else {
      definition = await this.services.latestDefinition(instance.tenantId, processId);
      if (!definition) {
        throw new IncidentRaised('CALLED_ELEMENT_ERROR', `Expected process with BPMN process id '${processId}' to be deployed, but not found.`);
      }
    }
    const variables = called.propagateAllParentVariables ? await this.visible(ei) : { ...(ei.variables ?? {}) };
    await this.startInstance({
      definition: { key: definition.key, bpmnProcessId: processId, version: definition.version, tenantId: instance.tenantId },
      variables,
      parent: { processInstanceKey: ei.processInstanceKey, elementInstanceKey: ei.key },
    });
  }
}

function body(ei: EI, name: string): unknown {
  return ei.variables?.[name] ?? [];
}

function pickCatch(candidates: ElementDef[], code: string, field: 'errorCode' | 'escalationCode' = 'errorCode'): ElementDef | undefined {
  return candidates.find((c) => c[field] === code) ?? candidates.find((c) => c[field] === null || c[field] === undefined);
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
