import { TASK_LISTENER_EVENTS, taskListenerEvent } from './model';

/**
 * What the embedded engine executes (issue #3's coverage list). Camunda 8 can do more; a model
 * using anything else is refused at deploy time, naming the element, rather than failing later.
 */
export const FLOW_NODES: Record<string, readonly string[]> = {
  'bpmn:StartEvent': ['none', 'bpmn:MessageEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:ErrorEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition'],
  'bpmn:EndEvent': ['none', 'bpmn:ErrorEventDefinition', 'bpmn:TerminateEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition', 'bpmn:CompensateEventDefinition'],
  'bpmn:IntermediateCatchEvent': ['bpmn:MessageEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:LinkEventDefinition'],
  // A none intermediate throw event only marks a point in the flow (its io mappings still apply).
  // Message throw events are jobs (zeebe:taskDefinition), like message end events.
  'bpmn:IntermediateThrowEvent': ['none', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition', 'bpmn:LinkEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:CompensateEventDefinition'],
  'bpmn:BoundaryEvent': ['bpmn:ErrorEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition', 'bpmn:CompensateEventDefinition'],
  'bpmn:ServiceTask': ['none'],
  'bpmn:SendTask': ['none'],
  'bpmn:BusinessRuleTask': ['none'],
  // zeebe:script (a FEEL expression the engine evaluates) or zeebe:taskDefinition (a job).
  'bpmn:ScriptTask': ['none'],
  // Done by people outside the engine, or not specified: the token passes straight through.
  'bpmn:ManualTask': ['none'],
  'bpmn:Task': ['none'],
  'bpmn:UserTask': ['none'],
  'bpmn:ReceiveTask': ['none'],
  'bpmn:ExclusiveGateway': ['none'],
  'bpmn:ParallelGateway': ['none'],
  'bpmn:InclusiveGateway': ['none'],
  'bpmn:EventBasedGateway': ['none'],
  'bpmn:SubProcess': ['none'],
  'bpmn:AdHocSubProcess': ['none'],
  'bpmn:CallActivity': ['none'],
};

/** The tasks Zeebe runs as compensation handlers (besides embedded subprocesses and call activities). */
const COMPENSATION_TASKS = new Set(['bpmn:ServiceTask', 'bpmn:UserTask', 'bpmn:SendTask', 'bpmn:ScriptTask', 'bpmn:ManualTask', 'bpmn:Task']);

/** Elements that describe a diagram but never execute. */
const DESCRIPTIVE = new Set(['bpmn:SequenceFlow', 'bpmn:TextAnnotation', 'bpmn:Association', 'bpmn:Group', 'bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

export interface ElementProblem {
  elementId: string;
  message: string;
}

interface ModdleElement {
  $type: string;
  id?: string;
  flowElements?: ModdleElement[];
  artifacts?: ModdleElement[];
  eventDefinitions?: Array<{ $type: string; name?: string; activityRef?: ModdleElement }>;
  triggeredByEvent?: boolean;
  isForCompensation?: boolean;
  attachedToRef?: ModdleElement;
  sourceRef?: ModdleElement;
  targetRef?: ModdleElement;
  extensionElements?: { values?: Array<{ $type: string; listeners?: Array<{ eventType?: string; type?: string }> }> };
  loopCharacteristics?: { $type: string };
}

export function unsupportedElements(process: ModdleElement): ElementProblem[] {
  const problems: ElementProblem[] = [];
  const associations = associationsIn(process);
  problems.push(...listenerProblems(process, 'none'));
  const visit = (element: ModdleElement, inEventSubprocess: boolean) => {
    for (const child of element.flowElements ?? []) {
      const id = child.id ?? '(no id)';
      if (DESCRIPTIVE.has(child.$type)) continue;
      const allowed = FLOW_NODES[child.$type];
      if (!allowed) {
        problems.push({ elementId: id, message: `${child.$type.replace('bpmn:', '')} is not supported by the embedded engine` });
        continue;
      }
      const definitions = child.eventDefinitions ?? [];
      if (definitions.length > 1) problems.push({ elementId: id, message: 'events with several event definitions are not supported' });
      const kind = definitions[0]?.$type ?? 'none';
      const startOfEventSubprocess = child.$type === 'bpmn:StartEvent' && inEventSubprocess;
      const onlyInEventSubprocess = kind === 'bpmn:ErrorEventDefinition' || kind === 'bpmn:EscalationEventDefinition';
      // The event subprocess itself is named for a compensation start (Zeebe's refusal), below.
      const compensationStart = startOfEventSubprocess && kind === 'bpmn:CompensateEventDefinition';
      if ((!allowed.includes(kind) && !compensationStart) || (onlyInEventSubprocess && child.$type === 'bpmn:StartEvent' && !startOfEventSubprocess)) {
        const what = kind === 'none' ? 'none' : kind.replace('bpmn:', '').replace('EventDefinition', '').toLowerCase();
        problems.push({ elementId: id, message: `a ${what} ${child.$type.replace('bpmn:', '')} is not supported by the embedded engine` });
      }
      problems.push(...taskListenerProblems(child));
      problems.push(...listenerProblems(child, kind));
      problems.push(...compensationProblems(child, element, kind, associations));
      if (child.$type === 'bpmn:SubProcess') visit(child, Boolean(child.triggeredByEvent));
      if (child.$type === 'bpmn:AdHocSubProcess') {
        if (child.extensionElements?.values?.some((v) => v.$type === 'zeebe:TaskDefinition')) {
          problems.push({ elementId: id, message: 'ad-hoc subprocesses implemented by a job worker are not supported by the embedded engine; choose which elements run with zeebe:adHoc activeElementsCollection' });
        }
        for (const inner of child.flowElements ?? []) {
          if (inner.$type === 'bpmn:StartEvent') problems.push({ elementId: inner.id ?? '(no id)', message: 'an ad-hoc subprocess must not contain start events' });
        }
        visit(child, false);
      }
    }
    problems.push(...linkProblems(element));
  };
  visit(process, false);
  return problems;
}

/**
 * Zeebe's compensation rules for `element` in `scope`: a boundary points to its handler by an
 * association; a handler is a task (of Zeebe's list), an embedded subprocess or a call activity
 * without flows or boundaries of its own; activityRef names a compensable activity of the throw's
 * scope; compensation event subprocesses are refused, as Camunda 8.8 refuses them.
 */
function compensationProblems(element: ModdleElement, scope: ModdleElement, eventKind: string, associations: ModdleElement[]): ElementProblem[] {
  const id = element.id ?? '(no id)';
  const problems: ElementProblem[] = [];
  // Sequence flows name their ends; moddle fills a node's incoming/outgoing only from explicit XML children.
  const flows = (scope.flowElements ?? []).filter((e) => e.$type === 'bpmn:SequenceFlow');
  const outgoing = flows.some((f) => f.sourceRef?.id === element.id);
  const incoming = flows.some((f) => f.targetRef?.id === element.id);
  if (element.$type === 'bpmn:BoundaryEvent' && eventKind === 'bpmn:CompensateEventDefinition') {
    const association = associations.find((a) => a.sourceRef?.id === element.id);
    if (outgoing || !association) {
      problems.push({ elementId: id, message: 'Compensation boundary events must have a compensation association and no outgoing sequence flows' });
    } else if (!association.targetRef?.isForCompensation) {
      problems.push({ elementId: id, message: `the compensation handler '${association.targetRef?.id}' must be an activity marked as for compensation (isForCompensation="true")` });
    }
  }
  if (element.isForCompensation) {
    const embedded = element.$type === 'bpmn:SubProcess' && !element.triggeredByEvent;
    if (element.$type.endsWith('Task') && !COMPENSATION_TASKS.has(element.$type)) {
      problems.push({ elementId: id, message: 'Compensation task must be one of: service task, user task, send task, script task, manual task, or undefined task.' });
    } else if (!element.$type.endsWith('Task') && !embedded && element.$type !== 'bpmn:CallActivity') {
      problems.push({ elementId: id, message: `a ${element.$type.replace('bpmn:', '')} as compensation handler is not supported by the embedded engine; use a task, an embedded subprocess or a call activity` });
    }
    if (incoming) problems.push({ elementId: id, message: 'A compensation handler should have no incoming sequence flows' });
    if (outgoing) problems.push({ elementId: id, message: 'A compensation handler should have no outgoing sequence flows' });
    if ((scope.flowElements ?? []).some((e) => e.$type === 'bpmn:BoundaryEvent' && e.attachedToRef?.id === element.id)) {
      problems.push({ elementId: id, message: 'A compensation handler should have no boundary events' });
    }
  }
  if (element.$type === 'bpmn:SubProcess' && element.triggeredByEvent) {
    const start = (element.flowElements ?? []).find((e) => e.$type === 'bpmn:StartEvent');
    if (start?.eventDefinitions?.some((d) => d.$type === 'bpmn:CompensateEventDefinition')) {
      problems.push({ elementId: id, message: 'Start events in event subprocesses must be one of: message, timer, error, signal or escalation (Camunda 8.8 has no compensation event subprocesses)' });
    }
  }
  const referenced = eventKind === 'bpmn:CompensateEventDefinition' ? element.eventDefinitions?.[0]?.activityRef : undefined;
  if (referenced && element.$type !== 'bpmn:BoundaryEvent') {
    const subprocess = referenced.$type === 'bpmn:SubProcess' && !referenced.triggeredByEvent;
    const inScope = (container: ModdleElement | undefined) => (container?.flowElements ?? []).includes(referenced);
    // From inside an event subprocess, the scope around it counts too (Zeebe compensates both).
    const outer = scope.triggeredByEvent ? (scope as { $parent?: ModdleElement }).$parent : undefined;
    if (!inScope(scope) && !inScope(outer)) {
      problems.push({ elementId: id, message: `The referenced compensation activity '${referenced.id}' must be in the same scope as the compensation throw event` });
    } else if (!subprocess && !boundaryIn(inScope(scope) ? scope : outer!, referenced)) {
      problems.push({ elementId: id, message: `The referenced compensation activity '${referenced.id}' must have either a compensation boundary event or be a subprocess` });
    }
  }
  return problems;
}

function boundaryIn(scope: ModdleElement, activity: ModdleElement): boolean {
  return (scope.flowElements ?? []).some((e) => e.$type === 'bpmn:BoundaryEvent' && e.attachedToRef?.id === activity.id && e.eventDefinitions?.[0]?.$type === 'bpmn:CompensateEventDefinition');
}

/** The associations of `container` and of every subprocess in it (a modeler puts one beside its source). */
export function associationsIn(container: ModdleElement): ModdleElement[] {
  const found = (container.artifacts ?? []).filter((a) => a.$type === 'bpmn:Association');
  for (const child of container.flowElements ?? []) if (child.flowElements) found.push(...associationsIn(child));
  return found;
}

/** Zeebe's link rules, per scope: every throw link names a catch link there, and catch link names are unique. */
function linkProblems(scope: ModdleElement): ElementProblem[] {
  const problems: ElementProblem[] = [];
  const linkName = (e: ModdleElement) => (e.eventDefinitions?.[0]?.$type === 'bpmn:LinkEventDefinition' ? (e.eventDefinitions[0].name ?? '') : null);
  const catches = new Map<string, string>();
  for (const child of scope.flowElements ?? []) {
    const name = child.$type === 'bpmn:IntermediateCatchEvent' ? linkName(child) : null;
    if (name === null) continue;
    if (catches.has(name)) problems.push({ elementId: child.id ?? '(no id)', message: `Multiple intermediate catch link event definitions with the same name '${name}' are not allowed` });
    catches.set(name, child.id ?? '');
  }
  for (const child of scope.flowElements ?? []) {
    const name = child.$type === 'bpmn:IntermediateThrowEvent' ? linkName(child) : null;
    if (name !== null && !catches.has(name)) problems.push({ elementId: child.id ?? '(no id)', message: `Can't find a catch link event for the throw link event with the name '${name}'` });
  }
  return problems;
}

/**
 * Task listeners belong to Camunda user tasks; each names a known event type and a job type.
 * Canceling listeners would make the termination of a scope wait for jobs, which the embedded
 * engine does not do yet: refused rather than run without them.
 */
function taskListenerProblems(element: ModdleElement): ElementProblem[] {
  const listeners = element.extensionElements?.values?.find((v) => v.$type === 'zeebe:TaskListeners')?.listeners ?? [];
  if (!listeners.length) return [];
  const id = element.id ?? '(no id)';
  if (!element.extensionElements?.values?.some((v) => v.$type === 'zeebe:UserTask')) {
    return [{ elementId: id, message: 'task listeners are only supported on Camunda user tasks (zeebe:userTask)' }];
  }
  const problems: ElementProblem[] = [];
  for (const l of listeners) {
    const eventType = taskListenerEvent(l.eventType);
    if (!eventType) problems.push({ elementId: id, message: `task listener event type '${l.eventType ?? ''}' is not supported; use one of ${TASK_LISTENER_EVENTS.join(', ')}` });
    else if (eventType === 'canceling') problems.push({ elementId: id, message: 'canceling task listeners are not supported by the embedded engine' });
    if (!l.type?.trim()) problems.push({ elementId: id, message: 'a task listener must have a non-empty job type' });
  }
  return problems;
}

function executionListeners(element: ModdleElement): Array<{ eventType?: string; type?: string }> {
  return element.extensionElements?.values?.find((v) => v.$type === 'zeebe:ExecutionListeners')?.listeners ?? [];
}

/** Where Camunda 8.8 allows start and end execution listeners, and that each (event type, job type) appears once. */
function listenerProblems(element: ModdleElement, eventKind: string): ElementProblem[] {
  const listeners = executionListeners(element);
  if (!listeners.length) return [];
  const id = element.id ?? '(no id)';
  const problems: ElementProblem[] = [];
  const has = (eventType: string) => listeners.some((l) => (l.eventType ?? 'start') === eventType);
  if (has('start') && (element.$type === 'bpmn:StartEvent' || element.$type === 'bpmn:BoundaryEvent')) {
    problems.push({ elementId: id, message: `start execution listeners are not supported on ${element.$type.replace('bpmn:', '')}s` });
  }
  if (has('end') && (element.$type.endsWith('Gateway') || (element.$type === 'bpmn:EndEvent' && eventKind === 'bpmn:ErrorEventDefinition'))) {
    problems.push({ elementId: id, message: `end execution listeners are not supported on ${element.$type === 'bpmn:EndEvent' ? 'error end events' : 'gateways'}` });
  }
  if (has('end') && element.$type === 'bpmn:BoundaryEvent' && eventKind === 'bpmn:CompensateEventDefinition') {
    problems.push({ elementId: id, message: "Execution listeners of type 'start' and 'end' are not supported by [compensation] boundary events" });
  }
  if (element.loopCharacteristics) problems.push({ elementId: id, message: 'execution listeners on multi-instance activities are not supported by the embedded engine' });
  const seen = new Set<string>();
  for (const l of listeners) {
    const key = `${l.eventType ?? 'start'}\u0000${l.type ?? ''}`;
    if (seen.has(key)) problems.push({ elementId: id, message: `execution listeners must have unique combinations of eventType and type; '${l.eventType ?? 'start'}' listener of type '${l.type}' is defined twice` });
    seen.add(key);
  }
  return problems;
}
