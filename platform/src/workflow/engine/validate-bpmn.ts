import { feelSyntaxProblems } from './feel-syntax';
import { unsupportedElements, type ElementProblem } from './supported-elements';

// bpmn-moddle 10 is ESM-only with a named export; Node 20.19+ can require() it.
const { BpmnModdle } = require('bpmn-moddle');
const zeebeSchema = require('zeebe-bpmn-moddle/resources/zeebe.json');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

/** Camunda 8.8 rules: element types, job types, FEEL syntax, timers, messages. */
const linter = new Linter({ config: { extends: 'plugin:camunda-compat/camunda-cloud-8-8' }, resolver: new NodeResolver() });

export interface ParsedProcess {
  bpmnProcessId: string;
  name: string | null;
  /** `zeebe:versionTag`: what call activities with bindingType="versionTag" ask for. */
  versionTag: string | null;
}

export type ValidationResult = { ok: true; processes: ParsedProcess[] } | { ok: false; problems: ElementProblem[] };

/** Parses and checks one BPMN resource; every problem names its element. */
export async function validateBpmn(xml: string): Promise<ValidationResult> {
  let definitions: any;
  let warnings: Array<{ property?: string; value?: string; element?: any }> = [];
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  try {
    const parsed = await moddle.fromXML(xml);
    definitions = parsed.rootElement;
    warnings = parsed.warnings ?? [];
  } catch (error: any) {
    return { ok: false, problems: [{ elementId: '(document)', message: `not valid BPMN XML: ${firstLine(error.message)}` }] };
  }
  const processes = (definitions.rootElements ?? []).filter((e: { $type: string }) => e.$type === 'bpmn:Process');
  const executable = processes.filter((p: { isExecutable?: boolean }) => p.isExecutable);
  if (!executable.length) {
    return { ok: false, problems: [{ elementId: '(document)', message: 'contains no executable process (isExecutable="true")' }] };
  }
  const problems: ElementProblem[] = [];
  // An activityRef naming nothing would otherwise read as "compensate everything".
  for (const warning of warnings) {
    if (warning.property === 'bpmn:activityRef') {
      problems.push({ elementId: warning.element?.$parent?.id ?? warning.element?.id ?? '(document)', message: `The referenced compensation activity '${warning.value}' doesn't exist` });
    }
  }
  const reports: Record<string, Array<{ id: string; message: string; category: string }>> = await linter.lint(definitions);
  for (const [rule, entries] of Object.entries(reports)) {
    // feel-syntax.ts checks every FEEL value (conditions too) and says where it breaks.
    if (rule === 'camunda-compat/feel') continue;
    for (const entry of entries) {
      if (entry.category === 'error') problems.push({ elementId: entry.id, message: `${entry.message} (${rule})` });
    }
  }
  for (const process of executable) problems.push(...unsupportedElements(process), ...feelSyntaxProblems(process));
  if (problems.length) return { ok: false, problems: dedupe(problems) };
  return {
    ok: true,
    processes: executable.map((p: { id: string; name?: string; extensionElements?: { values?: Array<{ $type: string; value?: string }> } }) => ({
      bpmnProcessId: p.id,
      name: p.name ?? null,
      versionTag: p.extensionElements?.values?.find((v) => v.$type === 'zeebe:VersionTag')?.value?.trim() || null,
    })),
  };
}

function dedupe(problems: ElementProblem[]): ElementProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.elementId}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function firstLine(text: string): string {
  return String(text).split('\n')[0]!.slice(0, 300);
}
