import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { ChannelflowError, DEALER_ROLES, notFound } from '@channelflow/sdk';
import { fromZeebeError, type ZeebeClient } from './client';
import { compileProcess, USER_TASK_JOB_TYPE, type ProcessModel } from './engine/model';
import type { Engine } from './engine/engine';
import { engineQueries } from './engine/queries';
import { formFields, parseForm, validateAgainstForm, type CamundaForm } from './forms';
import type { CamundaTask, CamundaTaskSource } from './user-task-source';

/**
 * The task inbox, for both kinds of user task. A platform worker takes every job-based user task
 * (`io.camunda.zeebe:userTask` jobs) from the engine, embedded or Zeebe, and keeps it here until a
 * person completes it; then the job is completed with the person's variables. The job stays
 * activated meanwhile (a long job timeout; a re-delivered job refreshes the task and keeps its
 * claim). Camunda user tasks (`zeebe:userTask`) live in the engine: the inbox takes in the open
 * ones from its task source every sweep, and claiming, releasing and completing go to the engine
 * (so its task listeners run and Tasklist or another application sees the same assignee).
 *
 * Addressing follows the job's headers: `assignee`, `candidateUsers` (usernames or e-mails) and
 * `candidateGroups` (staff role types such as `finance`, or `dealer:<code>` / `dealer:<code>:<role>`
 * for a dealer's portal users). A task for a dealer is seen only by that dealer's users, and only
 * the variables its form shows (plus those named in the `dealerVariables` task header).
 */
export const TASKS = 'workflow_user_tasks';
const CANDIDATES = 'workflow_user_task_candidates';
const DEALER_GROUP = new RegExp(`^dealer:([^:]+)(?::(${DEALER_ROLES.join('|')}))?$`);

export type TaskState = 'CREATED' | 'COMPLETING' | 'COMPLETED' | 'CANCELED';

/** Who is looking: a staff user (dealerCode null) or a dealer's portal user. */
export interface TaskViewer {
  userId: number;
  username: string;
  /** Usernames and e-mails that address this person in assignee / candidateUsers. */
  names: string[];
  groups: string[];
  dealerCode: string | null;
  /** Platform admins see and release every staff task. */
  admin: boolean;
}

export interface TaskListFilter {
  state: 'OPEN' | 'COMPLETED' | 'CANCELED';
  assignedToMe: boolean;
  candidateGroup?: string;
}

export async function ensureTaskSchema(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(TASKS))) {
    await knex.schema.createTable(TASKS, (t) => {
      /** The user task's job key, or a Camunda user task's key: the task id every API uses. */
      t.bigInteger('job_key').primary();
      t.bigInteger('process_instance_key').notNullable();
      t.bigInteger('process_definition_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.string('element_id', 255).notNullable();
      t.string('name', 255).notNullable();
      t.string('state', 16).notNullable();
      t.string('assignee', 255).nullable();
      t.text('candidate_groups').notNullable();
      t.text('candidate_users').notNullable();
      /** Set when a candidate group addresses a dealer (`dealer:<code>`): only its users see the task. */
      t.string('dealer_code', 64).nullable();
      t.string('form_key', 255).nullable();
      t.text('form').nullable();
      t.text('custom_headers').notNullable();
      t.string('due_date', 64).nullable();
      t.string('follow_up_date', 64).nullable();
      t.text('variables').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('claimed_at').nullable();
      t.bigInteger('ended_at').nullable();
      t.integer('completed_by').nullable();
      t.text('completed_variables').nullable();
      t.index(['state', 'dealer_code']);
      t.index(['assignee']);
    });
  }
  // Added with Camunda user tasks: JOB (a job-based user task) or CAMUNDA (zeebe:userTask).
  if (!(await knex.schema.hasColumn(TASKS, 'kind'))) {
    await knex.schema.alterTable(TASKS, (t) => t.string('kind', 8).notNullable().defaultTo('JOB'));
  }
  if (!(await knex.schema.hasTable(CANDIDATES))) {
    await knex.schema.createTable(CANDIDATES, (t) => {
      t.bigInteger('job_key').notNullable();
      t.string('kind', 8).notNullable();
      t.string('value', 255).notNullable();
      t.primary(['job_key', 'kind', 'value']);
      t.index(['kind', 'value']);
    });
  }
}

