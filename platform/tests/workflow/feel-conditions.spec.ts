import { evaluate } from 'feelin';
import { describe, expect, it } from 'vitest';
import { evaluateExpression, toJson } from '../../src/workflow/engine/feel';

// Gateway conditions answered without the FEEL interpreter must give exactly what the
// interpreter gives (feelin, which the engine uses for every other expression).
const variables = { amount: 1500, small: 3, price: 0.1, negative: -2, done: true, open: false, status: 'open', order: { total: 250, paid: true, lines: [1, 2] }, nothing: null, text: '1500' };

const cases: Array<[string, unknown]> = [
  ['amount > 1000', true],
  ['amount > 1500', false],
  ['amount >= 1500', true],
  ['small < 3', false],
  ['small <= 3', true],
  ['price = 0.1', true],
  ['negative < -1', true],
  ['amount != 1500', false],
  ['done = true', true],
  ['open = true', false],
  ['open != true', true],
  ['status = "open"', true],
  ['status != "open"', false],
  ['order.total > 200', true],
  ['order.paid = true', true],
  // Not answered quickly (the interpreter's answer is used): nulls, missing names, other types.
  ['nothing > 1', null],
  ['missing = 1', false],
  ['missing > 1', null],
  ['text > 1000', true],
  ['status > "a"', true],
  ['done > 1', false],
  ['order.lines = 2', null],
];

describe('FEEL conditions', () => {
  it.each(cases)('%s gives what the FEEL interpreter gives (%s)', (expression, expected) => {
    let interpreted: unknown;
    try {
      const result = evaluate(expression, variables);
      const fatal = result.warnings.find((w) => !['NO_VARIABLE_FOUND', 'NO_CONTEXT_ENTRY_FOUND', 'NO_PROPERTY_FOUND'].includes(w.type));
      interpreted = fatal && result.value === null ? 'error' : toJson(result.value);
    } catch {
      interpreted = 'error';
    }
    let engine: unknown;
    try {
      engine = evaluateExpression(expression, variables);
    } catch {
      engine = 'error';
    }
    expect(interpreted).toEqual(expected);
    expect(engine).toEqual(interpreted);
  });
});
