import { describe, expect, it } from 'vitest';
import { formFields, parseForm, validateAgainstForm, type CamundaForm } from '../../src/workflow/forms';

const form: CamundaForm = {
  components: [
    { type: 'text', key: undefined },
    { type: 'textfield', key: 'name', label: 'Name', validate: { required: true, minLength: 2, pattern: '[A-Za-z ]+' } },
    { type: 'checkbox', key: 'urgent' },
    { type: 'radio', key: 'channel', valuesKey: 'channels' },
    { type: 'checklist', key: 'regions', values: [{ value: 'east' }, { value: 'south' }] },
    { type: 'datetime', key: 'deliverOn', subtype: 'date' },
    { type: 'group', path: 'address', components: [{ type: 'textfield', key: 'city', validate: { required: true } }] },
    { type: 'textarea', key: 'why', conditional: { hide: '=urgent != true' }, validate: { required: true } },
    { type: 'textfield', key: 'computed', readonly: '=true' },
  ],
};
const taskVariables = { channels: [{ label: 'Online', value: 'online' }, { label: 'Store', value: 'store' }] };
const check = (values: Record<string, unknown>) => () => validateAgainstForm(form, values, taskVariables);
const valid = { name: 'Chen Li', address: { city: 'Hangzhou' } };

describe('validating a completed task against its Camunda form', () => {
  it('lists the input fields, groups flattened under their path', () => {
    expect(formFields(form).map((f) => f.key)).toEqual(['name', 'urgent', 'channel', 'regions', 'deliverOn', 'address.city', 'why', 'computed']);
  });

  it('accepts values that fit and returns them unchanged', () => {
    const full = { ...valid, urgent: true, why: 'launch', channel: 'store', regions: ['east'], deliverOn: '2026-12-01' };
    expect(validateAgainstForm(form, full, taskVariables)).toEqual(full);
  });

  it.each([
    [{ address: { city: 'Hangzhou' } }, 'Name (name) is required'],
    [{ ...valid, name: 'C' }, 'at least 2 characters'],
    [{ ...valid, name: 'Chen1' }, 'must match [A-Za-z ]+'],
    [{ ...valid, urgent: 'yes' }, 'must be true or false'],
    [{ ...valid, channel: 'fax' }, 'must be one of ["online","store"]'],
    [{ ...valid, regions: ['north'] }, 'must be one of ["east","south"]'],
    [{ ...valid, deliverOn: 'next week' }, 'ISO 8601'],
    [{ ...valid, deliverOn: '2026-02-30' }, 'a day that exists'],
    [{ ...valid, deliverOn: '2026-13-01' }, 'a day that exists'],
    [{ name: 'Chen Li' }, 'address.city is required'],
    [{ ...valid, urgent: true }, 'why is required'],
    [{ ...valid, why: 'hidden unless urgent' }, 'why is not a field'],
    [{ ...valid, computed: 'x' }, 'computed is not a field'],
    [{ ...valid, creditLimitCents: 1 }, 'creditLimitCents is not a field'],
    [{ ...valid, address: { city: 'Hangzhou', zip: '310000' } }, 'address.zip is not a field'],
  ])('refuses %j (%s)', (values, message) => {
    expect(check(values)).toThrow(message);
  });

  it('reports a malformed form instead of skipping validation', () => {
    expect(() => parseForm('{"components": 3}')).toThrow('no components list');
    expect(() => parseForm('<form/>')).toThrow('not valid JSON');
  });
});
