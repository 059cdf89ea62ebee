import type { Knex } from 'knex';
import { activateJobs } from './commands/activate-jobs';
import { broadcastSignal } from './commands/broadcast-signal';
import { cancelInstance } from './commands/cancel-instance';
import { completeJob, type ListenerResult } from './commands/complete-job';
import { createInstance, type CreateInstanceRequest } from './commands/create-instance';
import { deploy } from './commands/deploy';
import { evaluateDecision } from './commands/evaluate-decision';
import { expireMessages } from './commands/expire-messages';
import { failJob, type FailJobRequest } from './commands/fail-job';
import { publishMessage, type PublishMessageRequest } from './commands/publish-message';
import { resolveIncident } from './commands/resolve-incident';
import { setVariables } from './commands/set-variables';
import { throwError } from './commands/throw-error';
import { triggerTimer } from './commands/trigger-timer';
import { updateJobRetries, updateJobTimeout } from './commands/update-job';
import { assignUserTask, completeUserTask, unassignUserTask, updateUserTask } from './commands/user-task';
import { DEFAULT_TENANT, checkResources, type DeployedDecision, type DeployedDecisionRequirements, type DeployedProcess } from './deployments';
import { decisionRequirementsXml, evaluateStoredDecision, findDecision, recordEvaluation } from './state/decisions';
import { parseDmn, type DecisionGraph } from './dmn';
import { CommandRejected } from './errors';
import { Step } from './interpreter';
import { compileProcess, type ProcessModel } from './model';
import { ensureEngineSchema } from './schema';
import { addToCounters, readCounters } from './state/counters';
import { boundDefinition, definitionById, definitionSource } from './state/definitions';
import { ElementInstanceRows } from './state/element-instances';
import { appendHistory } from './state/history';
import { readyTypes } from './state/jobs';
import { reserveKeyBlock } from './state/keys';
import { bindBatch } from './state/sqlite';
import { flushWrites } from './state/write-behind';
import { dueTimers, nextDueAt } from './state/timers';
import type { DefinitionRef, Effects, EngineServices, InstanceRow, Vars } from './types';
import type { listenerJobTask } from './user-tasks';

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
  /** Element-instance rows as this writer left them, so completions need not read them back. */
  private readonly elementInstanceRows = new ElementInstanceRows();
  /** The latest version of each process, by tenant and process id (forgotten on every deployment). */
  private readonly latestDefinitions = new Map<string, DefinitionRef>();
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
        await bindBatch(trx);
        if (this.keyBlockEnd - this.nextKeyValue < KEY_BLOCK / 2) await this.reserveKeys(trx);
        const now = this.clock.now();
        for (const item of batch) {
          const step = new Step(trx, this.services(trx, now), now, effects);
          values.push(await item.run(step));
          await step.settle();
          await step.flush();
        }
        await flushWrites(trx);
        await appendHistory(trx, effects.history);
        if (Date.now() - this.countersWrittenAt >= COUNTER_FLUSH_MS) {
          await this.writeCounters(trx, effects.counters);
          countersWritten = true;
        }
      });
      if (countersWritten) this.pendingCounters.clear();
      else for (const [name, by] of effects.counters) this.pendingCounters.set(name, (this.pendingCounters.get(name) ?? 0) + by);
    } catch (error) {
      // Nothing of this batch happened; keys handed out inside it are simply never used, and
      // what it remembered about rows and definitions is forgotten.
      this.keyBlockEnd = this.nextKeyValue = 0;
      this.elementInstanceRows.clear();
      this.latestDefinitions.clear();
      this.instanceFacts.clear();
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
    await addToCounters(trx, total);
    this.countersWrittenAt = Date.now();
  }

  private async reserveKeys(trx: Knex.Transaction) {
    this.keyBlockEnd = PARTITION_1 + (await reserveKeyBlock(trx, KEY_BLOCK));
    this.nextKeyValue = this.keyBlockEnd - KEY_BLOCK + 1;
  }

  private nextKey = (): number => {
    if (this.nextKeyValue >= this.keyBlockEnd) throw new CommandRejected('RESOURCE_EXHAUSTED', 'this command needs more keys than one batch may allocate');
    return this.nextKeyValue++;
  };

  private services(trx: Knex.Transaction, now: number): EngineServices {
    return {
      model: (key) => this.model(key, trx),
      rememberModel: (key, model) => this.models.set(key, Promise.resolve(model)),
      latestDefinition: async (tenantId, bpmnProcessId) => {
        const id = `${tenantId}\u0000${bpmnProcessId}`;
        const known = this.latestDefinitions.get(id);
        if (known) return known;
        const found = await definitionById(trx, tenantId, bpmnProcessId);
        if (found) this.latestDefinitions.set(id, found);
        return found;
      },
      forgetLatestDefinitions: () => this.latestDefinitions.clear(),
      elementInstanceRows: this.elementInstanceRows,
      boundDefinition: (tenantId, bpmnProcessId, binding) => boundDefinition(trx, tenantId, bpmnProcessId, binding),
      evaluateDecision: async (tenantId, ref, variables, binding, context) => {
        const row = await findDecision(trx, tenantId, ref, binding);
        const result = await evaluateStoredDecision(trx, row, await this.decisionGraph(Number(row.decision_requirements_key), trx), variables);
        const decisionInstanceKey = this.nextKey();
        await recordEvaluation(trx, decisionInstanceKey, result, context, now);
        return { ...result, decisionInstanceKey };
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

  // ---------------------------------------------------------------- definitions and decisions (cached, immutable)

  /** The compiled model of a deployed version; inside a command pass its transaction (SQLite has one connection). */
  model(processDefinitionKey: number, trx: Knex | Knex.Transaction = this.knex): Promise<ProcessModel> {
    let cached = this.models.get(processDefinitionKey);
    if (!cached) {
      cached = (async () => {
        const source = await definitionSource(trx, processDefinitionKey);
        if (!source) throw new Error(`process definition ${processDefinitionKey} is missing`);
        return compileProcess(source.xml, source.bpmnProcessId);
      })();
      cached.catch(() => this.models.delete(processDefinitionKey));
      this.models.set(processDefinitionKey, cached);
    }
    return cached;
  }

  /** The parsed decision requirements graph of a deployed DMN resource. */
  private decisionGraph(decisionRequirementsKey: number, trx: Knex | Knex.Transaction): Promise<DecisionGraph> {
    let cached = this.graphs.get(decisionRequirementsKey);
    if (!cached) {
      cached = (async () => {
        const xml = await decisionRequirementsXml(trx, decisionRequirementsKey);
        if (xml === null) throw new Error(`decision requirements ${decisionRequirementsKey} are missing`);
        const parsed = await parseDmn(xml);
        if (!parsed.ok) throw new Error(`decision requirements ${decisionRequirementsKey} no longer parse: ${parsed.problems.map((p) => p.message).join('; ')}`);
        return parsed.graph;
      })();
      cached.catch(() => this.graphs.delete(decisionRequirementsKey));
      this.graphs.set(decisionRequirementsKey, cached);
    }
    return cached;
  }

  // ---------------------------------------------------------------- commands (one processor each, in commands/)

  async deploy(resources: Array<{ name: string; content: Buffer | string }>, tenantId = DEFAULT_TENANT) {
    const checked = await checkResources(resources);
    const result = await this.submit((step) => deploy(step, checked, tenantId));
    return {
      key: result.key,
      processes: result.processes as DeployedProcess[],
      decisions: result.decisions as DeployedDecision[],
      decisionRequirements: result.decisionRequirements as DeployedDecisionRequirements[],
      forms: result.forms,
    };
  }

  /** Evaluates a decision for the EvaluateDecision API and records it: the answer carries its decision instance key. */
  evaluateDecision(request: { decisionId?: string; decisionKey?: number; variables: Vars; tenantId?: string }) {
    return this.submit((step) => evaluateDecision(step, request));
  }

  createInstance(request: CreateInstanceRequest) {
    return this.submit((step) => createInstance(step, request));
  }

  /** Starts an instance and waits for it to end (CreateProcessInstanceWithResult). */
  async createInstanceWithResult(request: CreateInstanceRequest, timeoutMs: number) {
    let settle!: (outcome: { variables: Vars; state: string }) => void;
    const outcome = new Promise<{ variables: Vars; state: string }>((resolve) => (settle = resolve));
    const created = await this.submit(async (step) => {
      const started = await createInstance(step, request);
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

  cancelInstance(processInstanceKey: number) {
    return this.submit((step) => cancelInstance(step, processInstanceKey));
  }

  activateJobs(request: JobActivation): Promise<ActivatedJob[]> {
    return this.submit((step) => activateJobs(step, request));
  }

  /** `result`: a task listener's decision (REST job completion; the gRPC request has none). */
  completeJob(key: number, variables: Vars, result: ListenerResult = null) {
    return this.submit((step) => completeJob(step, key, variables, result));
  }

  failJob(request: FailJobRequest) {
    return this.submit((step) => failJob(step, request));
  }

  throwError(request: { key: number; errorCode: string; errorMessage: string; variables: Vars }) {
    return this.submit((step) => throwError(step, request));
  }

  updateJobRetries(key: number, retries: number) {
    return this.submit((step) => updateJobRetries(step, key, retries));
  }

  updateJobTimeout(key: number, timeoutMs: number) {
    return this.submit((step) => updateJobTimeout(step, key, timeoutMs));
  }

  // Camunda user tasks: each answers once the task's listeners for the transition are done (or one denied it).

  async assignUserTask(request: { key: number; assignee: string; allowOverride: boolean; action: string }) {
    const { outcome } = await this.submit((step) => assignUserTask(step, request));
    await outcome;
  }

  async unassignUserTask(key: number) {
    const { outcome } = await this.submit((step) => unassignUserTask(step, key));
    await outcome;
  }

  async updateUserTask(request: { key: number; changeset: Record<string, unknown>; action: string }) {
    const { outcome } = await this.submit((step) => updateUserTask(step, request));
    await outcome;
  }

  async completeUserTask(request: { key: number; variables: Vars; action: string }) {
    const { outcome } = await this.submit((step) => completeUserTask(step, request));
    await outcome;
  }

  resolveIncident(key: number) {
    return this.submit((step) => resolveIncident(step, key));
  }

  setVariables(elementInstanceKey: number, variables: Vars, local: boolean) {
    return this.submit((step) => setVariables(step, elementInstanceKey, variables, local));
  }

  publishMessage(request: PublishMessageRequest) {
    return this.submit((step) => publishMessage(step, request));
  }

  broadcastSignal(request: { signalName: string; variables: Vars; tenantId?: string }) {
    return this.submit((step) => broadcastSignal(step, request));
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
    const due = await dueTimers(this.knex, now, 200);
    await Promise.all(due.map((timer: any) => this.submit((step) => triggerTimer(step, timer.key)).catch((e) => this.log.error(`timer ${timer.key} failed: ${e?.stack ?? e}`))));
    // Jobs whose deadline or back-off just passed can be handed out again.
    const waiting = [...this.jobWaiters.keys()];
    if (waiting.length) for (const type of await readyTypes(this.knex, waiting, now)) this.notifyJobs(type);
    if (now - this.lastMessageSweep > 10_000) {
      this.lastMessageSweep = now;
      await this.submit(expireMessages);
    }
    const next = await nextDueAt(this.knex);
    if (next !== null) this.wake(Math.min(1000, Math.max(0, next - this.clock.now())));
  }

  // ---------------------------------------------------------------- reading (operations)

  async counters(): Promise<Record<string, number>> {
    const result = await readCounters(this.knex);
    for (const [name, by] of this.pendingCounters) result[name] = (result[name] ?? 0) + by;
    return result;
  }
}
