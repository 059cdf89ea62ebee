export type TemplateErrorCode =
  | 'TEMPLATE_NOT_FOUND'
  | 'TEMPLATE_INVALID'
  | 'TEMPLATE_MISSING_VARIABLE'
  | 'TEMPLATE_RENDER_FAILED';

export interface TemplateErrorDetails {
  filePath?: string;
  variable?: string;
  cause?: unknown;
}

/** The one error type the renderer throws; `code` says whether the caller, the data or the template file is at fault. */
export class TemplateError extends Error {
  readonly code: TemplateErrorCode;
  readonly templateName: string;
  readonly filePath?: string;
  readonly variable?: string;

  constructor(code: TemplateErrorCode, templateName: string, message: string, details: TemplateErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TemplateError';
    this.code = code;
    this.templateName = templateName;
    if (details.filePath !== undefined) this.filePath = details.filePath;
    if (details.variable !== undefined) this.variable = details.variable;
  }
}

/** A template, layout, partial or i18n file that cannot be used as written; the renderer turns it into TEMPLATE_INVALID. */
export class InvalidSourceError extends Error {
  constructor(
    message: string,
    readonly filePath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InvalidSourceError';
  }
}