export interface TaskInboxOptions {
  knex: Knex;
  client: ZeebeClient;
  /** The embedded engine, for process models and noticing tasks whose job went away; null with Zeebe. */
  engine: Engine | null;
  /** Where Camunda user tasks come from (null: none are taken, e.g. Zeebe without ZEEBE_REST_ADDRESS). */
  camundaTasks: CamundaTaskSource | null;
  workflowsDir: string;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  /** How long the inbox holds a user task's job before the engine hands it out again (and the inbox refreshes it). */
  jobTimeoutMs?: number;
  sweepMs?: number;
}

export class TaskInbox {
  private worker: { close(): Promise<unknown> } | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly zeebeModels = new Map<string, { mtimeMs: number; model: ProcessModel }>();
  /** Camunda user tasks the inbox cannot hold, not retried until the next start. */
  private readonly refusedCamunda = new Set<string>();

  constructor(private readonly options: TaskInboxOptions) {}

  async start(): Promise<void> {
    await ensureTaskSchema(this.options.knex);
    this.worker = this.options.client.createWorker({
      taskType: USER_TASK_JOB_TYPE,
      timeout: this.options.jobTimeoutMs ?? 7 * 24 * 3600_000,
      maxJobsToActivate: 32,
      longPoll: 30_000,
      pollInterval: 100,
      loglevel: 'NONE',
      taskHandler: async (job: any) => {
        try {
          await this.store(job);
          return job.forward();
        } catch (error) {
          // A task the inbox cannot hold is an incident for an operator; a passing failure (the
          // database busy) hands the job back to be taken again shortly, retries untouched.
          if (error instanceof TaskRefused) return job.fail({ errorMessage: error.message.slice(0, 2000), retries: 0 });
          this.options.log.error((error as Error)?.stack ?? String(error));
          const message = `the task inbox could not take this user task: ${(error as Error)?.message ?? error}`;
          return job.fail({ errorMessage: message.slice(0, 2000), retries: Math.max(1, Number(job.retries)), retryBackOff: 5000 });
        }
      },
    } as any) as any;
    if (this.options.engine || this.options.camundaTasks) {
      // Embedded: a task whose job is gone (instance cancelled, boundary event, completed) is closed.
      // Camunda user tasks: new ones are taken in, ended ones closed, assignees followed.
      this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs ?? 1000);
      this.sweeper.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.sweeping;
    await this.worker?.close().catch(() => undefined);
  }

