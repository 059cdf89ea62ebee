/**
 * A deployed process compiled once from its moddle tree into plain lookup tables, then shared by
 * every instance of that version. Instances never hold the BPMN source, only element ids.
 */

import { associationsIn } from './supported-elements';

// bpmn-moddle 10 is ESM-only with a named export; Node 20.19+ can require() it.
const { BpmnModdle } = require('bpmn-moddle');
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');

export type EventKind = 'none' | 'message' | 'timer' | 'error' | 'terminate' | 'signal' | 'escalation' | 'link' | 'compensation';

export interface Mapping {
  source: string;
  target: string;
}

export interface FlowDef {
  id: string;
  sourceId: string;
  targetId: string;
  /** FEEL source without the leading "=", or null when unconditional. */
  condition: string | null;
}

export interface TimerDef {
  kind: 'date' | 'duration' | 'cycle';
  expression: string;
}

export interface ListenerDef {
  type: string;
  retries: string;
  headers: Record<string, string>;
}

/** Task listener event types of Camunda 8.8 (8.7's `assignment` / `completion` mean assigning / completing). */
export const TASK_LISTENER_EVENTS = ['creating', 'assigning', 'updating', 'completing', 'canceling'] as const;
export type TaskListenerEvent = (typeof TASK_LISTENER_EVENTS)[number];

export interface UserTaskDef {
  /** Each may be a FEEL expression ("=..."), evaluated when the task is created. */
  assignee: string | null;
  candidateGroups: string | null;
  candidateUsers: string | null;
  dueDate: string | null;
  followUpDate: string | null;
  priority: string | null;
  /** Custom form key, or the id of a linked form (formId), or an external form reference. */
  formKey: string | null;
  formId: string | null;
  /** Which version of the linked form: the latest, the one deployed with the process, or the one with `versionTag`. */
  formBinding: { type: 'latest' | 'deployment' | 'versionTag'; versionTag: string | null };
  externalReference: string | null;
  headers: Record<string, string>;
  listeners: Record<TaskListenerEvent, ListenerDef[]>;
}

export interface ElementDef {
  id: string;
  name: string | null;
  type: string;
  /** Id of the containing (sub)process; the process id for top-level elements. */
  scopeId: string;
  incoming: FlowDef[];
  outgoing: FlowDef[];
  defaultFlowId: string | null;
  event: EventKind;
  message?: { name: string; correlationKey: string | null };
  /** Signal events: the signal's name (a FEEL expression when it starts with "="). */
  signal?: { name: string };
  /** Link throw/catch events: the link's name (a throw continues at the catch of that name in its scope). */
  link?: string;
  timer?: TimerDef;
  /** errorCode to throw (end event) or to catch (boundary / event subprocess start); null catches every error. */
  errorCode?: string | null;
  /** escalationCode to throw (throw/end event) or to catch (boundary / event subprocess start); null catches every escalation. */
  escalationCode?: string | null;
  /** Compensation throw/end events: the one activity to compensate (`activityRef`), or null for all of the scope. */
  compensateActivityRef?: string | null;
  /** An activity with a compensation boundary event: the handler its association points to. */
  compensationHandlerId?: string;
  /** Job-worker settings for service/send/business-rule/job-based user tasks and message end/throw events. */
  job?: { type: string; retries: string; headers: Record<string, string> };
  /** A Camunda user task (`zeebe:userTask`): held by the engine, worked through the user-task API. */
  userTask?: UserTaskDef;
  /** Script task evaluated by the engine (`zeebe:script`): a FEEL expression and where its result goes. */
  script?: { expression: string; resultVariable: string };
  /** Ad-hoc subprocess: which inner elements start (a FEEL list of ids), when it completes, and whether what still runs is cancelled then. */
  adHoc?: { activeElements: string | null; completionCondition: string | null; cancelRemaining: boolean };
  /** Execution listeners (jobs): start ones after the input mappings, end ones after the output mappings. */
  listeners?: { start: ListenerDef[]; end: ListenerDef[] };
  /** Business-rule task evaluated by the engine (`zeebe:calledDecision`): which decision, where its result goes. */
  calledDecision?: { decisionId: string; resultVariable: string; bindingType: 'latest' | 'deployment' | 'versionTag'; versionTag: string | null };
  inputs: Mapping[];
  outputs: Mapping[];
  /** Boundary events attached to this activity. */
  boundaryIds: string[];
  attachedToId?: string;
  /** Boundary: cancelActivity; event subprocess start: isInterrupting. */
  interrupting: boolean;
  /** Subprocess / process: the none start event, event subprocesses, child count. */
  startId?: string | null;
  eventSubprocessIds: string[];
  /** Event subprocess: its start event. */
  triggeredByEvent?: boolean;
  multiInstance?: {
    sequential: boolean;
    inputCollection: string | null;
    inputElement: string | null;
    outputCollection: string | null;
    outputElement: string | null;
    completionCondition: string | null;
  };
  calledElement?: {
    processId: string;
    propagateAllChildVariables: boolean;
    propagateAllParentVariables: boolean;
    /** Which version is called: the latest, the one deployed together with the caller, or the one with `versionTag`. */
    bindingType: 'latest' | 'deployment' | 'versionTag';
    versionTag: string | null;
  };
  /** Elements from which this inclusive gateway can be reached without passing it (joins). */
  reachableFrom?: Set<string>;
}

