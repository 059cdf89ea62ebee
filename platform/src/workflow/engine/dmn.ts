import { evaluate, unaryTest } from 'feelin';
import { syntaxErrorAt } from './feel-syntax';
import { toJson } from './feel';
import type { ElementProblem } from './supported-elements';

// dmn-moddle 12 is ESM-only with a named export; Node 20.19+ can require() it.
const { DmnModdle } = require('dmn-moddle');

/**
 * DMN 1.3 decisions as Camunda 8 evaluates them: decision tables with every hit policy and
 * literal expressions, inputs and outputs in FEEL, required decisions (a DRG) evaluated first and
 * visible to their dependants by decision id.
 */
export type HitPolicy = 'UNIQUE' | 'FIRST' | 'PRIORITY' | 'ANY' | 'COLLECT' | 'RULE ORDER' | 'OUTPUT ORDER';
const HIT_POLICIES: readonly HitPolicy[] = ['UNIQUE', 'FIRST', 'PRIORITY', 'ANY', 'COLLECT', 'RULE ORDER', 'OUTPUT ORDER'];
const AGGREGATIONS = ['SUM', 'MIN', 'MAX', 'COUNT'] as const;

export interface DecisionTableDef {
  kind: 'DECISION_TABLE';
  hitPolicy: HitPolicy;
  aggregation: (typeof AGGREGATIONS)[number] | null;
  inputs: Array<{ id: string; name: string; expression: string }>;
  outputs: Array<{ id: string; name: string; allowed: string | null }>;
  rules: Array<{ id: string; inputEntries: string[]; outputEntries: string[] }>;
}

export interface LiteralDef {
  kind: 'LITERAL_EXPRESSION';
  variable: string;
  expression: string;
}

export interface DecisionDef {
  id: string;
  name: string;
  /** `zeebe:versionTag` of the decision (what bindingType="versionTag" calls match). */
  versionTag: string | null;
  requires: string[];
  logic: DecisionTableDef | LiteralDef;
}

export interface DecisionGraph {
  id: string;
  name: string;
  decisions: Map<string, DecisionDef>;
}

export interface EvaluatedDecision {
  decisionId: string;
  decisionName: string;
  decisionType: 'DECISION_TABLE' | 'LITERAL_EXPRESSION';
  output: unknown;
  evaluatedInputs: Array<{ inputId: string; inputName: string; inputValue: unknown }>;
  matchedRules: Array<{ ruleId: string; ruleIndex: number; evaluatedOutputs: Array<{ outputId: string; outputName: string; outputValue: unknown }> }>;
}

export class DecisionEvaluationFailed extends Error {
  constructor(
    readonly decisionId: string,
    message: string,
    readonly evaluated: EvaluatedDecision[],
  ) {
    super(message);
    this.name = 'DecisionEvaluationFailed';
  }
}

