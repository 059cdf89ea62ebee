import type { ResourceBinding } from './deployments';
import { CommandRejected, IncidentRaised } from './errors';
import { splitList, type EI, type Step, type Vars } from './interpreter';
import type { ElementDef, TaskListenerEvent, UserTaskDef } from './model';
import { boundForm } from './state/deployments';
import { cancelTasksOf, insertUserTask, loadUserTask, pendingTaskOf, toUserTaskRow, updateUserTask, type UserTaskRow } from './state/user-tasks';

/**
 * Camunda user tasks (`zeebe:userTask`) with Zeebe 8.8's lifecycle: the engine holds the task;
 * assign, update and complete are commands on it. Each transition (creating, assigning, updating,
 * completing) first runs the element's task listeners of that event, one job after another; a
 * listener may correct the task's attributes or deny the transition (the task then stays as it
 * was and the request that asked for it is refused). Its rows are kept by state/user-tasks.ts.
 */

type Transition = 'assigning' | 'updating' | 'completing';

/** What a task listener may correct, and what an update may change. */
export interface TaskAttributes {
  assignee?: string | null;
  dueDate?: string | null;
  followUpDate?: string | null;
  candidateUsers?: string[] | null;
  candidateGroups?: string[] | null;
  priority?: number | null;
}

interface Pending {
  event: TaskListenerEvent;
  /** The listener of `event` that runs now. */
  index: number;
  action: string;
  /** assigning: the asked-for assignee ('' unassigns); creating: the initial one, assigned once created. */
  assignee?: string | null;
  changeset?: TaskAttributes;
  variables?: Vars;
  corrections: TaskAttributes;
  changedAttributes: string[];
}

/** The answer a request waits for: done, or refused (denied by a listener, or the task went away). */
export type TaskOutcome = { key: number; rejection: CommandRejected | null };

/** Activates a Camunda user task: evaluates its attributes, then runs the creating listeners. */
export async function createUserTask(step: Step, ei: EI, el: ElementDef): Promise<void> {
  const def = el.userTask!;
  const instance = await step.instance(ei.processInstanceKey);
  const assignee = await optionalText(step, ei, def.assignee, 'assignee');
  const priority = await taskPriority(step, ei, def);
  const linked = def.formId ? await linkedForm(step, instance, def) : null;
  const key = step.services.nextKey();
  step.markOwns(ei, 'userTask');
  ei.data = { ...(ei.data ?? {}), userTaskKey: key };
  step.touch(ei);
  const pending: Pending = { event: 'creating', index: 0, action: '', assignee, corrections: {}, changedAttributes: [] };
  await insertUserTask(step.trx, {
    key,
    element_instance_key: ei.key,
    process_instance_key: ei.processInstanceKey,
    process_definition_key: instance.processDefinitionKey,
    bpmn_process_id: instance.bpmnProcessId,
    version: instance.version,
    element_id: el.id,
    name: (el.name ?? el.id).slice(0, 255),
    tenant_id: instance.tenantId,
    state: 'CREATING',
    assignee: null,
    candidate_groups: JSON.stringify(await list(step, ei, def.candidateGroups, 'candidateGroups')),
    candidate_users: JSON.stringify(await list(step, ei, def.candidateUsers, 'candidateUsers')),
    due_date: await dateTime(step, ei, def.dueDate, 'dueDate'),
    follow_up_date: await dateTime(step, ei, def.followUpDate, 'followUpDate'),
    priority,
    // A linked form's key is the deployed form's (what Zeebe reports); a custom form key stays as written.
    form_key: linked ? String(linked.key) : (def.formKey?.slice(0, 255) ?? null),
    linked_form_key: linked?.key ?? null,
    external_form_reference: def.externalReference ? String(await step.evaluateModelValue(def.externalReference, ei, 'EXTRACT_VALUE_ERROR')).slice(0, 255) : null,
    custom_headers: JSON.stringify(def.headers),
    pending: JSON.stringify(pending),
    created_at: step.now,
    ended_at: null,
  });
  step.count('user-tasks.created');
  await advance(step, ei, el, key, pending);
}

/** The element ended without its task completing (boundary event, cancellation): the task is cancelled. */
export async function cancelUserTask(step: Step, ei: EI): Promise<void> {
  const key = Number(ei.data?.userTaskKey);
  const canceled = await cancelTasksOf(step.trx, ei.key, step.now);
  if (canceled && key) {
    step.effects.userTaskOutcomes.push({ key, rejection: new CommandRejected('NOT_FOUND', `The user task with key '${key}' was canceled: its process moved on without it`) });
  }
}