export interface ProcessModel {
  bpmnProcessId: string;
  elements: Map<string, ElementDef>;
  process: ElementDef;
  /** Message and timer start events of the process itself. */
  messageStarts: ElementDef[];
  signalStarts: ElementDef[];
  timerStarts: ElementDef[];
  /** Camunda forms embedded in the process (zeebe:userTaskForm), by id: a user task's formKey `camunda-forms:bpmn:<id>`. */
  userTaskForms: Map<string, string>;
}

export const USER_TASK_JOB_TYPE = 'io.camunda.zeebe:userTask';

export async function compileProcess(xml: string, bpmnProcessId: string): Promise<ProcessModel> {
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  const { rootElement } = await moddle.fromXML(xml);
  const process = (rootElement.rootElements ?? []).find((e: any) => e.$type === 'bpmn:Process' && e.id === bpmnProcessId);
  if (!process) throw new Error(`process ${bpmnProcessId} is not in its deployed resource`);
  const elements = new Map<string, ElementDef>();
  const root = baseDef(process, bpmnProcessId);
  elements.set(root.id, root);
  compileScope(process, root, elements);
  // A compensation boundary event names its handler by an association, not a sequence flow.
  for (const association of associationsIn(process) as any[]) {
    const boundary = elements.get(association.sourceRef?.id);
    if (boundary?.type !== 'bpmn:BoundaryEvent' || boundary.event !== 'compensation' || !boundary.attachedToId) continue;
    const activity = elements.get(boundary.attachedToId);
    if (activity && elements.has(association.targetRef?.id)) activity.compensationHandlerId ??= association.targetRef.id;
  }

  for (const el of elements.values()) {
    if (el.type === 'bpmn:InclusiveGateway' && el.incoming.length > 1) el.reachableFrom = reachersOf(el, elements);
  }
  const top = [...elements.values()].filter((e) => e.scopeId === bpmnProcessId && e.type === 'bpmn:StartEvent');
  return {
    bpmnProcessId,
    elements,
    process: root,
    messageStarts: top.filter((e) => e.event === 'message'),
    signalStarts: top.filter((e) => e.event === 'signal'),
    timerStarts: top.filter((e) => e.event === 'timer'),
    userTaskForms: new Map(
      (process.extensionElements?.values ?? []).filter((v: any) => v.$type === 'zeebe:UserTaskForm' && v.id).map((v: any) => [v.id, v.body ?? '']),
    ),
  };
}

