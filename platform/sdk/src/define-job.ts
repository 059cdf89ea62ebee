import { z } from 'zod';
import type { Core } from '@strapi/strapi';

/** What a handler knows about the job it is running; `key` is the idempotency key for any write. */
export interface JobInfo {
  key: string;
  type: string;
  processInstanceKey?: string;
  bpmnProcessId?: string;
  elementId?: string;
  retries?: number;
  customHeaders: Record<string, string>;
}

export interface JobLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface JobContext<I> {
  input: I;
  job: JobInfo;
  strapi: Core.Strapi;
  log: JobLogger;
}

export interface JobDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** `<domain>.<verb>-<noun>`, e.g. `dealers.check-duplicates`. */
  type: string;
  /** Palette label in the modeller, e.g. "Dealers: check duplicates". */
  title: string;
  description: string;
  input: I;
  output: O;
  /** Retries the BPMN gets by default when this job type is picked from the palette. */
  retries: number;
  handler: (ctx: JobContext<z.output<I>>) => Promise<z.input<O>>;
}

export type JobDefinitionInput<I extends z.ZodType, O extends z.ZodType> = Omit<JobDefinition<I, O>, 'retries'> & {
  retries?: number;
};

export const JOB_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9]*(-[a-z0-9]+)+$/;

export function defineJob<I extends z.ZodType, O extends z.ZodType>(
  definition: JobDefinitionInput<I, O>,
): JobDefinition<I, O> {
  if (!JOB_TYPE_PATTERN.test(definition.type)) {
    throw new Error(`job type "${definition.type}" must look like <domain>.<verb>-<noun>, e.g. "dealers.check-duplicates"`);
  }
  if (!(definition.input instanceof z.ZodObject)) {
    throw new Error(`job "${definition.type}": input must be a z.object(...) so its fields map to process variables`);
  }
  if (!(definition.output instanceof z.ZodObject)) {
    throw new Error(`job "${definition.type}": output must be a z.object(...) so its fields map to process variables`);
  }
  const retries = definition.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`job "${definition.type}": retries must be a whole number ≥ 0`);
  return Object.freeze({ ...definition, retries });
}
