import type { Knex } from 'knex';
import { DEFAULT_TENANT, bindVersion, checkResources, storeDeployment, type DeployedDecision, type DeployedDecisionRequirements, type DeployedProcess, type ResourceBinding } from './deployments';
import { evaluateStoredDecision, findDecision, recordEvaluation, type DecisionBinding, type EvaluationContext } from './decisions';
import { parseDmn, type DecisionGraph } from './dmn';
import { CommandRejected } from './errors';
import { compileProcess, type ProcessModel } from './model';
import { Step, type Effects, type InstanceRow, type Vars } from './interpreter';
import { evaluateValue } from './feel';
import { nextOccurrence, scheduleTimer } from './timers';
import { ensureEngineSchema } from './schema';
import { checkListenerResult, listenerJobTask, parseChangeset, requestTransition, taskListenerCompleted, type TaskAttributes } from './user-tasks';

// Zeebe encodes the partition in the top bits of every key; partition 1 keys start at 2^51.
const PARTITION_1 = 2 ** 51;
const KEY_BLOCK = 100_000;
const MAX_BATCH = 64;
const COUNTER_FLUSH_MS = 1000;
/** How long a user-task request waits for the task's listeners before it is answered DEADLINE_EXCEEDED. */
const USER_TASK_REQUEST_TIMEOUT_MS = 60_000;

/**
 * The engine's time: the system clock, unless pinned to a moment (Camunda's controlled clock,
 * `PUT /v2/clock`), so tests move a 30-day timer forward instead of waiting for it.
 */
export class EngineClock {
  private pinned: number | null = null;
  now(): number {
    return this.pinned ?? Date.now();
  }
  pin(at: number) {
    this.pinned = at;
  }
  reset() {
    this.pinned = null;
  }
}

export interface EngineOptions {
  /** Whether the clock may be pinned (tests and staging only; WORKFLOW_ENGINE_CLOCK_CONTROLLED=true). */
  clockControlled?: boolean;
}

export interface EngineLogger {
  info(message: string): void;
  error(message: string): void;
}

export interface ActivatedJob {
  /** BPMN_ELEMENT, EXECUTION_LISTENER or TASK_LISTENER (REST reports it; the gRPC ActivatedJob has no such field). */
  kind: string;
  listenerEventType: string;
  /** A task listener's user task as the transition would leave it (REST only). */
  userTask?: Awaited<ReturnType<typeof listenerJobTask>>;
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: string;
  worker: string;
  retries: number;
  deadline: string;
  variables: string;
  tenantId: string;
}

export interface JobActivation {
  type: string;
  worker: string;
  timeout: number;
  maxJobsToActivate: number;
  fetchVariable: string[];
  tenantIds: string[];
}

type Command<T> = (step: Step) => Promise<T>;

interface Queued {
  run: Command<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The embedded engine: one writer applies commands in order, each in its own savepoint, many
 * per database transaction (group commit), so a crash loses nothing acknowledged and no two
 * commands race. Waiting instances live only in the database.
 */
export class Engine {
  private queue: Queued[] = [];
  private draining = false;
  private nextKeyValue = 0;
  private keyBlockEnd = 0;
  private readonly models = new Map<number, Promise<ProcessModel>>();
  private readonly graphs = new Map<number, Promise<DecisionGraph>>();
  /** Immutable facts about recent instances (definition, tenant, parent), bounded. */
  private readonly instanceFacts = new Map<number, InstanceRow>();
  private readonly jobWaiters = new Map<string, Set<() => void>>();
  private readonly resultWaiters = new Map<number, Array<(outcome: { variables: Vars; state: string }) => void>>();
  private readonly userTaskWaiters = new Map<number, Array<(rejection: Error | null) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private nextWake = Infinity;
  private stopped = false;
  private lastMessageSweep = 0;
  /** Counted by committed commands but not written yet. */
  private readonly pendingCounters = new Map<string, number>();
  private countersWrittenAt = 0;

  readonly clock = new EngineClock();

  constructor(
    readonly knex: Knex,
    private readonly log: EngineLogger,
    private readonly options: EngineOptions = {},
  ) {}

  /** Pins the engine's clock (as Camunda's `PUT /v2/clock`); timers due by then fire. */
  pinClock(at: number) {
    this.assertClockControlled();
    if (!Number.isSafeInteger(at) || at < 0) throw new CommandRejected('INVALID_ARGUMENT', `The given timestamp must not be negative, but was '${at}'`);
    this.clock.pin(at);
    this.wake(0);
  }

  resetClock() {
    this.assertClockControlled();
    this.clock.reset();
    this.wake(0);
  }

  private assertClockControlled() {
    if (!this.options.clockControlled) {
      throw new CommandRejected('PERMISSION_DENIED', 'The engine clock is not controlled; start the platform with WORKFLOW_ENGINE_CLOCK_CONTROLLED=true (never in production) to pin it');
    }
  }