function compileScope(container: any, scope: ElementDef, elements: Map<string, ElementDef>): void {
  const children: any[] = container.flowElements ?? [];
  const flows = children.filter((c) => c.$type === 'bpmn:SequenceFlow');
  for (const child of children) {
    if (child.$type === 'bpmn:SequenceFlow' || !child.$type.startsWith('bpmn:') || !isFlowNode(child.$type)) continue;
    const def = baseDef(child, scope.id);
    elements.set(def.id, def);
    if (child.$type === 'bpmn:SubProcess' || child.$type === 'bpmn:AdHocSubProcess') compileScope(child, def, elements);
  }
  for (const flow of flows) {
    const f: FlowDef = { id: flow.id, sourceId: flow.sourceRef.id, targetId: flow.targetRef.id, condition: feelBody(flow.conditionExpression?.body) };
    elements.get(f.sourceId)?.outgoing.push(f);
    elements.get(f.targetId)?.incoming.push(f);
  }
  for (const child of children) {
    const def = elements.get(child.id);
    if (!def) continue;
    if (def.type === 'bpmn:BoundaryEvent' && def.attachedToId) elements.get(def.attachedToId)?.boundaryIds.push(def.id);
    if (def.type === 'bpmn:SubProcess' && def.triggeredByEvent) scope.eventSubprocessIds.push(def.id);
    if (def.type === 'bpmn:StartEvent' && def.event === 'none' && !scope.triggeredByEvent) scope.startId ??= def.id;
    if (def.type === 'bpmn:StartEvent' && scope.triggeredByEvent) scope.startId = def.id;
  }
}

function isFlowNode(type: string): boolean {
  return /Event$|Task$|Gateway$|^bpmn:SubProcess$|^bpmn:AdHocSubProcess$|^bpmn:CallActivity$/.test(type);
}