/** Parses a DMN resource; problems name their element, as the BPMN checks do. */
export async function parseDmn(xml: string): Promise<{ ok: true; graph: DecisionGraph } | { ok: false; problems: ElementProblem[] }> {
  let definitions: any;
  try {
    const parsed = await new DmnModdle().fromXML(xml, 'dmn:Definitions');
    definitions = parsed.rootElement;
  } catch (error: any) {
    return { ok: false, problems: [{ elementId: '(document)', message: `not valid DMN XML: ${String(error.message).split('\n')[0]}` }] };
  }
  const problems: ElementProblem[] = [];
  const decisions = new Map<string, DecisionDef>();
  const feel = (elementId: string, what: string, text: string, unary = false) => {
    if (!text.trim()) return;
    const at = syntaxErrorAt(text, unary);
    if (at !== null) problems.push({ elementId, message: `${what} is not valid FEEL (error at character ${at + 1}): ${text}` });
  };
  for (const element of definitions.drgElement ?? []) {
    if (element.$type !== 'dmn:Decision') continue;
    const id: string = element.id;
    if (decisions.has(id)) problems.push({ elementId: id, message: `decision id '${id}' is used twice` });
    const versionTag = (element.extensionElements?.values ?? []).find((v: any) => v.$type === 'zeebe:versionTag')?.value ?? null;
    const requires = (element.informationRequirement ?? []).map((r: any) => String(r.requiredDecision?.href ?? '').replace(/^#/, '')).filter(Boolean);
    const logic = element.decisionLogic;
    if (logic?.$type === 'dmn:DecisionTable') {
      const hitPolicy = (logic.hitPolicy ?? 'UNIQUE') as HitPolicy;
      if (!HIT_POLICIES.includes(hitPolicy)) problems.push({ elementId: id, message: `hit policy '${logic.hitPolicy}' is not supported` });
      const aggregation = logic.aggregation ?? null;
      if (aggregation && (hitPolicy !== 'COLLECT' || !AGGREGATIONS.includes(aggregation))) problems.push({ elementId: id, message: `aggregation '${aggregation}' needs hit policy COLLECT` });
      const inputs = (logic.input ?? []).map((input: any, i: number) => ({ id: input.id ?? `input${i}`, name: input.label ?? input.inputExpression?.text ?? '', expression: input.inputExpression?.text ?? '' }));
      const outputs = (logic.output ?? []).map((output: any, i: number) => ({ id: output.id ?? `output${i}`, name: output.name ?? '', allowed: output.outputValues?.text ?? null }));
      if (!outputs.length) problems.push({ elementId: id, message: 'a decision table needs at least one output' });
      if (outputs.length > 1 && outputs.some((o: { name: string }) => !o.name)) problems.push({ elementId: id, message: 'with several outputs, every output needs a name' });
      if (aggregation && outputs.length > 1) problems.push({ elementId: id, message: `aggregation '${aggregation}' needs exactly one output` });
      if ((hitPolicy === 'PRIORITY' || hitPolicy === 'OUTPUT ORDER') && !outputs[0]?.allowed) {
        problems.push({ elementId: id, message: `hit policy ${hitPolicy} needs the output values of its first output, in priority order` });
      }
      for (const input of inputs) feel(input.id, 'the input expression', input.expression);
      const rules = (logic.rule ?? []).map((rule: any, i: number) => {
        const ruleId = rule.id ?? `rule${i + 1}`;
        const inputEntries = (rule.inputEntry ?? []).map((e: any) => String(e.text ?? ''));
        const outputEntries = (rule.outputEntry ?? []).map((e: any) => String(e.text ?? ''));
        if (inputEntries.length !== inputs.length || outputEntries.length !== outputs.length) {
          problems.push({ elementId: ruleId, message: `the rule has ${inputEntries.length} input and ${outputEntries.length} output entries; the table has ${inputs.length} inputs and ${outputs.length} outputs` });
        }
        inputEntries.forEach((text: string) => text.trim() !== '-' && feel(ruleId, 'an input entry', text, true));
        outputEntries.forEach((text: string) => feel(ruleId, 'an output entry', text));
        return { id: ruleId, inputEntries, outputEntries };
      });
      decisions.set(id, { id, name: element.name ?? id, versionTag, requires, logic: { kind: 'DECISION_TABLE', hitPolicy, aggregation, inputs, outputs, rules } });
    } else if (logic?.$type === 'dmn:LiteralExpression') {
      const expression = String(logic.text ?? '');
      feel(id, 'the literal expression', expression);
      decisions.set(id, { id, name: element.name ?? id, versionTag, requires, logic: { kind: 'LITERAL_EXPRESSION', variable: element.variable?.name ?? id, expression } });
    } else {
      problems.push({ elementId: id, message: `decision logic ${String(logic?.$type ?? 'none').replace('dmn:', '')} is not supported (decision tables and literal expressions are)` });
    }
  }
  if (!decisions.size && !problems.length) problems.push({ elementId: '(document)', message: 'contains no decision' });
  for (const decision of decisions.values()) {
    for (const required of decision.requires) if (!decisions.has(required)) problems.push({ elementId: decision.id, message: `requires decision '${required}', which is not in this resource` });
  }
  const cycle = findCycle(decisions);
  if (cycle) problems.push({ elementId: cycle[0]!, message: `decisions require each other in a cycle: ${cycle.join(' → ')}` });
  if (problems.length) return { ok: false, problems };
  return { ok: true, graph: { id: definitions.id ?? '', name: definitions.name ?? definitions.id ?? '', decisions } };
}

/** Evaluates `decisionId` (its required decisions first) against `variables`. */
export function evaluateDecision(graph: DecisionGraph, decisionId: string, variables: Record<string, unknown>): { output: unknown; evaluated: EvaluatedDecision[] } {
  const evaluated: EvaluatedDecision[] = [];
  const results = new Map<string, unknown>();
  const run = (id: string): unknown => {
    if (results.has(id)) return results.get(id);
    const decision = graph.decisions.get(id)!;
    const context: Record<string, unknown> = { ...variables };
    for (const required of decision.requires) context[required] = run(required);
    const result = decision.logic.kind === 'LITERAL_EXPRESSION' ? literal(decision, decision.logic, context) : table(decision, decision.logic, context, evaluated);
    if (decision.logic.kind === 'LITERAL_EXPRESSION') {
      evaluated.push({ decisionId: id, decisionName: decision.name, decisionType: 'LITERAL_EXPRESSION', output: result, evaluatedInputs: [], matchedRules: [] });
    }
    results.set(id, result);
    return result;
  };
  try {
    return { output: run(decisionId), evaluated };
  } catch (error) {
    if (error instanceof DecisionFailure) throw new DecisionEvaluationFailed(error.decisionId, error.message, evaluated);
    throw error;
  }
}

class DecisionFailure extends Error {
  constructor(
    readonly decisionId: string,
    message: string,
  ) {
    super(message);
  }
}

function feelValue(decisionId: string, text: string, context: Record<string, unknown>, what: string): unknown {
  if (!text.trim()) return null;
  try {
    return toJson(evaluate(text, context as any).value);
  } catch (error) {
    throw new DecisionFailure(decisionId, `failed to evaluate ${what} '${text}' of decision '${decisionId}': ${(error as Error).message}`);
  }
}

function literal(decision: DecisionDef, logic: LiteralDef, context: Record<string, unknown>): unknown {
  return feelValue(decision.id, logic.expression, context, 'the literal expression');
}

function table(decision: DecisionDef, logic: DecisionTableDef, context: Record<string, unknown>, evaluated: EvaluatedDecision[]): unknown {
  const inputValues = logic.inputs.map((input) => feelValue(decision.id, input.expression, context, 'the input expression'));
  const matched: EvaluatedDecision['matchedRules'] = [];
  logic.rules.forEach((rule, index) => {
    const matches = rule.inputEntries.every((entry, i) => {
      const text = entry.trim();
      if (!text || text === '-') return true;
      try {
        return unaryTest(text, { ...context, '?': inputValues[i] } as any).value === true;
      } catch (error) {
        throw new DecisionFailure(decision.id, `failed to evaluate the input entry '${text}' of rule '${rule.id}' in decision '${decision.id}': ${(error as Error).message}`);
      }
    });
    if (!matches) return;
    matched.push({
      ruleId: rule.id,
      ruleIndex: index + 1,
      evaluatedOutputs: logic.outputs.map((output, i) => ({ outputId: output.id, outputName: output.name, outputValue: feelValue(decision.id, rule.outputEntries[i] ?? '', context, 'the output entry') })),
    });
  });
  const outputOf = (rule: (typeof matched)[number]) =>
    logic.outputs.length === 1 ? rule.evaluatedOutputs[0]!.outputValue : Object.fromEntries(rule.evaluatedOutputs.map((o) => [o.outputName, o.outputValue]));
  const priority = (rule: (typeof matched)[number]) => {
    const allowed = allowedValues(logic.outputs[0]!.allowed ?? '');
    const at = allowed.findIndex((v) => JSON.stringify(v) === JSON.stringify(rule.evaluatedOutputs[0]!.outputValue));
    return at === -1 ? allowed.length : at;
  };

  let output: unknown;
  let hits = matched;
  switch (logic.hitPolicy) {
    case 'UNIQUE':
      if (matched.length > 1) throw new DecisionFailure(decision.id, `hit policy UNIQUE: rules ${matched.map((r) => r.ruleId).join(', ')} of decision '${decision.id}' all match`);
      output = matched.length ? outputOf(matched[0]!) : null;
      break;
    case 'FIRST':
      hits = matched.slice(0, 1);
      output = matched.length ? outputOf(matched[0]!) : null;
      break;
    case 'ANY': {
      const distinct = new Set(matched.map((r) => JSON.stringify(outputOf(r))));
      if (distinct.size > 1) throw new DecisionFailure(decision.id, `hit policy ANY: the matching rules ${matched.map((r) => r.ruleId).join(', ')} of decision '${decision.id}' give different outputs`);
      hits = matched.slice(0, 1);
      output = matched.length ? outputOf(matched[0]!) : null;
      break;
    }
    case 'PRIORITY':
      hits = [...matched].sort((a, b) => priority(a) - priority(b)).slice(0, 1);
      output = hits.length ? outputOf(hits[0]!) : null;
      break;
    case 'OUTPUT ORDER':
      hits = [...matched].sort((a, b) => priority(a) - priority(b));
      output = hits.map(outputOf);
      break;
    case 'RULE ORDER':
      output = matched.map(outputOf);
      break;
    case 'COLLECT': {
      const values = matched.map(outputOf);
      if (!logic.aggregation) output = values;
      else if (logic.aggregation === 'COUNT') output = values.length;
      else {
        const numbers = values.filter((v): v is number => typeof v === 'number');
        if (numbers.length !== values.length) throw new DecisionFailure(decision.id, `aggregation ${logic.aggregation} of decision '${decision.id}' needs numbers, got ${JSON.stringify(values)}`);
        output = !numbers.length ? null : logic.aggregation === 'SUM' ? numbers.reduce((a, b) => a + b, 0) : logic.aggregation === 'MIN' ? Math.min(...numbers) : Math.max(...numbers);
      }
      break;
    }
  }
  evaluated.push({
    decisionId: decision.id,
    decisionName: decision.name,
    decisionType: 'DECISION_TABLE',
    output,
    evaluatedInputs: logic.inputs.map((input, i) => ({ inputId: input.id, inputName: input.name, inputValue: inputValues[i] })),
    matchedRules: hits,
  });
  return output;
}

/** The output values list (`"high","medium","low"`) as values, in order. */
function allowedValues(text: string): unknown[] {
  if (!text.trim()) return [];
  try {
    const value = toJson(evaluate(`[${text}]`, {}).value);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

function findCycle(decisions: Map<string, DecisionDef>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | null => {
    if (state.get(id) === 'done' || !decisions.has(id)) return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    for (const required of decisions.get(id)!.requires) {
      const cycle = visit(required, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return null;
  };
  for (const id of decisions.keys()) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return null;
}