  async start(): Promise<void> {
    await ensureEngineSchema(this.knex);
    this.wake(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.draining) await new Promise((r) => setTimeout(r, 10));
    if (this.pendingCounters.size) {
      await this.knex
        .transaction((trx) => this.writeCounters(trx, new Map()))
        .then(() => this.pendingCounters.clear())
        .catch((error) => this.log.error(`could not write the engine counters: ${error?.message ?? error}`));
    }
    for (const waiters of this.jobWaiters.values()) for (const w of waiters) w();
  }

  // ---------------------------------------------------------------- the single writer

  private submit<T>(run: Command<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new CommandRejected('UNAVAILABLE', 'the workflow engine is shutting down'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: run as Command<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        // Start after the requests already read from the network have queued too: they then
        // share one transaction (group commit) instead of one transaction each.
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Applies queued commands in batches, one transaction per batch. When any command of a batch
   * fails, the batch is rolled back and its commands are applied again one transaction each, so
   * a refused command never takes the others down and never leaves half its writes behind.
   */
  private async drain() {
    this.draining = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH);
        const applied = batch.length > 1 ? await this.apply(batch).catch(() => null) : null;
        if (applied) {
          batch.forEach((item, i) => item.resolve(applied.values[i]));
          this.afterCommit(applied.effects);
          continue;
        }
        for (const item of batch) {
          try {
            const alone = await this.apply([item]);
            item.resolve(alone!.values[0]);
            this.afterCommit(alone!.effects);
          } catch (error) {
            item.reject(error);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** One transaction for `batch`; null when a command of a larger batch failed (nothing applied). */
  private async apply(batch: Queued[]): Promise<{ values: unknown[]; effects: Effects } | null> {
    const effects: Effects = {
      jobTypes: new Set(),
      completed: [],
      timersChanged: false,
      history: [],
      counters: new Map(),
      resultWaiters: [],
      userTaskWaiters: [],
      userTaskOutcomes: [],
    };
    const values: unknown[] = [];
    let countersWritten = false;
    try {
      await this.knex.transaction(async (trx) => {
        if (this.keyBlockEnd - this.nextKeyValue < KEY_BLOCK / 2) await this.reserveKeys(trx);
        const now = this.clock.now();
        for (const item of batch) {
          const step = new Step(trx, this.services(trx, now), now, effects);
          values.push(await item.run(step));
          await step.settle();
          await step.flush();
        }
        for (let i = 0; i < effects.history.length; i += 100) await trx('wf_history').insert(effects.history.slice(i, i + 100));
        if (Date.now() - this.countersWrittenAt >= COUNTER_FLUSH_MS) {
          await this.writeCounters(trx, effects.counters);
          countersWritten = true;
        }
      });
      if (countersWritten) this.pendingCounters.clear();
      else for (const [name, by] of effects.counters) this.pendingCounters.set(name, (this.pendingCounters.get(name) ?? 0) + by);
    } catch (error) {
      // Nothing of this batch happened; keys handed out inside it are simply never used.
      this.keyBlockEnd = this.nextKeyValue = 0;
      if (batch.length > 1) return null;
      if (!(error instanceof CommandRejected)) this.log.error(`engine command failed and was rolled back: ${(error as Error)?.stack ?? error}`);
      throw error;
    }
    return { values, effects };
  }

  /**
   * Counters are statistics, written at most once a second (and at shutdown) together with
   * whatever the batch counted, instead of a write per command.
   */
  private async writeCounters(trx: Knex.Transaction, current: Map<string, number>) {
    const total = new Map(this.pendingCounters);
    for (const [name, by] of current) total.set(name, (total.get(name) ?? 0) + by);
    for (const [name, by] of total) {
      const updated = await trx('wf_counters').where({ name }).increment('value', by);
      if (!updated) await trx('wf_counters').insert({ name, value: by });
    }
    this.countersWrittenAt = Date.now();
  }

  private async reserveKeys(trx: Knex.Transaction) {
    await trx('wf_sequence').where({ name: 'key' }).increment('value', KEY_BLOCK);
    const row = await trx('wf_sequence').where({ name: 'key' }).first('value');
    this.keyBlockEnd = PARTITION_1 + Number(row.value);
    this.nextKeyValue = this.keyBlockEnd - KEY_BLOCK + 1;
  }

  private nextKey = (): number => {
    if (this.nextKeyValue >= this.keyBlockEnd) throw new CommandRejected('RESOURCE_EXHAUSTED', 'this command needs more keys than one batch may allocate');
    return this.nextKeyValue++;
  };

  private services(trx: Knex.Transaction, now: number) {
    return {
      model: (key: number) => this.model(key, trx),
      latestDefinition: (tenantId: string, bpmnProcessId: string) => this.latestDefinition(tenantId, bpmnProcessId, trx),
      boundDefinition: async (tenantId: string, bpmnProcessId: string, binding: ResourceBinding) => {
        const query = trx('wf_process_definitions as d').where({ 'd.tenant_id': tenantId, 'd.bpmn_process_id': bpmnProcessId });
        const row = await bindVersion(trx, query, 'process', bpmnProcessId, binding, { key: 'd.key', versionTag: 'd.version_tag' }).orderBy('d.version', 'desc').first('d.key', 'd.version');
        return row ? { key: Number(row.key), version: Number(row.version) } : null;
      },
      evaluateDecision: async (tenantId: string, decisionId: string, variables: Vars, binding: DecisionBinding, context: EvaluationContext) => {
        const row = await findDecision(trx, tenantId, { decisionId }, binding);
        const result = await evaluateStoredDecision(trx, row, await this.decisionGraph(Number(row.decision_requirements_key), trx), variables);
        await recordEvaluation(trx, this.nextKey(), result, context, now);
        return result;
      },
      nextKey: this.nextKey,
      instanceFacts: this.instanceFacts,
    };
  }

  private afterCommit(effects: Effects) {
    for (const [key, waiter] of effects.resultWaiters) this.resultWaiters.set(key, [...(this.resultWaiters.get(key) ?? []), waiter]);
    for (const type of effects.jobTypes) this.notifyJobs(type);
    for (const done of effects.completed) {
      const waiters = this.resultWaiters.get(done.processInstanceKey);
      if (waiters) {
        this.resultWaiters.delete(done.processInstanceKey);
        for (const w of waiters) w({ variables: done.variables, state: done.state });
      }
    }
    for (const [key, waiter] of effects.userTaskWaiters) {
      // A request whose listeners never finish is answered, not left hanging; the transition itself stays pending.
      const timer = setTimeout(() => settle(new CommandRejected('DEADLINE_EXCEEDED', `The task listeners of user task '${key}' did not finish within ${USER_TASK_REQUEST_TIMEOUT_MS / 1000} s; the request goes on in the engine`)), USER_TASK_REQUEST_TIMEOUT_MS);
      timer.unref?.();
      const settle = (rejection: Error | null) => {
        clearTimeout(timer);
        const list = (this.userTaskWaiters.get(key) ?? []).filter((w) => w !== settle);
        if (list.length) this.userTaskWaiters.set(key, list);
        else this.userTaskWaiters.delete(key);
        waiter(rejection);
      };
      this.userTaskWaiters.set(key, [...(this.userTaskWaiters.get(key) ?? []), settle]);
    }
    for (const { key, rejection } of effects.userTaskOutcomes) for (const settle of this.userTaskWaiters.get(key) ?? []) settle(rejection);
    if (effects.timersChanged) this.wake(0);
  }

  // ---------------------------------------------------------------- definitions

  /** The compiled model of a deployed version; inside a command pass its transaction (SQLite has one connection). */
  model(processDefinitionKey: number, trx: Knex | Knex.Transaction = this.knex): Promise<ProcessModel> {
    let cached = this.models.get(processDefinitionKey);
    if (!cached) {
      cached = (async () => {
        const row = await trx('wf_process_definitions').where({ key: processDefinitionKey }).first('xml', 'bpmn_process_id');
        if (!row) throw new Error(`process definition ${processDefinitionKey} is missing`);
        return compileProcess(row.xml, row.bpmn_process_id);
      })();
      cached.catch(() => this.models.delete(processDefinitionKey));
      this.models.set(processDefinitionKey, cached);
    }
    return cached;
  }

  private async latestDefinition(tenantId: string, bpmnProcessId: string, trx: Knex | Knex.Transaction = this.knex) {
    const row = await trx('wf_process_definitions').where({ tenant_id: tenantId, bpmn_process_id: bpmnProcessId }).orderBy('version', 'desc').first('key', 'version');
    return row ? { key: Number(row.key), version: Number(row.version) } : null;
  }

  async deploy(resources: Array<{ name: string; content: Buffer | string }>, tenantId = DEFAULT_TENANT) {
    const checked = await checkResources(resources);
    const result = await this.submit(async (step) => {
      const stored = await storeDeployment(step.trx, checked, tenantId, this.nextKey);
      for (const created of stored.created) await this.replaceStartTimers(step, created);
      return stored;
    });
    return {
      key: result.key,
      processes: result.processes as DeployedProcess[],
      decisions: result.decisions as DeployedDecision[],
      decisionRequirements: result.decisionRequirements as DeployedDecisionRequirements[],
      forms: result.forms,
    };
  }

  // ---------------------------------------------------------------- decisions

  /** The parsed decision requirements graph of a deployed DMN resource. */
  private decisionGraph(decisionRequirementsKey: number, trx: Knex | Knex.Transaction): Promise<DecisionGraph> {
    let cached = this.graphs.get(decisionRequirementsKey);
    if (!cached) {
      cached = (async () => {
        const row = await trx('wf_decision_requirements').where({ key: decisionRequirementsKey }).first('xml');
        if (!row) throw new Error(`decision requirements ${decisionRequirementsKey} are missing`);
        const parsed = await parseDmn(row.xml);
        if (!parsed.ok) throw new Error(`decision requirements ${decisionRequirementsKey} no longer parse: ${parsed.problems.map((p) => p.message).join('; ')}`);
        return parsed.graph;
      })();
      cached.catch(() => this.graphs.delete(decisionRequirementsKey));
      this.graphs.set(decisionRequirementsKey, cached);
    }
    return cached;
  }

  /**
   * Evaluates a decision (the latest version of `decisionId`, or the one with `decisionKey`) for the
   * EvaluateDecision API, and records it: the answer carries its decision instance key.
   */
  evaluateDecision(request: { decisionId?: string; decisionKey?: number; variables: Vars; tenantId?: string }) {
    return this.submit(async (step) => {
      const row = await findDecision(step.trx, request.tenantId || DEFAULT_TENANT, request);
      const result = await evaluateStoredDecision(step.trx, row, await this.decisionGraph(Number(row.decision_requirements_key), step.trx), request.variables);
      const decisionInstanceKey = this.nextKey();
      await recordEvaluation(step.trx, decisionInstanceKey, result, null, step.now);
      step.count('decisions.evaluated');
      return { ...result, decisionInstanceKey };
    });
  }

  /** A new version's timer start events replace those of the version before it. */
  private async replaceStartTimers(step: Step, created: DeployedProcess & { xml: string }) {
    const older = step.trx('wf_process_definitions').where({ tenant_id: created.tenantId, bpmn_process_id: created.bpmnProcessId }).whereNot({ key: created.processDefinitionKey }).select('key');
    await step.trx('wf_timers').whereNull('process_instance_key').whereIn('process_definition_key', older).delete();
    const model = await compileProcess(created.xml, created.bpmnProcessId);
    this.models.set(created.processDefinitionKey, Promise.resolve(model));
    for (const start of model.timerStarts) {
      const value = String(evaluateValue(start.timer!.expression, {}));
      const schedule = scheduleTimer(start.timer!.kind, value, step.now);
      await step.trx('wf_timers').insert({
        key: this.nextKey(),
        process_definition_key: created.processDefinitionKey,
        process_instance_key: null,
        element_instance_key: null,
        target_element_id: start.id,
        due_at: schedule.dueAt,
        repetitions: schedule.repetitions,
        interval: schedule.interval,
        tenant_id: created.tenantId,
      });
      step.effects.timersChanged = true;
    }
  }

  // ---------------------------------------------------------------- commands

  async createInstance(request: { bpmnProcessId?: string; version?: number; processDefinitionKey?: number; variables: Vars; tenantId?: string }) {
    return this.submit((step) => this.startFromRequest(step, request));
  }

  private async startFromRequest(step: Step, request: Parameters<Engine['createInstance']>[0]) {
    const tenantId = request.tenantId || DEFAULT_TENANT;
    const definition = await this.findDefinition(step, request, tenantId);
    const key = await step.startInstance({ definition, variables: request.variables });
    return { processDefinitionKey: definition.key, bpmnProcessId: definition.bpmnProcessId, version: definition.version, processInstanceKey: key, tenantId };
  }

  /** Starts an instance and waits for it to end (CreateProcessInstanceWithResult). */
  async createInstanceWithResult(request: Parameters<Engine['createInstance']>[0], timeoutMs: number) {
    let settle!: (outcome: { variables: Vars; state: string }) => void;
    const outcome = new Promise<{ variables: Vars; state: string }>((resolve) => (settle = resolve));
    const created = await this.submit(async (step) => {
      const started = await this.startFromRequest(step, request);
      // Registered before the commit, so an instance that ends in this very batch is not missed.
      step.effects.resultWaiters.push([started.processInstanceKey, settle]);
      return started;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.resultWaiters.delete(created.processInstanceKey);
        reject(
          new CommandRejected(
            'DEADLINE_EXCEEDED',
            `Time out between gateway and broker: Request timed out after ${timeoutMs}ms; the process instance ${created.processInstanceKey} keeps running`,
          ),
        );
      }, timeoutMs);
    });
    try {
      const ended = await Promise.race([outcome, timeout]);
      if (ended.state !== 'COMPLETED') {
        throw new CommandRejected('FAILED_PRECONDITION', `Expected process instance ${created.processInstanceKey} to complete, but it was terminated`);
      }
      return { ...created, variables: ended.variables };
    } finally {
      clearTimeout(timer);
    }
  }

  private async findDefinition(step: Step, request: { bpmnProcessId?: string; version?: number; processDefinitionKey?: number }, tenantId: string) {
    let row: any;
    if (request.processDefinitionKey) {
      row = await step.trx('wf_process_definitions').where({ key: request.processDefinitionKey }).first('key', 'bpmn_process_id', 'version', 'tenant_id');
      if (!row) {
        throw new CommandRejected('NOT_FOUND', `Expected to find process definition with key '${request.processDefinitionKey}', but none found`, 'CREATE');
      }
    } else {
      const query = step.trx('wf_process_definitions').where({ tenant_id: tenantId, bpmn_process_id: request.bpmnProcessId ?? '' });
      if (request.version !== undefined && request.version >= 0) query.where({ version: request.version });
      row = await query.orderBy('version', 'desc').first('key', 'bpmn_process_id', 'version', 'tenant_id');
      if (!row) {
        const which = request.version !== undefined && request.version >= 0 ? ` and version '${request.version}'` : '';
        throw new CommandRejected('NOT_FOUND', `Expected to find process definition with process ID '${request.bpmnProcessId}'${which}, but none found`, 'CREATE');
      }
    }
    return { key: Number(row.key), bpmnProcessId: row.bpmn_process_id as string, version: Number(row.version), tenantId: row.tenant_id as string };
  }

  cancelInstance(processInstanceKey: number) {
    return this.submit((step) => step.cancelInstance(processInstanceKey));
  }

  /** Hands out up to `max` jobs of a type (never blocks; long polling is the gateway's part). */
  activateJobs(request: JobActivation): Promise<ActivatedJob[]> {
    return this.submit(async (step) => {
      const rows = await step
        .trx('wf_jobs')
        .where({ type: request.type })
        .where('activatable_at', '<=', step.now)
        .whereIn('tenant_id', request.tenantIds.length ? request.tenantIds : [DEFAULT_TENANT])
        .orderBy('activatable_at')
        .orderBy('key')
        .limit(Math.max(1, Math.min(request.maxJobsToActivate, 1000)));
      if (!rows.length) return [];
      await step.preload(rows.map((r: any) => Number(r.element_instance_key)));
      const deadline = step.now + Math.max(0, request.timeout);
      await step
        .trx('wf_jobs')
        .whereIn(
          'key',
          rows.map((r: any) => r.key),
        )
        .update({ state: 'ACTIVATED', deadline, activatable_at: deadline, worker: request.worker.slice(0, 255) });
      step.count('jobs.activated', rows.length);
      const jobs: ActivatedJob[] = [];
      for (const row of rows) {
        const ei = await step.ei(Number(row.element_instance_key));
        let variables = ei ? await step.visible(ei) : {};
        if (request.fetchVariable.length) variables = Object.fromEntries(request.fetchVariable.filter((n) => n in variables).map((n) => [n, variables[n]]));
        jobs.push({
          key: String(row.key),
          type: row.type,
          processInstanceKey: String(row.process_instance_key),
          bpmnProcessId: row.bpmn_process_id,
          processDefinitionVersion: Number(row.version),
          processDefinitionKey: String(row.process_definition_key),
          elementId: row.element_id,
          elementInstanceKey: String(row.element_instance_key),
          customHeaders: row.custom_headers,
          worker: request.worker,
          retries: Number(row.retries),
          deadline: String(deadline),
          variables: JSON.stringify(variables),
          tenantId: row.tenant_id,
          kind: row.kind ?? 'BPMN_ELEMENT',
          listenerEventType: row.listener_event_type ?? 'UNSPECIFIED',
          ...(row.kind === 'TASK_LISTENER' ? { userTask: await listenerJobTask(step, Number(row.element_instance_key)) } : {}),
        });
      }
      return jobs;
    });
  }

  private async loadJob(step: Step, key: number, intent: string, verb: string) {
    const job = await step.trx('wf_jobs').where({ key }).first();
    if (!job) throw new CommandRejected('NOT_FOUND', `Expected to ${verb} job with key '${key}', but no such job was found`, intent);
    return job;
  }

  /** `result`: a task listener's decision (REST job completion; the gRPC request has none). */
  completeJob(key: number, variables: Vars, result: { denied?: boolean; deniedReason?: string; corrections?: TaskAttributes } | null = null) {
    return this.submit(async (step) => {
      if (result?.denied || result?.corrections || Object.keys(variables).length) {
        const job = await step.trx('wf_jobs').where({ key }).first('kind', 'type', 'process_instance_key', 'element_instance_key');
        if (job?.kind === 'TASK_LISTENER') {
          if (Object.keys(variables).length) {
            throw new CommandRejected(
              'INVALID_ARGUMENT',
              `Task Listener job completion with variables payload provided is not yet supported (job key '${key}', type '${job.type}', processInstanceKey '${job.process_instance_key}')`,
              'COMPLETE',
            );
          }
          await checkListenerResult(step, Number(job.element_instance_key), key, result);
        }
      }
      // One statement on the hot path; the refusals look the job up only when it was not there to complete.
      // (knex 3 has no RETURNING for SQLite deletes; both databases accept it raw.)
      const deleted = await step.trx.raw(`delete from wf_jobs where key = ? and state in ('ACTIVATED', 'ACTIVATABLE') returning element_instance_key, kind`, [key]);
      const job = (Array.isArray(deleted) ? deleted : deleted.rows)[0] as { element_instance_key: number | string; kind: string | null } | undefined;
      if (!job) {
        const { state } = await this.loadJob(step, key, 'COMPLETE', 'complete');
        throw new CommandRejected('FAILED_PRECONDITION', `Expected to complete job with key '${key}', but it is in state '${state}'`, 'COMPLETE');
      }
      step.count('jobs.completed');
      const ei = await step.ei(Number(job.element_instance_key));
      if (!ei) return;
      step.dropOwned(ei, 'job');
      if (job.kind === 'EXECUTION_LISTENER') {
        step.schedule(ei.flowScopeKey, () => step.listenerCompleted(ei, variables));
        return;
      }
      if (job.kind === 'TASK_LISTENER') {
        step.schedule(ei.flowScopeKey, () => taskListenerCompleted(step, ei, result));
        return;
      }
      const model = await step.model(ei);
      await step.applyResult(ei, model.elements.get(ei.elementId)!, variables);
      step.schedule(ei.flowScopeKey, () => step.complete(ei));
    });
  }

  failJob(request: { key: number; retries: number; errorMessage: string; retryBackOff: number; variables: Vars }) {
    return this.submit(async (step) => {
      const job = await this.loadJob(step, request.key, 'FAIL', 'fail');
      if (job.state !== 'ACTIVATED') {
        throw new CommandRejected('FAILED_PRECONDITION', `Expected to fail activated job with key '${request.key}', but it is in state '${job.state}'`, 'FAIL');
      }
      step.count('jobs.failed');
      const ei = await step.ei(Number(job.element_instance_key));
      if (ei) step.setLocal(ei, request.variables);
      const retries = Math.trunc(request.retries);
      if (retries > 0) {
        await step
          .trx('wf_jobs')
          .where({ key: request.key })
          .update({ state: 'ACTIVATABLE', retries, activatable_at: step.now + Math.max(0, request.retryBackOff), deadline: null, worker: null, error_message: request.errorMessage || null });
        if (!request.retryBackOff) step.effects.jobTypes.add(job.type);
        else step.effects.timersChanged = true;
        return;
      }
      await step
        .trx('wf_jobs')
        .where({ key: request.key })
        .update({ state: 'FAILED', retries: 0, activatable_at: null, deadline: null, worker: null, error_message: request.errorMessage || null });
      if (ei) await step.raiseIncident(ei, 'JOB_NO_RETRIES', request.errorMessage || 'No more retries left.', null, request.key);
    });
  }

  throwError(request: { key: number; errorCode: string; errorMessage: string; variables: Vars }) {
    return this.submit(async (step) => {
      const job = await this.loadJob(step, request.key, 'THROW_ERROR', 'throw an error for');
      if (job.state !== 'ACTIVATED' && job.state !== 'ACTIVATABLE') {
        throw new CommandRejected('FAILED_PRECONDITION', `Expected to throw an error for job with key '${request.key}', but it is in state '${job.state}'`, 'THROW_ERROR');
      }
      if (job.kind === 'EXECUTION_LISTENER' || job.kind === 'TASK_LISTENER') {
        throw new CommandRejected(
          'FAILED_PRECONDITION',
          `Cannot throw BPMN error from ${job.kind} job with key '${request.key}', type '${job.type}' and processInstanceKey '${job.process_instance_key}'. Throwing BPMN errors from ${job.kind} jobs is not supported`,
          'THROW_ERROR',
        );
      }
      const ei = await step.ei(Number(job.element_instance_key));
      if (!ei) return;
      await step.trx('wf_jobs').where({ key: request.key }).update({ state: 'ERROR_THROWN', activatable_at: null, deadline: null, error_message: request.errorMessage || null });
      const caught = await step.throwFrom(ei, request.errorCode, request.errorMessage, request.variables, request.key);
      if (caught) await step.trx('wf_jobs').where({ key: request.key }).delete();
    });
  }

  // ---------------------------------------------------------------- Camunda user tasks

  /** Each answers once the task's listeners for the transition are done (or one denied it). */
  async assignUserTask(request: { key: number; assignee: string; allowOverride: boolean; action: string }) {
    const { outcome } = await this.submit((step) => requestTransition(step, request.key, 'assigning', request));
    await outcome;
  }

  async unassignUserTask(key: number) {
    const { outcome } = await this.submit((step) => requestTransition(step, key, 'assigning', { assignee: '', action: 'unassign' }));
    await outcome;
  }

  async updateUserTask(request: { key: number; changeset: Record<string, unknown>; action: string }) {
    const changeset = parseChangeset(request.changeset);
    const { outcome } = await this.submit((step) => requestTransition(step, request.key, 'updating', { action: request.action, changeset }));
    await outcome;
  }

  async completeUserTask(request: { key: number; variables: Vars; action: string }) {
    const { outcome } = await this.submit((step) => requestTransition(step, request.key, 'completing', request));
    await outcome;
  }

  updateJobRetries(key: number, retries: number) {
    return this.submit(async (step) => {
      await this.loadJob(step, key, 'UPDATE_RETRIES', 'update retries of');
      if (!(retries > 0)) {
        throw new CommandRejected('INVALID_ARGUMENT', `Expected retries to be greater than zero, but it was '${retries}'`, 'UPDATE_RETRIES');
      }
      await step.trx('wf_jobs').where({ key }).update({ retries: Math.trunc(retries) });
    });
  }

  updateJobTimeout(key: number, timeoutMs: number) {
    return this.submit(async (step) => {
      const job = await this.loadJob(step, key, 'UPDATE_TIMEOUT', 'update timeout of');
      if (job.state !== 'ACTIVATED') {
        throw new CommandRejected('FAILED_PRECONDITION', `Expected to update the timeout of activated job with key '${key}', but it is in state '${job.state}'`, 'UPDATE_TIMEOUT');
      }
      const deadline = step.now + Math.max(0, timeoutMs);
      await step.trx('wf_jobs').where({ key }).update({ deadline, activatable_at: deadline });
    });
  }

  resolveIncident(key: number) {
    return this.submit(async (step) => {
      const incident = await step.trx('wf_incidents').where({ key, state: 'ACTIVE' }).first();
      if (!incident) throw new CommandRejected('NOT_FOUND', `Expected to resolve incident with key '${key}', but no such incident was found`, 'RESOLVE');
      if (incident.job_key !== null) {
        const job = await step.trx('wf_jobs').where({ key: incident.job_key }).first();
        if (job && Number(job.retries) <= 0) {
          throw new CommandRejected(
            'FAILED_PRECONDITION',
            `Expected to resolve incident with key '${key}', but job with key '${incident.job_key}' has no retries left; update its retries first`,
            'RESOLVE',
          );
        }
      }
      await step.trx('wf_incidents').where({ key }).update({ state: 'RESOLVED', resolved_at: step.now });
      if (incident.job_key !== null) {
        await step.trx('wf_jobs').where({ key: incident.job_key }).update({ state: 'ACTIVATABLE', activatable_at: step.now, deadline: null, worker: null });
        const job = await step.trx('wf_jobs').where({ key: incident.job_key }).first('type');
        if (job) step.effects.jobTypes.add(job.type);
        return;
      }
      const ei = await step.ei(Number(incident.element_instance_key));
      if (!ei) return;
      if (incident.retry_step === 'start' && ei.data?.pendingStart) {
        const { elementId, trigger } = ei.data.pendingStart;
        step.schedule(ei.key, () => step.beginInstance(ei, elementId, trigger));
        return;
      }
      const model = await step.model(ei);
      const el = model.elements.get(ei.elementId)!;
      if (incident.retry_step === 'complete') {
        step.schedule(ei.flowScopeKey, () => step.complete(ei));
      } else if (ei.elementType === 'MULTI_INSTANCE_BODY') {
        step.schedule(ei.flowScopeKey, () => step.enterMultiInstance(ei, el));
      } else {
        step.schedule(ei.flowScopeKey, () => step.enter(ei, el));
      }
    });
  }

  setVariables(elementInstanceKey: number, variables: Vars, local: boolean) {
    return this.submit(async (step) => {
      const ei = await step.ei(elementInstanceKey);
      if (!ei) {
        throw new CommandRejected('NOT_FOUND', `Expected to update variables for element with key '${elementInstanceKey}', but no such element was found`, 'UPDATE');
      }
      if (local) step.setLocal(ei, variables);
      else await step.propagate(ei, variables);
      return step.services.nextKey();
    });
  }

  publishMessage(request: { name: string; correlationKey: string; timeToLive: number; messageId: string; variables: Vars; tenantId?: string }) {
    const tenantId = request.tenantId || DEFAULT_TENANT;
    return this.submit(async (step) => {
      if (request.messageId) {
        const duplicate = await step
          .trx('wf_messages')
          .where({ tenant_id: tenantId, name: request.name, correlation_key: request.correlationKey, message_id: request.messageId })
          .where('expires_at', '>', step.now)
          .first('key');
        if (duplicate) {
          throw new CommandRejected(
            'ALREADY_EXISTS',
            `Expected to publish a new message with id '${request.messageId}', but a message with that id was already published`,
            'PUBLISH',
          );
        }
      }
      const key = step.services.nextKey();
      const buffered = request.timeToLive > 0;
      if (buffered) {
        await step.trx('wf_messages').insert({
          key,
          name: request.name,
          correlation_key: request.correlationKey,
          message_id: request.messageId || null,
          variables: JSON.stringify(request.variables),
          expires_at: step.now + request.timeToLive,
          tenant_id: tenantId,
        });
      }
      const correlated = new Set<string>();
      const subscriptions = await step
        .trx('wf_message_subscriptions')
        .where({ tenant_id: tenantId, message_name: request.name, correlation_key: request.correlationKey })
        .orderBy('key');
      // Zeebe correlates a message at most once per process (bpmnProcessId).
      // The instances the message reached (opened or started), in correlation order.
      const processInstanceKeys: number[] = [];
      for (const sub of subscriptions) {
        if (correlated.has(sub.bpmn_process_id)) continue;
        if (await step.triggerSubscription(sub, request.variables)) {
          correlated.add(sub.bpmn_process_id);
          processInstanceKeys.push(Number(sub.process_instance_key));
        }
      }
      for (const start of await step.latestStarts(tenantId, (model) => model.messageStarts.find((s) => s.message?.name === request.name))) {
        if (correlated.has(start.bpmnProcessId)) continue;
        correlated.add(start.bpmnProcessId);
        processInstanceKeys.push(await step.startInstance({ definition: start.definition, variables: request.variables, startElementId: start.elementId }));
      }
      if (buffered && correlated.size) {
        await step.trx('wf_message_correlations').insert([...correlated].map((id) => ({ message_key: key, bpmn_process_id: id })));
      }
      step.count('messages.published');
      return { key, tenantId, processInstanceKeys };
    });
  }

  broadcastSignal(request: { signalName: string; variables: Vars; tenantId?: string }) {
    const tenantId = request.tenantId || DEFAULT_TENANT;
    return this.submit(async (step) => {
      const key = step.services.nextKey();
      await step.broadcastSignal(tenantId, request.signalName, request.variables);
      return { key, tenantId };
    });
  }

  // ---------------------------------------------------------------- waiting for jobs and results

  /** Resolves when a job of `type` may have become activatable, or after `ms`. */
  waitForJobs(type: string, ms: number, onCancel: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.jobWaiters.get(type) ?? new Set();
      this.jobWaiters.set(type, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (!waiters.size) this.jobWaiters.delete(type);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      onCancel(done);
      if (this.stopped) done();
    });
  }

  private notifyJobs(type: string) {
    const waiters = this.jobWaiters.get(type);
    if (waiters) for (const w of [...waiters]) w();
  }

  // ---------------------------------------------------------------- time: timers, job deadlines, back-offs, message expiry

  private wake(inMs: number) {
    if (this.stopped) return;
    const at = Date.now() + inMs;
    if (this.timer && at >= this.nextWake) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextWake = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.nextWake = Infinity;
      this.tick().catch((error) => this.log.error(`engine timer tick failed: ${error?.stack ?? error}`)).finally(() => this.wake(1000));
    }, Math.max(0, inMs));
    this.timer.unref?.();
  }