  /** Closes job-based tasks whose job the embedded engine no longer holds; syncs Camunda user tasks. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const knex = this.options.knex;
        if (this.options.engine) {
          const open = await knex(TASKS).where({ kind: 'JOB' }).whereIn('state', ['CREATED', 'COMPLETING']).select('job_key', 'state');
          const gone = new Set(await engineQueries(this.options.engine.knex).missingJobs(open.map((r: any) => String(r.job_key))));
          for (const state of ['COMPLETING', 'CREATED'] as const) {
            const keys = open.filter((r: any) => r.state === state && gone.has(String(r.job_key))).map((r: any) => r.job_key);
            for (let i = 0; i < keys.length; i += 500) {
              await knex(TASKS).whereIn('job_key', keys.slice(i, i + 500)).where({ state }).update({ state: state === 'COMPLETING' ? 'COMPLETED' : 'CANCELED', ended_at: Date.now() });
            }
          }
        }
        if (this.options.camundaTasks) await this.syncCamundaTasks(this.options.camundaTasks);
      } catch (error) {
        this.options.log.warn(`task inbox sweep failed: ${(error as Error)?.message ?? error}`);
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  // ------------------------------------------------------------------ intake

  /**
   * Takes in open Camunda user tasks it does not hold yet, follows assignees changed in the
   * engine, and closes held tasks that ended there. A task that cannot be held (addressed to two
   * dealers, a form that is not there) is logged once per start and left to other task clients.
   */
  private async syncCamundaTasks(source: CamundaTaskSource): Promise<void> {
    const knex = this.options.knex;
    const open = await source.open();
    const byKey = new Map(open.map((t) => [t.key, t]));
    // (COMPLETING: a completion was under way here, perhaps cut short by a restart; the engine knows how it ended.)
    const held = await knex(TASKS).where({ kind: 'CAMUNDA' }).whereIn('state', ['CREATED', 'COMPLETING']).select('job_key', 'assignee', 'state');
    const heldKeys = new Set(held.map((r: any) => String(r.job_key)));
    for (const row of held) {
      const key = String(row.job_key);
      const now = byKey.get(key) ?? (await source.get(key));
      const unchanged = { job_key: key, state: row.state };
      if (!now || now.state === 'CANCELED' || now.state === 'FAILED') await knex(TASKS).where(unchanged).update({ state: 'CANCELED', ended_at: Date.now() });
      else if (now.state === 'COMPLETED') await knex(TASKS).where(unchanged).update({ state: 'COMPLETED', ended_at: Date.now() });
      else if (row.state === 'CREATED' && now.state === 'CREATED' && (now.assignee ?? null) !== (row.assignee ?? null)) {
        await knex(TASKS).where({ job_key: key, state: 'CREATED' }).update({ assignee: now.assignee, claimed_at: now.assignee ? Date.now() : null });
      }
    }
    const known = new Set((await knex(TASKS).where({ kind: 'CAMUNDA' }).whereIn('job_key', open.map((t) => t.key).filter((k) => !heldKeys.has(k))).select('job_key')).map((r: any) => String(r.job_key)));
    for (const task of open) {
      if (heldKeys.has(task.key) || known.has(task.key) || this.refusedCamunda.has(task.key)) continue;
      try {
        await this.storeCamunda(task, await source.variables(task.key), await source.form(task.key));
      } catch (error) {
        if (!(error instanceof TaskRefused)) throw error;
        this.refusedCamunda.add(task.key);
        this.options.log.warn(`the task inbox does not hold Camunda user task ${task.key}: ${error.message}`);
      }
    }
  }

  private storeCamunda(task: CamundaTask, variables: Record<string, unknown>, linkedForm: string | null): Promise<void> {
    return this.hold({
      linkedForm,
      key: task.key,
      kind: 'CAMUNDA',
      processInstanceKey: task.processInstanceKey,
      processDefinitionKey: task.processDefinitionKey,
      bpmnProcessId: task.bpmnProcessId,
      elementId: task.elementId,
      name: task.name,
      assignee: task.assignee,
      groups: task.candidateGroups,
      users: task.candidateUsers,
      formKey: task.formKey,
      headers: task.customHeaders,
      dueDate: task.dueDate,
      followUpDate: task.followUpDate,
      variables,
    });
  }

  private store(job: any): Promise<void> {
    const headers: Record<string, string> = job.customHeaders ?? {};
    return this.hold({
      key: String(job.key),
      kind: 'JOB',
      processInstanceKey: String(job.processInstanceKey),
      processDefinitionKey: String(job.processDefinitionKey),
      bpmnProcessId: job.bpmnProcessId,
      elementId: job.elementId,
      name: null,
      assignee: headers['io.camunda.zeebe:assignee'] || null,
      groups: listHeader(headers['io.camunda.zeebe:candidateGroups']),
      users: listHeader(headers['io.camunda.zeebe:candidateUsers']),
      formKey: headers['io.camunda.zeebe:formKey'] || null,
      headers,
      dueDate: headers['io.camunda.zeebe:dueDate'] || null,
      followUpDate: headers['io.camunda.zeebe:followUpDate'] || null,
      variables: job.variables ?? {},
    });
  }