function baseDef(node: any, scopeId: string): ElementDef {
  const ext: any[] = node.extensionElements?.values ?? [];
  const find = (type: string) => ext.find((v) => v.$type === type);
  const eventDef = node.eventDefinitions?.[0];
  const event: EventKind = !eventDef
    ? 'none'
    : (({
        'bpmn:MessageEventDefinition': 'message',
        'bpmn:TimerEventDefinition': 'timer',
        'bpmn:ErrorEventDefinition': 'error',
        'bpmn:TerminateEventDefinition': 'terminate',
        'bpmn:SignalEventDefinition': 'signal',
        'bpmn:EscalationEventDefinition': 'escalation',
        'bpmn:LinkEventDefinition': 'link',
        'bpmn:CompensateEventDefinition': 'compensation',
      }[eventDef.$type as string] ?? 'none') as EventKind);
  const io = find('zeebe:IoMapping');
  const def: ElementDef = {
    id: node.id,
    name: node.name ?? null,
    type: node.$type,
    scopeId,
    incoming: [],
    outgoing: [],
    defaultFlowId: node.default?.id ?? null,
    event,
    inputs: (io?.inputParameters ?? []).map((p: any) => ({ source: p.source ?? '', target: p.target })),
    outputs: (io?.outputParameters ?? []).map((p: any) => ({ source: p.source ?? '', target: p.target })),
    boundaryIds: [],
    attachedToId: node.attachedToRef?.id,
    interrupting: node.$type === 'bpmn:BoundaryEvent' ? node.cancelActivity !== false : node.isInterrupting !== false,
    eventSubprocessIds: [],
    triggeredByEvent: Boolean(node.triggeredByEvent),
  };
  // A receive task names its message itself; events do it in their event definition.
  const messageRef = event === 'message' ? eventDef.messageRef : node.$type === 'bpmn:ReceiveTask' ? node.messageRef : null;
  if (messageRef) {
    const subscription = (messageRef.extensionElements?.values ?? []).find((v: any) => v.$type === 'zeebe:Subscription');
    def.message = { name: messageRef.name ?? messageRef.id, correlationKey: subscription?.correlationKey ?? null };
  }
  if (event === 'link') def.link = eventDef.name ?? '';
  if (event === 'compensation' && node.$type !== 'bpmn:BoundaryEvent') def.compensateActivityRef = eventDef.activityRef?.id ?? null;
  if (event === 'signal') def.signal = { name: eventDef.signalRef?.name ?? eventDef.signalRef?.id ?? '' };
  if (event === 'timer') {
    if (eventDef.timeDate) def.timer = { kind: 'date', expression: eventDef.timeDate.body };
    else if (eventDef.timeDuration) def.timer = { kind: 'duration', expression: eventDef.timeDuration.body };
    else if (eventDef.timeCycle) def.timer = { kind: 'cycle', expression: eventDef.timeCycle.body };
  }
  if (event === 'error') def.errorCode = eventDef.errorRef?.errorCode ?? null;
  if (event === 'escalation') def.escalationCode = eventDef.escalationRef?.escalationCode ?? null;
  const task = find('zeebe:TaskDefinition');
  const headers: Record<string, string> = {};
  for (const h of find('zeebe:TaskHeaders')?.values ?? []) if (h.key) headers[h.key] = h.value ?? '';
  if (node.$type === 'bpmn:UserTask' && find('zeebe:UserTask')) {
    const assignment = find('zeebe:AssignmentDefinition');
    const form = find('zeebe:FormDefinition');
    const schedule = find('zeebe:TaskSchedule');
    const listeners = Object.fromEntries(TASK_LISTENER_EVENTS.map((e) => [e, [] as ListenerDef[]])) as Record<TaskListenerEvent, ListenerDef[]>;
    for (const l of (find('zeebe:TaskListeners')?.listeners ?? []) as any[]) {
      const eventType = taskListenerEvent(l.eventType);
      if (eventType) listeners[eventType].push({ type: l.type ?? '', retries: l.retries ?? '3', headers: { ...headers } });
    }
    def.userTask = {
      assignee: assignment?.assignee || null,
      candidateGroups: assignment?.candidateGroups || null,
      candidateUsers: assignment?.candidateUsers || null,
      dueDate: schedule?.dueDate || null,
      followUpDate: schedule?.followUpDate || null,
      priority: find('zeebe:PriorityDefinition')?.priority || null,
      formKey: form?.formKey || null,
      formId: form?.formId || null,
      formBinding: { type: form?.bindingType === 'deployment' || form?.bindingType === 'versionTag' ? form.bindingType : 'latest', versionTag: form?.versionTag ?? null },
      externalReference: form?.externalReference || null,
      headers,
      listeners,
    };
  } else if (node.$type === 'bpmn:UserTask') {
    const assignment = find('zeebe:AssignmentDefinition');
    const form = find('zeebe:FormDefinition');
    const schedule = find('zeebe:TaskSchedule');
    if (assignment?.assignee) headers['io.camunda.zeebe:assignee'] = assignment.assignee;
    if (assignment?.candidateGroups) headers['io.camunda.zeebe:candidateGroups'] = assignment.candidateGroups;
    if (assignment?.candidateUsers) headers['io.camunda.zeebe:candidateUsers'] = assignment.candidateUsers;
    if (form?.formKey) headers['io.camunda.zeebe:formKey'] = form.formKey;
    else if (form?.formId) headers['io.camunda.zeebe:formKey'] = form.formId;
    if (schedule?.dueDate) headers['io.camunda.zeebe:dueDate'] = schedule.dueDate;
    if (schedule?.followUpDate) headers['io.camunda.zeebe:followUpDate'] = schedule.followUpDate;
    def.job = { type: USER_TASK_JOB_TYPE, retries: '1', headers };
  } else if (task) {
    def.job = { type: task.type, retries: task.retries ?? '3', headers };
  }
  const listeners = (find('zeebe:ExecutionListeners')?.listeners ?? []) as any[];
  if (listeners.length) {
    const of = (eventType: string) =>
      listeners
        .filter((l) => (l.eventType ?? 'start') === eventType)
        .map((l) => {
          const own: Record<string, string> = {};
          for (const h of l.headers?.values ?? []) if (h.key) own[h.key] = h.value ?? '';
          // The element's headers, with the listener's own winning on the same key.
          return { type: l.type ?? '', retries: l.retries ?? '3', headers: { ...headers, ...own } };
        });
    def.listeners = { start: of('start'), end: of('end') };
  }
  if (node.$type === 'bpmn:AdHocSubProcess') {
    def.adHoc = {
      activeElements: feelBody(find('zeebe:AdHoc')?.activeElementsCollection),
      completionCondition: feelBody(node.completionCondition?.body),
      cancelRemaining: node.cancelRemainingInstances !== false,
    };
  }
  const calledDecision = find('zeebe:CalledDecision');
  if (node.$type === 'bpmn:BusinessRuleTask' && calledDecision && !task) {
    def.calledDecision = {
      decisionId: calledDecision.decisionId ?? '',
      resultVariable: calledDecision.resultVariable ?? '',
      bindingType: calledDecision.bindingType === 'deployment' || calledDecision.bindingType === 'versionTag' ? calledDecision.bindingType : 'latest',
      versionTag: calledDecision.versionTag ?? null,
    };
  }
  const script = find('zeebe:Script');
  if (node.$type === 'bpmn:ScriptTask' && script && !task) {
    def.script = { expression: feelBody(script.expression) ?? '', resultVariable: script.resultVariable ?? '' };
  }
  const loop = node.loopCharacteristics;
  if (loop?.$type === 'bpmn:MultiInstanceLoopCharacteristics') {
    const z = (loop.extensionElements?.values ?? []).find((v: any) => v.$type === 'zeebe:LoopCharacteristics') ?? {};
    def.multiInstance = {
      sequential: Boolean(loop.isSequential),
      inputCollection: z.inputCollection ?? null,
      inputElement: z.inputElement ?? null,
      outputCollection: z.outputCollection ?? null,
      outputElement: z.outputElement ?? null,
      completionCondition: feelBody(loop.completionCondition?.body),
    };
  }
  const called = find('zeebe:CalledElement');
  if (node.$type === 'bpmn:CallActivity') {
    def.calledElement = {
      processId: called?.processId ?? '',
      propagateAllChildVariables: called?.propagateAllChildVariables !== false && called?.propagateAllChildVariables !== 'false',
      propagateAllParentVariables: called?.propagateAllParentVariables !== false && called?.propagateAllParentVariables !== 'false',
      bindingType: called?.bindingType === 'deployment' || called?.bindingType === 'versionTag' ? called.bindingType : 'latest',
      versionTag: called?.versionTag ?? null,
    };
  }
  return def;
}