  private async tick() {
    if (this.stopped) return;
    const now = this.clock.now();
    const due = await this.knex('wf_timers').where('due_at', '<=', now).orderBy('due_at').limit(200);
    await Promise.all(due.map((timer: any) => this.submit((step) => this.fireTimer(step, timer)).catch((e) => this.log.error(`timer ${timer.key} failed: ${e?.stack ?? e}`))));
    // Jobs whose deadline or back-off just passed can be handed out again.
    const waiting = [...this.jobWaiters.keys()];
    if (waiting.length) {
      const ready = await this.knex('wf_jobs').distinct('type').whereIn('type', waiting).where('activatable_at', '<=', now);
      for (const row of ready) this.notifyJobs(row.type);
    }
    if (now - this.lastMessageSweep > 10_000) {
      this.lastMessageSweep = now;
      await this.submit(async (step) => {
        const expired = step.trx('wf_messages').where('expires_at', '<=', step.now).select('key');
        await step.trx('wf_message_correlations').whereIn('message_key', expired).delete();
        await step.trx('wf_messages').where('expires_at', '<=', step.now).delete();
      });
    }
    const next = await this.knex('wf_timers').min('due_at as at').first();
    if (next?.at !== null && next?.at !== undefined) this.wake(Math.min(1000, Math.max(0, Number(next.at) - this.clock.now())));
  }

