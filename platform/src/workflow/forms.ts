import { z } from 'zod';
import { badInput, isCalendarDay, isInstant, type FieldIssue } from '@channelflow/sdk';
import { evaluateValue } from './engine/feel';

/**
 * Validation of a completed user task against its Camunda form (the form-js JSON that Camunda
 * Modeler writes, embedded as zeebe:userTaskForm or linked by form id). Only the fields the form
 * shows may be submitted, so a person completing a task cannot set other process variables.
 */
export interface FormComponent {
  type: string;
  key?: string;
  label?: string;
  path?: string;
  readonly?: boolean | string;
  disabled?: boolean;
  values?: Array<{ label?: string; value: unknown }>;
  valuesKey?: string;
  subtype?: string;
  validate?: { required?: boolean; min?: number; max?: number; minLength?: number; maxLength?: number; pattern?: string };
  conditional?: { hide?: string };
  components?: FormComponent[];
}

export interface CamundaForm {
  id?: string;
  components: FormComponent[];
}

const formShape = z.object({ id: z.string().optional(), components: z.array(z.looseObject({ type: z.string() })) });

/** Parses a form document; a malformed one is reported, not silently ignored. */
export function parseForm(json: string): CamundaForm {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new Error(`the form is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = formShape.safeParse(data);
  if (!parsed.success) throw new Error('the form has no components list (is it a Camunda form?)');
  return parsed.data as CamundaForm;
}

const INPUT_TYPES = new Set(['textfield', 'textarea', 'number', 'checkbox', 'checklist', 'radio', 'select', 'taglist', 'datetime']);

/** The input fields a person fills in, groups flattened (a group's `path` prefixes its keys). */
export function formFields(form: CamundaForm): Array<FormComponent & { key: string }> {
  const fields: Array<FormComponent & { key: string }> = [];
  const walk = (components: FormComponent[], prefix: string) => {
    for (const c of components) {
      if (c.type === 'group' && c.components) walk(c.components, c.path ? `${prefix}${c.path}.` : prefix);
      else if (INPUT_TYPES.has(c.type) && c.key) fields.push({ ...c, key: `${prefix}${c.key}` });
    }
  };
  walk(form.components, '');
  return fields;
}

/**
 * Checks `submitted` against the form and returns the variables to complete the task with.
 * Hidden (conditional), read-only and disabled fields take no value; unknown names are refused.
 */
export function validateAgainstForm(form: CamundaForm, submitted: Record<string, unknown>, taskVariables: Record<string, unknown>): Record<string, unknown> {
  const issues: FieldIssue[] = [];
  const context = { ...taskVariables, ...submitted };
  const accepted = new Set<string>();
  for (const field of formFields(form)) {
    const hidden = field.conditional?.hide ? isTrue(field.conditional.hide, context) : false;
    const readonly = field.disabled === true || (typeof field.readonly === 'string' ? isTrue(field.readonly, context) : field.readonly === true);
    const value = getPath(submitted, field.key);
    if (hidden || readonly) continue;
    accepted.add(field.key);
    const label = field.label ? `${field.label} (${field.key})` : field.key;
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
      if (field.validate?.required) issues.push({ path: field.key, message: `${label} is required` });
      continue;
    }
    const result = fieldSchema(field, taskVariables).safeParse(value);
    if (!result.success) issues.push({ path: field.key, message: `${label}: ${result.error.issues[0]?.message ?? 'invalid'}` });
  }
  for (const name of leafPaths(submitted)) {
    if (![...accepted].some((key) => name === key || name.startsWith(`${key}.`))) {
      issues.push({ path: name, message: `${name} is not a field of this task's form` });
    }
  }
  if (issues.length) throw badInput(`The form is not filled in correctly: ${issues.map((i) => i.message).join('; ')}`, issues);
  return submitted;
}

function fieldSchema(field: FormComponent, taskVariables: Record<string, unknown>): z.ZodType {
  const v = field.validate ?? {};
  const options = () => {
    const list = field.valuesKey ? taskVariables[field.valuesKey] : field.values;
    return Array.isArray(list) ? list.map((o: any) => (o && typeof o === 'object' && 'value' in o ? o.value : o)) : [];
  };
  const oneOf = (value: unknown) => options().some((o) => o === value);
  switch (field.type) {
    case 'textfield':
    case 'textarea': {
      let s = z.string({ error: 'must be text' });
      if (v.minLength !== undefined) s = s.min(v.minLength, `must be at least ${v.minLength} characters`);
      if (v.maxLength !== undefined) s = s.max(v.maxLength, `must be at most ${v.maxLength} characters`);
      if (v.pattern) s = s.regex(new RegExp(`^(?:${v.pattern})$`), `must match ${v.pattern}`);
      return s;
    }
    case 'number': {
      let n = z.number({ error: 'must be a number' });
      if (v.min !== undefined) n = n.min(v.min, `must be at least ${v.min}`);
      if (v.max !== undefined) n = n.max(v.max, `must be at most ${v.max}`);
      return n;
    }
    case 'checkbox':
      return z.boolean({ error: 'must be true or false' });
    case 'radio':
    case 'select':
      return z.unknown().refine(oneOf, `must be one of ${JSON.stringify(options())}`);
    case 'checklist':
    case 'taglist':
      return z.array(z.unknown().refine(oneOf, `must be one of ${JSON.stringify(options())}`), { error: 'must be a list' });
    case 'datetime':
      return z.string().refine((s) => isFormDateTime(field.subtype, s), 'must be an ISO 8601 date/time on a day that exists');
    default:
      return z.unknown();
  }
}

function isTrue(expression: string, variables: Record<string, unknown>): boolean {
  try {
    return evaluateValue(expression.trim().startsWith('=') ? expression : `=${expression}`, variables) === true;
  } catch {
    return false;
  }
}

function getPath(source: Record<string, unknown>, path: string): unknown {
  let current: unknown = source;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Dotted names of the submitted values (a nested object counts by its leaves). */
function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([name, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? leafPaths(v as Record<string, unknown>, `${prefix}${name}.`) : [`${prefix}${name}`],
  );
}

/** A Camunda form's datetime value: a day (subtype date), a time of day, or a date-time whose offset the form may leave out. */
function isFormDateTime(subtype: string | undefined, value: string): boolean {
  if (subtype === 'date') return isCalendarDay(value);
  if (subtype === 'time') return !Number.isNaN(Date.parse(`1970-01-01T${value}`));
  return isInstant(value) || isInstant(`${value}Z`);
}
