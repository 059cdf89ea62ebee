import { TASK_LISTENER_EVENTS, taskListenerEvent } from './model';

/**
 * What the embedded engine executes (issue #3's coverage list). Camunda 8 can do more; a model
 * using anything else is refused at deploy time, naming the element, rather than failing later.
 */
const FLOW_NODES: Record<string, readonly string[]> = {
  'bpmn:StartEvent': ['none', 'bpmn:MessageEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:ErrorEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition'],
  'bpmn:EndEvent': ['none', 'bpmn:ErrorEventDefinition', 'bpmn:TerminateEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition'],
  'bpmn:IntermediateCatchEvent': ['bpmn:MessageEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:LinkEventDefinition'],
  // A none intermediate throw event only marks a point in the flow (its io mappings still apply).
  // Message throw events are jobs (zeebe:taskDefinition), like message end events.
  'bpmn:IntermediateThrowEvent': ['none', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition', 'bpmn:LinkEventDefinition', 'bpmn:MessageEventDefinition'],
  'bpmn:BoundaryEvent': ['bpmn:ErrorEventDefinition', 'bpmn:TimerEventDefinition', 'bpmn:MessageEventDefinition', 'bpmn:SignalEventDefinition', 'bpmn:EscalationEventDefinition'],
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
  eventDefinitions?: Array<{ $type: string; name?: string }>;
  triggeredByEvent?: boolean;
  extensionElements?: { values?: Array<{ $type: string; listeners?: Array<{ eventType?: string; type?: string }> }> };
  loopCharacteristics?: { $type: string };
}

export function unsupportedElements(process: ModdleElement): ElementProblem[] {
  const problems: ElementProblem[] = [];
  if (executionListeners(process).length) {
    problems.push({ elementId: process.id ?? '(process)', message: 'execution listeners on the process itself are not supported by the embedded engine; put them on its first and last elements' });
  }
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
      if (!allowed.includes(kind) || (onlyInEventSubprocess && child.$type === 'bpmn:StartEvent' && !startOfEventSubprocess)) {
        const what = kind === 'none' ? 'none' : kind.replace('bpmn:', '').replace('EventDefinition', '').toLowerCase();
        problems.push({ elementId: id, message: `a ${what} ${child.$type.replace('bpmn:', '')} is not supported by the embedded engine` });
      }
      problems.push(...taskListenerProblems(child));
      problems.push(...listenerProblems(child, kind));
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
  if (element.loopCharacteristics) problems.push({ elementId: id, message: 'execution listeners on multi-instance activities are not supported by the embedded engine' });
  const seen = new Set<string>();
  for (const l of listeners) {
    const key = `${l.eventType ?? 'start'}\u0000${l.type ?? ''}`;
    if (seen.has(key)) problems.push({ elementId: id, message: `execution listeners must have unique combinations of eventType and type; '${l.eventType ?? 'start'}' listener of type '${l.type}' is defined twice` });
    seen.add(key);
  }
  return problems;
}