  private async fireTimer(step: Step, row: any) {
    const timer = await step.trx('wf_timers').where({ key: row.key }).first();
    if (!timer || Number(timer.due_at) > step.now) return;
    const next = nextOccurrence({ dueAt: Number(timer.due_at), repetitions: Number(timer.repetitions), interval: timer.interval }, step.now);
    const model = await this.model(Number(timer.process_definition_key), step.trx);
    const target = model.elements.get(timer.target_element_id);
    const keepsRunning = next && (timer.process_instance_key === null || (target && !target.interrupting && target.type !== 'bpmn:IntermediateCatchEvent'));
    if (keepsRunning) await step.trx('wf_timers').where({ key: timer.key }).update({ due_at: next.dueAt, repetitions: next.repetitions });
    else await step.trx('wf_timers').where({ key: timer.key }).delete();
    step.effects.timersChanged = true;
    if (timer.process_instance_key === null) {
      const latest = await this.latestDefinition(timer.tenant_id, model.bpmnProcessId, step.trx);
      if (latest?.key !== Number(timer.process_definition_key)) return;
      await step.startInstance({
        definition: { key: latest.key, bpmnProcessId: model.bpmnProcessId, version: latest.version, tenantId: timer.tenant_id },
        variables: {},
        startElementId: timer.target_element_id,
      });
      return;
    }
    await step.triggerSubscription(timer, {});
  }

  // ---------------------------------------------------------------- reading (operations)

  async counters(): Promise<Record<string, number>> {
    const rows = await this.knex('wf_counters').select('name', 'value');
    const result: Record<string, number> = Object.fromEntries(rows.map((r: any) => [r.name, Number(r.value)]));
    for (const [name, by] of this.pendingCounters) result[name] = (result[name] ?? 0) + by;
    return result;
  }
}