// ---------------------------------------------------------------- commands

/**
 * Asks for a transition of a CREATED task. Returns a promise of the outcome: settled at once when
 * the element has no listeners for it, otherwise once its listeners are done (or one denies).
 */
export async function requestTransition(
  step: Step,
  key: number,
  transition: Transition,
  request: { action: string; assignee?: string; allowOverride?: boolean; changeset?: TaskAttributes; variables?: Vars },
): Promise<{ outcome: Promise<void> }> {
  const verb = { assigning: 'assign', updating: 'update', completing: 'complete' }[transition];
  const intent = { assigning: 'ASSIGN', updating: 'UPDATE', completing: 'COMPLETE' }[transition];
  const row = await loadUserTask(step.trx, key);
  if (!row || row.state === 'COMPLETED' || row.state === 'CANCELED') {
    throw new CommandRejected('NOT_FOUND', `Expected to ${verb} user task with key '${key}', but no such user task was found`, intent);
  }
  if (row.state !== 'CREATED') {
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to ${verb} user task with key '${key}', but it is in state '${row.state}'`, intent);
  }
  if (transition === 'assigning' && request.allowOverride === false && row.assignee && request.assignee && row.assignee !== request.assignee) {
    throw new CommandRejected('FAILED_PRECONDITION', `Expected to assign user task with key '${key}', but it is already assigned`, intent);
  }
  const ei = await step.ei(Number(row.element_instance_key));
  if (!ei) throw new CommandRejected('NOT_FOUND', `Expected to ${verb} user task with key '${key}', but no such user task was found`, intent);
  const pending: Pending = {
    event: transition,
    index: 0,
    action: request.action,
    assignee: request.assignee,
    changeset: request.changeset,
    variables: request.variables,
    corrections: {},
    changedAttributes: transition === 'updating' ? Object.keys(request.changeset ?? {}) : transition === 'assigning' ? ['assignee'] : [],
  };
  await updateUserTask(step.trx, key, { state: transition.toUpperCase(), pending: JSON.stringify(pending) });
  const outcome = new Promise<void>((resolve, reject) => step.effects.userTaskWaiters.push([key, (rejection) => (rejection ? reject(rejection) : resolve())]));
  // Nobody may wait (a caller that went away); an unobserved refusal is no crash.
  outcome.catch(() => undefined);
  const el = (await step.model(ei)).elements.get(ei.elementId)!;
  await advance(step, ei, el, key, pending);
  step.count(`user-tasks.${verb}`);
  return { outcome };
}

/**
 * A task listener's job completed. `result` is what the worker decided (REST job completion):
 * corrections to the task's attributes, or a denial of the transition.
 */
export async function taskListenerCompleted(step: Step, ei: EI, result: { denied?: boolean; deniedReason?: string; corrections?: TaskAttributes } | null): Promise<void> {
  const row = await pendingTaskOf(step.trx, ei.key);
  if (!row) return;
  const key = Number(row.key);
  const pending: Pending = JSON.parse(row.pending);
  if (result?.denied) {
    // The task goes back to what it was before the transition; corrections of this transition are dropped.
    await updateUserTask(step.trx, key, { state: 'CREATED', pending: null });
    const what = { creating: 'Creation', assigning: 'Assignment', updating: 'Update', completing: 'Completion', canceling: 'Cancellation' }[pending.event];
    step.effects.userTaskOutcomes.push({
      key,
      rejection: new CommandRejected(
        'FAILED_PRECONDITION',
        `${what} of the user task with key '${key}' was denied by a task listener${result.deniedReason ? `. Reason to deny: '${result.deniedReason}'` : ''}`,
        ({ assigning: 'ASSIGN', updating: 'UPDATE', completing: 'COMPLETE' } as Record<string, string>)[pending.event],
      ),
    });
    step.count('user-tasks.denied');
    return;
  }
  const next: Pending = {
    ...pending,
    index: pending.index + 1,
    corrections: { ...pending.corrections, ...corrections(result?.corrections) },
  };
  await updateUserTask(step.trx, key, { pending: JSON.stringify(next) });
  const el = (await step.model(ei)).elements.get(ei.elementId)!;
  await advance(step, ei, el, key, next);
}

/** Denying is for transitions someone asked for; a task that is being created cannot be refused. */
export async function checkListenerResult(step: Step, elementInstanceKey: number, jobKey: number, result: { denied?: boolean } | null): Promise<void> {
  if (!result?.denied) return;
  const row = await pendingTaskOf(step.trx, elementInstanceKey);
  if (row && JSON.parse(row.pending).event === 'creating') {
    throw new CommandRejected('INVALID_ARGUMENT', `Expected to complete task listener job with key '${jobKey}', but denying the creation of a user task is not supported`, 'COMPLETE');
  }
}

/** What a task listener job's worker sees of its task (the REST API's `userTask` of an activated job). */
export async function listenerJobTask(step: Step, elementInstanceKey: number) {
  const row = await pendingTaskOf(step.trx, elementInstanceKey);
  if (!row) return null;
  const task = toUserTaskRow(row);
  const pending: Pending = JSON.parse(row.pending);
  const effective = { ...task, ...proposed(task, pending) };
  return {
    action: pending.action,
    assignee: effective.assignee ?? null,
    candidateGroups: effective.candidateGroups,
    candidateUsers: effective.candidateUsers,
    changedAttributes: pending.changedAttributes,
    dueDate: effective.dueDate ?? null,
    followUpDate: effective.followUpDate ?? null,
    formKey: task.formKey,
    priority: effective.priority,
    userTaskKey: String(task.key),
  };
}

// ---------------------------------------------------------------- the transition machine

/** Runs the next listener of the pending transition, or applies the transition when none is left. */
async function advance(step: Step, ei: EI, el: ElementDef, key: number, pending: Pending): Promise<void> {
  const listeners = el.userTask!.listeners[pending.event];
  const listener = listeners[pending.index];
  if (listener) {
    await step.createJob(ei, el, listener, { kind: 'TASK_LISTENER', eventType: pending.event.toUpperCase() });
    return;
  }
  const row = toUserTaskRow(await loadUserTask(step.trx, key));
  const values = proposed(row, pending);
  const update: Record<string, unknown> = { pending: null, state: 'CREATED' };
  if ('assignee' in values) update.assignee = values.assignee || null;
  if ('dueDate' in values) update.due_date = values.dueDate || null;
  if ('followUpDate' in values) update.follow_up_date = values.followUpDate || null;
  if ('candidateUsers' in values) update.candidate_users = JSON.stringify(values.candidateUsers ?? []);
  if ('candidateGroups' in values) update.candidate_groups = JSON.stringify(values.candidateGroups ?? []);
  if ('priority' in values) update.priority = values.priority;
  if (pending.event === 'completing') {
    update.state = 'COMPLETED';
    update.ended_at = step.now;
  }
  await updateUserTask(step.trx, key, update);
  if (pending.event === 'creating') {
    // An assignee given by the model is assigned once the task exists, through the assigning listeners.
    const initial = values.assignee;
    if (initial) {
      const assigning: Pending = { event: 'assigning', index: 0, action: '', assignee: initial, corrections: {}, changedAttributes: ['assignee'] };
      await updateUserTask(step.trx, key, { state: 'ASSIGNING', assignee: null, pending: JSON.stringify(assigning) });
      return advance(step, ei, el, key, assigning);
    }
    return;
  }
  step.effects.userTaskOutcomes.push({ key, rejection: null });
  if (pending.event === 'completing') {
    step.dropOwned(ei, 'userTask');
    await step.applyResult(ei, el, pending.variables ?? {});
    step.schedule(ei.flowScopeKey, () => step.complete(ei));
  }
}

/** The attributes the transition would set: what was asked, overlaid with the listeners' corrections. */
function proposed(row: UserTaskRow, pending: Pending): TaskAttributes {
  const asked: TaskAttributes = {};
  if (pending.event === 'assigning' || pending.event === 'creating') asked.assignee = pending.assignee ?? row.assignee;
  if (pending.event === 'updating') Object.assign(asked, pending.changeset ?? {});
  return { ...asked, ...pending.corrections };
}

/** Corrections as Zeebe reads them: null or absent keeps a value; '' or [] clears it. */
function corrections(value: TaskAttributes | undefined): TaskAttributes {
  const result: TaskAttributes = {};
  if (!value) return result;
  for (const name of ['assignee', 'dueDate', 'followUpDate', 'candidateUsers', 'candidateGroups', 'priority'] as const) {
    if (value[name] !== undefined && value[name] !== null) (result as any)[name] = value[name];
  }
  return result;
}

// ---------------------------------------------------------------- attribute expressions

/** The deployed form `formId` links under the task's binding; a FORM_NOT_FOUND incident when there is none. */
async function linkedForm(step: Step, instance: { tenantId: string; processDefinitionKey: number }, def: UserTaskDef): Promise<{ key: number }> {
  const formId = def.formId!;
  const binding: ResourceBinding =
    def.formBinding.type === 'deployment'
      ? { type: 'deployment', callerDefinitionKey: instance.processDefinitionKey }
      : def.formBinding.type === 'versionTag'
        ? { type: 'versionTag', versionTag: def.formBinding.versionTag ?? '' }
        : { type: 'latest' };
  const key = await boundForm(step.trx, instance.tenantId, formId, binding);
  if (key !== null) return { key };
  throw new IncidentRaised(
    'FORM_NOT_FOUND',
    def.formBinding.type === 'deployment'
      ? `Expected to use a form with id '${formId}' with binding type 'deployment', but no such form found in the deployment which contained the current process. To resolve this incident, migrate the process instance to a process definition that is deployed together with the intended form to use.`
      : def.formBinding.type === 'versionTag'
        ? `Expected to use a form with id '${formId}' and version tag '${def.formBinding.versionTag}', but no such form found. To resolve the incident, deploy a form with the given id and version tag.`
        : `Expected to find a form with id '${formId}', but no form with this id is found, at least a form with this id should be available. To resolve the Incident please deploy a form with the same id`,
  );
}

async function optionalText(step: Step, ei: EI, value: string | null, what: string): Promise<string | null> {
  if (!value) return null;
  const evaluated = await step.evaluateModelValue(value, ei, 'EXTRACT_VALUE_ERROR');
  if (evaluated === null || evaluated === undefined || evaluated === '') return null;
  if (typeof evaluated !== 'string') throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${value}' for ${what} to be 'STRING', but was '${typeName(evaluated)}'.`);
  return evaluated.slice(0, 255);
}

