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
  const compared = quickComparison(source, variables);
  if (compared !== undefined) return compared;
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

const COMPARISON = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(<=|>=|!=|<|>|=)\s*(-?\d+(?:\.\d+)?|true|false|"[^"\\]*")$/;

/**
 * The commonest gateway condition, a variable compared with a literal (`amount > 1000`,
 * `fullyInvoiced = true`, `status = "open"`), answered without parsing FEEL when the variable
 * holds a value of the literal's type; undefined means "ask the FEEL interpreter" (anything
 * else: nulls, other types, functions), so the result is always the interpreter's.
 */
function quickComparison(source: string, variables: Record<string, unknown>): boolean | undefined {
  const match = COMPARISON.exec(source);
  if (!match) return undefined;
  const [, path, operator, literal] = match as unknown as [string, string, string, string];
  if (KEYWORDS.has(path.split('.')[0]!)) return undefined;
  let value: unknown = variables;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'number' && /^-?\d/.test(literal)) {
    const other = Number(literal);
    if (!Number.isFinite(value)) return undefined;
    switch (operator) {
      case '<': return value < other;
      case '<=': return value <= other;
      case '>': return value > other;
      case '>=': return value >= other;
      case '=': return value === other;
      default: return value !== other;
    }
  }
  const other = literal === 'true' ? true : literal === 'false' ? false : literal.startsWith('"') ? literal.slice(1, -1) : undefined;
  if (other === undefined || typeof value !== typeof other || (operator !== '=' && operator !== '!=')) return undefined;
  return operator === '=' ? value === other : value !== other;
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
