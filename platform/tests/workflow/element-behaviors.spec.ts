import { describe, expect, it } from 'vitest';
import { behaviorOf, executableElementTypes } from '../../src/workflow/engine/behaviors';
import { FLOW_NODES } from '../../src/workflow/engine/supported-elements';

// Deploy accepts exactly what the engine can run: a type accepted without a behaviour would be
// run wrongly (or fail mid-instance), a behaviour without deploy coverage is dead code.
describe('element behaviours', () => {
  it('every flow node type deploy accepts has a behaviour, and every behaviour is for one deploy accepts (the process aside)', () => {
    expect([...executableElementTypes()].filter((t) => t !== 'bpmn:Process').sort()).toEqual(Object.keys(FLOW_NODES).sort());
  });

  it('an element type with no behaviour is an engine bug, named, never passed through', () => {
    expect(() => behaviorOf('bpmn:Transaction')).toThrow(/no behaviour for element type 'bpmn:Transaction'/);
  });
});