  /** Keeps a user task of either kind (a job handed out again refreshes its variables, keeping the claim). */
  private async hold(task: HeldTask): Promise<void> {
    const dealerCodes = [...new Set(task.groups.map((g) => DEALER_GROUP.exec(g)?.[1]).filter((c): c is string => Boolean(c)))];
    if (dealerCodes.length > 1) {
      throw new TaskRefused(`user task ${task.elementId} is addressed to several dealers (${dealerCodes.join(', ')}); address one dealer per task`);
    }
    const model = await this.model(task);
    let form: CamundaForm | null = null;
    try {
      // A Camunda user task's linked form comes from the engine, in the version its binding chose.
      form = task.linkedForm ? parseForm(task.linkedForm) : task.formKey ? this.form(task.formKey, model) : null;
    } catch (error) {
      throw new TaskRefused(`user task ${task.elementId} has an unusable form "${task.formKey}": ${(error as Error).message}`);
    }
    if (task.formKey && !form) throw new TaskRefused(`user task ${task.elementId} declares form "${task.formKey}", which neither the process nor workflows/ holds`);
    const knex = this.options.knex;
    await knex.transaction(async (trx) => {
      const existing = await trx(TASKS).where({ job_key: task.key }).first('state');
      if (existing) {
        // Handed out again after the job timeout: refresh what the process knows, keep the claim.
        if (existing.state === 'CREATED') await trx(TASKS).where({ job_key: task.key }).update({ variables: JSON.stringify(task.variables) });
        return;
      }
      await trx(TASKS).insert({
        job_key: task.key,
        kind: task.kind,
        process_instance_key: task.processInstanceKey,
        process_definition_key: task.processDefinitionKey,
        bpmn_process_id: task.bpmnProcessId,
        element_id: task.elementId,
        name: (task.name ?? model?.elements.get(task.elementId)?.name ?? task.elementId).slice(0, 255),
        state: 'CREATED',
        assignee: task.assignee,
        candidate_groups: JSON.stringify(task.groups),
        candidate_users: JSON.stringify(task.users),
        dealer_code: dealerCodes[0] ?? null,
        form_key: task.formKey,
        form: form ? JSON.stringify(form) : null,
        custom_headers: JSON.stringify(task.headers),
        due_date: task.dueDate,
        follow_up_date: task.followUpDate,
        variables: JSON.stringify(task.variables),
        created_at: Date.now(),
        claimed_at: task.assignee ? Date.now() : null,
      });
      const candidates = [...task.groups.map((value) => ({ kind: 'group', value })), ...task.users.map((value) => ({ kind: 'user', value }))];
      if (candidates.length) await trx(CANDIDATES).insert(candidates.map((c) => ({ job_key: task.key, ...c, value: c.value.slice(0, 255) })));
    });
  }

  /** The deployed model: from the embedded engine, or with Zeebe from the workflows/ file that holds the process. */
  private async model(job: { processDefinitionKey: string; bpmnProcessId: string }): Promise<ProcessModel | null> {
    if (this.options.engine) return this.options.engine.model(Number(job.processDefinitionKey));
    const dir = this.options.workflowsDir;
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bpmn')) : [];
    for (const file of files) {
      const full = path.join(dir, file);
      const { mtimeMs } = fs.statSync(full);
      const cached = this.zeebeModels.get(`${full}#${job.bpmnProcessId}`);
      if (cached?.mtimeMs === mtimeMs) return cached.model;
      const xml = fs.readFileSync(full, 'utf8');
      if (!xml.includes(`id="${job.bpmnProcessId}"`)) continue;
      const model = await compileProcess(xml, job.bpmnProcessId).catch(() => null);
      if (model) {
        this.zeebeModels.set(`${full}#${job.bpmnProcessId}`, { mtimeMs, model });
        return model;
      }
    }
    return null;
  }

