import { parseExpression, parseUnaryTests } from 'feelin';
import type { ElementProblem } from './supported-elements';

/**
 * Every value starting with "=" in a Camunda 8 model is a FEEL expression: conditions,
 * io mappings, correlation keys, timers, collections, assignees. A syntax error is reported
 * at deploy time, on the element that owns it, instead of as an incident later.
 */
export function feelSyntaxProblems(root: object): ElementProblem[] {
  const problems: ElementProblem[] = [];
  const seen = new Set<object>();
  const visit = (node: any, ownerId: string) => {
    if (!node || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    const id = typeof node.id === 'string' && node.$type?.startsWith('bpmn:') ? node.id : ownerId;
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('$') || key === 'di') continue;
      if (typeof value === 'string') {
        const trimmed = value.trim();
        if (trimmed.startsWith('=')) {
          const at = syntaxErrorAt(trimmed.slice(1));
          if (at !== null) problems.push({ elementId: id, message: `Property <${key}> is not a valid FEEL expression (error at character ${at + 1}): ${trimmed}` });
        }
      } else if (Array.isArray(value)) {
        for (const item of value) visit(item, id);
      } else if (value && typeof value === 'object' && !(key.endsWith('Ref') || key === 'sourceRef' || key === 'targetRef')) {
        visit(value, id);
      }
    }
  };
  visit(root, '(document)');
  return problems;
}

/** Where a FEEL expression (or, with `unary`, a list of unary tests) stops being valid; null when it is valid. */
export function syntaxErrorAt(expression: string, unary = false): number | null {
  if (!expression.trim()) return 0;
  let at: number | null = null;
  (unary ? parseUnaryTests(expression, {}, undefined) : parseExpression(expression, {}, undefined)).iterate({
    enter: (node: { type: { isError: boolean }; from: number }) => {
      if (node.type.isError && at === null) at = node.from;
    },
  });
  return at;
}