/** A static comma-separated list, or a FEEL expression giving a list of strings (or one string). */
async function list(step: Step, ei: EI, value: string | null, what: string): Promise<string[]> {
  if (!value) return [];
  if (!value.trim().startsWith('=')) return splitList(value);
  const evaluated = await step.evaluateModelValue(value, ei, 'EXTRACT_VALUE_ERROR');
  if (evaluated === null || evaluated === undefined) return [];
  if (typeof evaluated === 'string') return splitList(evaluated);
  if (Array.isArray(evaluated) && evaluated.every((v) => typeof v === 'string')) return evaluated as string[];
  throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${value}' for ${what} to be 'ARRAY' of strings, but was '${typeName(evaluated)}'.`);
}

async function dateTime(step: Step, ei: EI, value: string | null, what: string): Promise<string | null> {
  if (!value) return null;
  const evaluated = await step.evaluateModelValue(value, ei, 'EXTRACT_VALUE_ERROR');
  if (evaluated === null || evaluated === undefined || evaluated === '') return null;
  const text = evaluated instanceof Date ? evaluated.toISOString() : typeof evaluated === 'string' ? evaluated : String((evaluated as any)?.toISO?.() ?? '');
  if (!text || Number.isNaN(Date.parse(text))) {
    throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected result of the expression '${value}' for ${what} to be a valid date-time string, but was '${JSON.stringify(evaluated)}'.`);
  }
  return text;
}

async function taskPriority(step: Step, ei: EI, def: UserTaskDef): Promise<number> {
  if (!def.priority) return 50;
  const evaluated = await step.evaluateModelValue(def.priority, ei, 'EXTRACT_VALUE_ERROR');
  const n = typeof evaluated === 'string' ? Number(evaluated) : evaluated;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
    throw new IncidentRaised('EXTRACT_VALUE_ERROR', `Expected priority to be a number between 0 and 100, but was '${JSON.stringify(evaluated)}'.`);
  }
  return n;
}

/** Validates an update's changeset as the REST API does; unknown attributes are ignored. */
export function parseChangeset(value: Record<string, unknown>): TaskAttributes {
  const result: TaskAttributes = {};
  for (const name of ['dueDate', 'followUpDate'] as const) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || (v !== '' && Number.isNaN(Date.parse(v)))) throw new CommandRejected('INVALID_ARGUMENT', `The provided ${name} '${v}' cannot be parsed as a date according to RFC 3339, section 5.6.`);
    result[name] = v;
  }
  for (const name of ['candidateUsers', 'candidateGroups'] as const) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CommandRejected('INVALID_ARGUMENT', `Expected '${name}' to be a list of strings`);
    result[name] = v as string[];
  }
  if (value.priority !== undefined && value.priority !== null) {
    const p = value.priority;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 100) throw new CommandRejected('INVALID_ARGUMENT', `The value for priority is '${p}' but must be within the [0,100] range.`);
    result.priority = p;
  }
  return result;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return 'ARRAY';
  return { string: 'STRING', number: 'NUMBER', boolean: 'BOOLEAN', object: 'OBJECT' }[typeof value as 'string'] ?? 'UNKNOWN';
}
