import { z } from 'zod';
import type { JobDefinition } from './define-job';

/** A Camunda 8 element template, so admins pick a job type from the modeller's palette. */
export interface ElementTemplate {
  $schema: string;
  name: string;
  id: string;
  description: string;
  version: number;
  appliesTo: string[];
  elementType: { value: string };
  category: { id: string; name: string };
  properties: Array<Record<string, unknown>>;
}

const SCHEMA_URL = 'https://unpkg.com/@camunda/zeebe-element-templates-json-schema/resources/schema.json';

export function toElementTemplate(job: JobDefinition, version = 1): ElementTemplate {
  const domain = job.type.split('.')[0]!;
  const inputSchema = z.toJSONSchema(job.input, { io: 'input', unrepresentable: 'any' }) as JsonObjectSchema;
  const outputSchema = z.toJSONSchema(job.output, { io: 'output', unrepresentable: 'any' }) as JsonObjectSchema;
  const required = new Set(inputSchema.required ?? []);

  const inputs = Object.entries(inputSchema.properties ?? {}).map(([name, schema]) => ({
    label: schema.title ?? humanise(name),
    description: schema.description ?? `${describeType(schema)} process variable`,
    group: 'inputs',
    type: 'String',
    feel: 'required',
    value: `=${name}`,
    optional: !required.has(name),
    binding: { type: 'zeebe:input', name },
    ...(required.has(name) ? { constraints: { notEmpty: true } } : {}),
  }));
  const outputs = Object.keys(outputSchema.properties ?? {}).map((name) => ({
    label: `Result: ${humanise(name)}`,
    group: 'outputs',
    type: 'String',
    value: name,
    binding: { type: 'zeebe:output', source: `=${name}` },
  }));

  return {
    $schema: SCHEMA_URL,
    name: job.title,
    id: `channelflow.${job.type}`,
    description: job.description,
    version,
    appliesTo: ['bpmn:Task'],
    elementType: { value: 'bpmn:ServiceTask' },
    category: { id: `channelflow.${domain}`, name: humanise(domain) },
    properties: [
      { type: 'Hidden', value: job.type, binding: { type: 'zeebe:taskDefinition', property: 'type' } },
      {
        label: 'Retries',
        group: 'job',
        type: 'String',
        value: String(job.retries),
        binding: { type: 'zeebe:taskDefinition', property: 'retries' },
      },
      ...inputs,
      ...outputs,
    ],
  };
}

interface JsonObjectSchema {
  properties?: Record<string, { title?: string; description?: string; type?: string | string[] }>;
  required?: string[];
}

function describeType(schema: { type?: string | string[] }): string {
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
}

function humanise(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
