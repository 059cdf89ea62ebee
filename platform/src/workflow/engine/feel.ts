import { evaluate } from 'feelin';

export class FeelEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeelEvaluationError';
  }
}

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEYWORDS = new Set(['true', 'false', 'null', 'not', 'and', 'or', 'if', 'then', 'else', 'for', 'some', 'every', 'in', 'return', 'between', 'instance', 'of', 'function']);

/**
 * Evaluates a model value: "=expr" is FEEL, anything else a static string (Camunda 8 rules).
 * A plain variable path (`=order.id`), most io mappings, skips the FEEL interpreter.
 */
export function evaluateValue(value: string | null | undefined, variables: Record<string, unknown>): unknown {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (!trimmed.startsWith('=')) return value;
  return evaluateExpression(trimmed.slice(1), variables);
}

export function evaluateExpression(expression: string, variables: Record<string, unknown>): unknown {
  const source = expression.trim();
  if (PATH.test(source) && !KEYWORDS.has(source.split('.')[0]!)) {
    let current: unknown = variables;
    for (const part of source.split('.')) {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
      current = (current as Record<string, unknown>)[part];
      if (current === undefined) return null;
    }
    return current;
  }
  let result: { value: unknown; warnings: Array<{ type: string; message: string }> };
  try {
    result = evaluate(source, variables);
  } catch (error) {
    throw new FeelEvaluationError(`failed to evaluate expression '${source}': ${(error as Error).message}`);
  }
  const fatal = result.warnings.find((w) => w.type !== 'NO_VARIABLE_FOUND' && w.type !== 'NO_CONTEXT_ENTRY_FOUND' && w.type !== 'NO_PROPERTY_FOUND');
  if (fatal && result.value === null) throw new FeelEvaluationError(`failed to evaluate expression '${source}': ${fatal.message}`);
  return toJson(result.value);
}

/** FEEL temporal values and ranges become the ISO strings a Zeebe variable would hold. */
export function toJson(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.iso === 'string') return v.iso;
    if (v.constructor !== Object) return String(value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  }
  if (typeof value === 'function') return null;
  return value;
}

export function feelTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return 'LIST';
  if (typeof value === 'object') return 'CONTEXT';
  return typeof value === 'boolean' ? 'BOOLEAN' : typeof value === 'number' ? 'NUMBER' : 'STRING';
}