/** A task listener's event type as Camunda 8.8 names it; null for one it does not know. */
export function taskListenerEvent(eventType: string | undefined): TaskListenerEvent | null {
  const value = eventType === 'assignment' ? 'assigning' : eventType === 'completion' ? 'completing' : eventType;
  return (TASK_LISTENER_EVENTS as readonly string[]).includes(value ?? '') ? (value as TaskListenerEvent) : null;
}

function feelBody(body: string | undefined): string | null {
  if (body === undefined || body === null) return null;
  const trimmed = String(body).trim();
  return trimmed.startsWith('=') ? trimmed.slice(1) : trimmed;
}

/** Elements in the gateway's scope that have a path to it not passing through it. */
function reachersOf(gateway: ElementDef, elements: Map<string, ElementDef>): Set<string> {
  const found = new Set<string>();
  const stack = gateway.incoming.map((f) => f.sourceId);
  while (stack.length) {
    const id = stack.pop()!;
    if (found.has(id) || id === gateway.id) continue;
    found.add(id);
    const el = elements.get(id);
    if (!el) continue;
    for (const f of el.incoming) stack.push(f.sourceId);
    // A token waiting inside a boundary-carrying activity can leave through its boundary events.
    if (el.type === 'bpmn:BoundaryEvent' && el.attachedToId) stack.push(el.attachedToId);
  }
  return found;
}