  /** `camunda-forms:bpmn:<id>` is embedded in the process; any other key is a form id in workflows/ (Modeler's .form files). */
  private form(formKey: string, model: ProcessModel | null): CamundaForm | null {
    const embedded = /^camunda-forms:bpmn:(.+)$/.exec(formKey);
    if (embedded) {
      const body = model?.userTaskForms.get(embedded[1]!);
      return body ? parseForm(body) : null;
    }
    const dir = this.options.workflowsDir;
    for (const sub of [dir, path.join(dir, 'forms')]) {
      if (!fs.existsSync(sub)) continue;
      for (const file of fs.readdirSync(sub).filter((f) => f.endsWith('.form'))) {
        const form = parseForm(fs.readFileSync(path.join(sub, file), 'utf8'));
        if (form.id === formKey) return form;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ people

  async list(viewer: TaskViewer, filter: TaskListFilter, page: { page: number; pageSize: number }) {
    const query = this.visible(viewer, filter.state === 'OPEN' ? ['CREATED'] : [filter.state]).modify((q) => {
      // Open work is mine or still claimable; a task someone else claimed stays out of the way.
      if (filter.state === 'OPEN') q.where((w) => w.whereNull('t.assignee').orWhereIn('t.assignee', viewer.names));
      if (filter.assignedToMe) q.whereIn('t.assignee', viewer.names);
      if (filter.candidateGroup) {
        q.whereExists(this.options.knex(`${CANDIDATES} as g`).select(this.options.knex.raw('1')).whereRaw('g.job_key = t.job_key').where({ 'g.kind': 'group', 'g.value': filter.candidateGroup }));
      }
    });
    const [[counted], rows] = await Promise.all([
      query.clone().count({ n: '*' }),
      query
        .clone()
        .orderBy([{ column: 't.created_at', order: filter.state === 'OPEN' ? 'asc' : 'desc' }, { column: 't.job_key' }])
        .offset((page.page - 1) * page.pageSize)
        .limit(page.pageSize)
        .select('t.*'),
    ]);
    return { nodes: rows.map((row: any) => toTask(row, viewer)), total: Number((counted as any).n), ...page };
  }

  async get(viewer: TaskViewer, id: string) {
    return toTask(await this.visibleRow(viewer, id), viewer);
  }

  async claim(viewer: TaskViewer, id: string) {
    const row = await this.visibleRow(viewer, id);
    this.assertOpen(row);
    if (row.assignee && viewer.names.includes(row.assignee)) return toTask(row, viewer);
    if (row.kind === 'CAMUNDA' && !row.assignee) {
      // The engine holds the assignee: it decides who claimed first (no take-over), and its task listeners run.
      await this.inEngine(row, (source) => source.assign(String(row.job_key), viewer.username), async () => {
        const now = await this.options.camundaTasks!.get(String(row.job_key));
        if (now?.assignee) await this.options.knex(TASKS).where({ job_key: id, state: 'CREATED' }).update({ assignee: now.assignee, claimed_at: Date.now() });
        return new ChannelflowError('CONFLICT', `Task "${row.name}" is already claimed by ${now?.assignee ?? 'someone else'}`, { assignee: now?.assignee ?? null });
      });
    }
    const claimed = await this.options.knex(TASKS).where({ job_key: id, state: 'CREATED' }).whereNull('assignee').update({ assignee: viewer.username, claimed_at: Date.now() });
    if (!claimed) {
      const now = await this.options.knex(TASKS).where({ job_key: id }).first();
      this.assertOpen(now);
      throw new ChannelflowError('CONFLICT', `Task "${row.name}" is already claimed by ${now.assignee}`, { assignee: now.assignee });
    }
    return this.get(viewer, id);
  }

  async unclaim(viewer: TaskViewer, id: string) {
    const row = await this.visibleRow(viewer, id);
    this.assertOpen(row);
    if (!row.assignee) return toTask(row, viewer);
    if (!viewer.names.includes(row.assignee) && !(viewer.admin && viewer.dealerCode === null)) {
      throw new ChannelflowError('FORBIDDEN', `Task "${row.name}" is claimed by ${row.assignee}; only they (or a platform admin) can release it`);
    }
    if (row.kind === 'CAMUNDA') await this.inEngine(row, (source) => source.unassign(String(row.job_key)));
    await this.options.knex(TASKS).where({ job_key: id, state: 'CREATED', assignee: row.assignee }).update({ assignee: null, claimed_at: null });
    return this.get(viewer, id);
  }

  /**
   * Completes the task's job with the submitted variables, validated against its form. The task
   * is marked COMPLETING first, so two people (or two clicks) cannot both complete it.
   */
  async complete(viewer: TaskViewer, id: string, submitted: Record<string, unknown>) {
    const row = await this.visibleRow(viewer, id);
    this.assertOpen(row);
    if (!row.assignee || !viewer.names.includes(row.assignee)) {
      throw new ChannelflowError('CONFLICT', row.assignee ? `Task "${row.name}" is claimed by ${row.assignee}` : `Claim task "${row.name}" before completing it`, {
        assignee: row.assignee,
      });
    }
    const variables: Record<string, unknown> = row.form
      ? validateAgainstForm(JSON.parse(row.form), submitted, JSON.parse(row.variables))
      : viewer.dealerCode !== null && Object.keys(submitted).length
        ? refuse(`Task "${row.name}" has no form, so it takes no values from the portal`)
        : submitted;
    const headers = JSON.parse(row.custom_headers) as Record<string, string>;
    // Four eyes: a `notCompletableByVariable` header names the variable holding who may not decide (e.g. the requester).
    const excluded = headers.notCompletableByVariable ? JSON.parse(row.variables)[headers.notCompletableByVariable] : undefined;
    if (typeof excluded === 'string' && viewer.names.includes(excluded)) {
      throw new ChannelflowError('FORBIDDEN', `You asked for "${row.name}" yourself; someone else has to decide it`);
    }
    // A process that records who decided names the variable in a `completedByVariable` task header.
    const completedBy = headers.completedByVariable;
    if (completedBy) variables[completedBy] = viewer.username;
    const locked = await this.options.knex(TASKS).where({ job_key: id, state: 'CREATED', assignee: row.assignee }).update({ state: 'COMPLETING' });
    if (!locked) {
      const now = await this.options.knex(TASKS).where({ job_key: id }).first();
      this.assertOpen(now);
      throw new ChannelflowError('CONFLICT', `Task "${row.name}" changed hands meanwhile (now ${now.assignee ?? 'unclaimed'})`);
    }
    if (row.kind === 'CAMUNDA') {
      // A completing task listener may refuse: the task is open again, with the listener's reason.
      await this.inEngine(row, (source) => source.complete(String(row.job_key), variables), async (refusal) => {
        await this.options.knex(TASKS).where({ job_key: id, state: 'COMPLETING' }).update({ state: 'CREATED' });
        return new ChannelflowError('CONFLICT', `Task "${row.name}" could not be completed: ${refusal.message}`);
      });
    } else {
      try {
        await this.options.client.completeJob({ jobKey: String(row.job_key), variables } as any);
      } catch (error) {
        const coded = fromZeebeError(error) as any;
        if (coded?.code === 'NOT_FOUND') {
          await this.options.knex(TASKS).where({ job_key: id }).update({ state: 'CANCELED', ended_at: Date.now() });
          throw new ChannelflowError('CONFLICT', `Task "${row.name}" no longer exists: the process moved on without it`);
        }
        await this.options.knex(TASKS).where({ job_key: id, state: 'COMPLETING' }).update({ state: 'CREATED' });
        throw coded;
      }
    }
    await this.options.knex(TASKS)
      .where({ job_key: id })
      .update({ state: 'COMPLETED', ended_at: Date.now(), completed_by: viewer.userId, completed_variables: JSON.stringify(variables) });
    return this.get(viewer, id);
  }

  /**
   * Runs a Camunda user task command in the engine. A task the engine no longer has is closed
   * here too; any other refusal becomes what `conflict` makes of it (by default a CONFLICT).
   */
  private async inEngine(row: any, command: (source: CamundaTaskSource) => Promise<void>, conflict?: (refusal: ChannelflowError) => Promise<ChannelflowError>) {
    const source = this.options.camundaTasks;
    if (!source) throw new ChannelflowError('WORKFLOW_UNAVAILABLE', `Task "${row.name}" is a Camunda user task, and this platform has no connection to its engine's user tasks`);
    try {
      await command(source);
    } catch (error) {
      if (!(error instanceof ChannelflowError)) throw error;
      if (error.code === 'NOT_FOUND') {
        await this.options.knex(TASKS).where({ job_key: row.job_key }).whereIn('state', ['CREATED', 'COMPLETING']).update({ state: 'CANCELED', ended_at: Date.now() });
        throw new ChannelflowError('CONFLICT', `Task "${row.name}" no longer exists: the process moved on without it`);
      }
      throw conflict ? await conflict(error) : new ChannelflowError('CONFLICT', `Task "${row.name}": ${error.message}`);
    }
  }

  private assertOpen(row: any) {
    if (row.state === 'COMPLETED' || row.state === 'COMPLETING') throw new ChannelflowError('CONFLICT', `Task "${row.name}" is already completed`);
    if (row.state === 'CANCELED') throw new ChannelflowError('CONFLICT', `Task "${row.name}" was cancelled: the process moved on without it`);
  }

  private async visibleRow(viewer: TaskViewer, id: string) {
    if (!/^\d{1,19}$/.test(id)) throw new ChannelflowError('BAD_INPUT', 'Task ids are numbers (as strings)');
    const row = await this.visible(viewer, ['CREATED', 'COMPLETING', 'COMPLETED', 'CANCELED']).where('t.job_key', id).first('t.*');
    if (!row) throw notFound('Task', id);
    return row;
  }

  /**
   * Tasks this person may see: their dealer's (or, for staff, no dealer's) that are assigned to
   * them, name them among the candidates, or that they completed; staff also see unassigned
   * tasks that name no candidates. Platform admins see every staff task.
   */
  private visible(viewer: TaskViewer, states: TaskState[]): Knex.QueryBuilder {
    const knex = this.options.knex;
    const query = knex(`${TASKS} as t`).whereIn('t.state', states);
    if (viewer.dealerCode === null) query.whereNull('t.dealer_code');
    else query.where('t.dealer_code', viewer.dealerCode);
    if (viewer.admin && viewer.dealerCode === null) return query;
    const candidate = knex(`${CANDIDATES} as c`)
      .select(knex.raw('1'))
      .whereRaw('c.job_key = t.job_key')
      .where((w) => {
        w.where((g) => g.where('c.kind', 'group').whereIn('c.value', viewer.groups.length ? viewer.groups : ['\u0000']));
        w.orWhere((u) => u.where('c.kind', 'user').whereIn('c.value', viewer.names));
      });
    return query.where((w) => {
      w.whereIn('t.assignee', viewer.names);
      w.orWhere('t.completed_by', viewer.userId);
      w.orWhereExists(candidate);
      if (viewer.dealerCode === null) {
        w.orWhere((open) => open.whereNull('t.assignee').whereNotExists(knex(`${CANDIDATES} as c2`).select(knex.raw('1')).whereRaw('c2.job_key = t.job_key')));
      }
    });
  }
}

class TaskRefused extends Error {}

/** A user task of either kind, as the inbox keeps it. */
interface HeldTask {
  /** A Camunda user task's deployed form (JSON), when it links one. */
  linkedForm?: string | null;
  key: string;
  kind: 'JOB' | 'CAMUNDA';
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  /** null: the element's name from the model. */
  name: string | null;
  assignee: string | null;
  groups: string[];
  users: string[];
  formKey: string | null;
  headers: Record<string, string>;
  dueDate: string | null;
  followUpDate: string | null;
  variables: Record<string, unknown>;
}

function refuse(message: string): never {
  throw new ChannelflowError('BAD_INPUT', message);
}

/** Zeebe sends candidate lists as JSON arrays; a hand-written header may be comma-separated. */
function listHeader(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map(String).filter(Boolean);
  } catch {
    // not JSON: a plain list
  }
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

function toTask(row: any, viewer: TaskViewer) {
  const variables = JSON.parse(row.variables);
  const form: CamundaForm | null = row.form ? JSON.parse(row.form) : null;
  const headers = JSON.parse(row.custom_headers) as Record<string, string>;
  return {
    id: String(row.job_key),
    name: row.name,
    elementId: row.element_id,
    bpmnProcessId: row.bpmn_process_id,
    processInstanceKey: String(row.process_instance_key),
    state: row.state === 'COMPLETING' ? 'COMPLETED' : row.state,
    assignee: row.assignee,
    candidateGroups: JSON.parse(row.candidate_groups),
    candidateUsers: JSON.parse(row.candidate_users),
    dueDate: row.due_date,
    followUpDate: row.follow_up_date,
    formKey: row.form_key,
    form,
    // A dealer sees what its form shows and what the process chose to share, not the whole process.
    variables: viewer.dealerCode === null ? variables : pick(variables, [...(form ? formFields(form).map((f) => f.key.split('.')[0]!) : []), ...listHeader(headers.dealerVariables)]),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    completedAt: row.ended_at && row.state !== 'CANCELED' ? new Date(Number(row.ended_at)).toISOString() : null,
  };
}

function pick(source: Record<string, unknown>, names: string[]) {
  return Object.fromEntries(names.filter((n) => n in source).map((n) => [n, source[n]]));
}
