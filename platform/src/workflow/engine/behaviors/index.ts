import type { Step } from '../interpreter';
import type { ElementDef, ProcessModel } from '../model';
import { MI_BODY, type EI } from '../types';
import { adHocSubProcess } from './ad-hoc-sub-process';
import { businessRuleTask } from './business-rule-task';
import { callActivity } from './call-activity';
import { endEvent } from './end-event';
import { eventBasedGateway } from './event-based-gateway';
import { intermediateCatchEvent } from './intermediate-catch-event';
import { intermediateThrowEvent } from './intermediate-throw-event';
import { jobWorkerTask } from './job-worker-task';
import { multiInstanceBody } from './multi-instance';
import { passThrough } from './pass-through';
import { process } from './process';
import { receiveTask } from './receive-task';
import { scriptTask } from './script-task';
import { subProcess } from './sub-process';
import { userTask } from './user-task';

/** What one kind of element does; the interpreter moves tokens, behaviours decide what an element does there. */
export interface ElementBehavior {
  /** Once the element is activated (input mappings and start listeners done): wait for something, or complete. */
  activate(step: Step, ei: EI, el: ElementDef, model: ProcessModel): Promise<void>;
  /** When a scope with nothing left to run asks whether it is done (default: no children, no waiting joins). */
  completeIfDone?(step: Step, scope: EI, children: EI[]): Promise<void>;
  /** Before the element is terminated (what it started elsewhere goes with it). */
  terminate?(step: Step, ei: EI): Promise<void>;
}

/** One behaviour per element type the engine executes (supported-elements.ts lists the same types). */
const BEHAVIORS: Record<string, ElementBehavior> = {
  'bpmn:Process': process,
  'bpmn:StartEvent': passThrough,
  'bpmn:BoundaryEvent': passThrough,
  'bpmn:ExclusiveGateway': passThrough,
  'bpmn:ParallelGateway': passThrough,
  'bpmn:InclusiveGateway': passThrough,
  'bpmn:Task': passThrough,
  'bpmn:ManualTask': passThrough,
  'bpmn:IntermediateThrowEvent': intermediateThrowEvent,
  'bpmn:IntermediateCatchEvent': intermediateCatchEvent,
  'bpmn:EndEvent': endEvent,
  'bpmn:EventBasedGateway': eventBasedGateway,
  'bpmn:ServiceTask': jobWorkerTask,
  'bpmn:SendTask': jobWorkerTask,
  'bpmn:UserTask': userTask,
  'bpmn:ScriptTask': scriptTask,
  'bpmn:BusinessRuleTask': businessRuleTask,
  'bpmn:ReceiveTask': receiveTask,
  'bpmn:SubProcess': subProcess,
  'bpmn:AdHocSubProcess': adHocSubProcess,
  'bpmn:CallActivity': callActivity,
  [MI_BODY]: multiInstanceBody,
};

export function behaviorOf(elementType: string): ElementBehavior {
  const behavior = BEHAVIORS[elementType];
  // Deploy refuses what has no behaviour, so this is a bug, never a model to run half-way.
  if (!behavior) throw new Error(`the engine has no behaviour for element type '${elementType}'`);
  return behavior;
}

/** The element types with a behaviour (a test holds them against the deploy-time coverage list). */
export const executableElementTypes = (): string[] => Object.keys(BEHAVIORS).filter((type) => type !== MI_BODY);
