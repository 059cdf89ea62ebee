import type { ZodError } from 'zod';

/** Stable error codes shared by every plug-in; clients switch on these, so never rename one. */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  // Uploads through a plug-in's HTTP routes (413 and 415).
  'FILE_TOO_LARGE',
  'UNSUPPORTED_FILE_TYPE',
  'CREDIT_LIMIT_EXCEEDED',
  'OUT_OF_STOCK',
  'DEALER_BLOCKED',
  'INVALID_BPMN',
  'NOT_SUPPORTED',
  'JOB_INPUT_INVALID',
  'JOB_OUTPUT_INVALID',
  'TEMPLATE_ERROR',
  // A PDF was asked for on a machine without Chromium.
  'PDF_UNAVAILABLE',
  'WORKFLOW_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  // Raised by graphql-js / Apollo before any resolver runs.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
] as const;

export type KnownErrorCode = (typeof ERROR_CODES)[number];
/** Plug-ins may add their own SCREAMING_SNAKE codes next to the shared ones. */
export type ErrorCode = KnownErrorCode | (string & {});

export interface FieldIssue {
  path: string;
  message: string;
}

// A registered symbol survives the dual CJS/ESM copies of this package, where instanceof would not.
const BRAND = Symbol.for('channelflow.error');

/** An error a person can act on: a stable code, a human message, optional structured details. */
export class ChannelflowError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new Error(`error code must be SCREAMING_SNAKE, got "${code}"`);
    this.name = 'ChannelflowError';
    this.code = code;
    this.details = details;
  }
}

export function isChannelflowError(error: unknown): error is ChannelflowError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

export const badInput = (message: string, issues: FieldIssue[] = []) =>
  new ChannelflowError('BAD_INPUT', message, issues.length ? { issues } : undefined);
export const notFound = (what: string, id: string | number) =>
  new ChannelflowError('NOT_FOUND', `${what} ${id} does not exist or is not visible to you`, { what, id: String(id) });
export const forbidden = (message = 'You do not have permission to do this') =>
  new ChannelflowError('FORBIDDEN', message);
export const unauthenticated = (message = 'Sign in first: this operation needs an authenticated user or API token') =>
  new ChannelflowError('UNAUTHENTICATED', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new ChannelflowError('CONFLICT', message, details);

/** Zod issues as field-level details, so a form can point at the offending field. */
export function issuesFromZod(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** "path: message; path: message", the one-line form used in every error message. */
export function summarizeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

export function badInputFromZod(error: ZodError, what = 'input'): ChannelflowError {
  const issues = issuesFromZod(error);
  return badInput(`Invalid ${what}: ${summarizeIssues(issues)}`, issues);
}

/**
 * A business outcome that a BPMN model catches with an error boundary event
 * (Zeebe's ThrowError). The code is matched against the boundary's errorCode.
 */
const BPMN_BRAND = Symbol.for('channelflow.bpmn-error');

export class BpmnError extends Error {
  readonly errorCode: string;
  readonly variables: Record<string, unknown>;
  readonly [BPMN_BRAND] = true;

  constructor(errorCode: string, message: string, variables: Record<string, unknown> = {}) {
    super(message);
    this.name = 'BpmnError';
    this.errorCode = errorCode;
    this.variables = variables;
  }
}

export function isBpmnError(error: unknown): error is BpmnError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BPMN_BRAND] === true
  );
}

/** A unique index refused the write (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE): a lost race. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e?.message ?? '');
}
