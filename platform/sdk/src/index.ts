export { definePlugin, extendGraphql, mergeGraphql, afterAnyChange, appendOnly } from './define-plugin';
export { notifications } from './notifications';
export { workflows } from './workflows';
export { afterCommit, setAfterCommit, eventCatalog } from './outbox';
export type { AfterCommit, StartProcessEffect, PublishMessageEffect, EmitOptions, DeliveredEffect, DomainEvent, EventHandler } from './outbox';
export { rateLimit } from './rate-limit';
export { equalizeFailure, equalizePasswordFailure, notePasswordWork } from './password-timing';
export { rawBody } from './http';
export type { HttpRoute, HttpContext } from './http';
export type { Workflows, StartProcessInput, PublishMessageInput } from './workflows';
export type { Notifications, OutboxMessage, SendEmailInput } from './notifications';
export type { PluginDefinition, GraphqlExtension, ContentTypeDefinition, AdminReadOnly, StrapiPluginServer } from './define-plugin';
export { defineJob, JOB_TYPE_PATTERN } from './define-job';
export type { JobDefinition, JobContext, JobInfo, JobLogger } from './define-job';
export { toElementTemplate } from './element-template';
export type { ElementTemplate } from './element-template';
export {
  PlatformRegistry,
  platformRegistry,
  STAFF_ROLES,
  KNOWN_STAFF_ROLES,
  DEALER_PORTAL_ROLE,
  renameColumns,
} from './registry';
export type { StaffRole, KnownStaffRole, RoleDefinition, MigrationDefinition, TenantProvider, TenantMembership, DemoLogin, PluginManifest, SeedContext, RunJobContext, WorkflowRuntimeInfo } from './registry';
export {
  staffScope,
  dealerScope,
  publicScope,
  isScopedResolver,
  bindScopedResolver,
  parseArgs,
  presentArgs,
  parseInput,
  pageArgs,
  parsePage,
  paginate,
  inTransaction,
  withKnex,
  actorName,
  formatMinor,
  DEALER_ROLES,
} from './graphql';
export type {
  ScopedResolver,
  StaffContext,
  DealerContext,
  PublicContext,
  StaffActor,
  DealerRole,
  DealerRef,
  Page,
  AuthenticatedUser,
} from './graphql';
export { templates } from './templates';
export { printablePage, printDocument, printToPdf, PRINTABLE_PAGE_CSP, PRINTABLE_PAGE_DIRECTIVES, type PdfPrinter, type PrintedDocument } from './printable';
export type { TemplateRenderer, RenderedTemplate } from './templates';
export {
  ChannelflowError,
  BpmnError,
  ERROR_CODES,
  isChannelflowError,
  isBpmnError,
  isUniqueViolation,
  badInput,
  badInputFromZod,
  issuesFromZod,
  summarizeIssues,
  notFound,
  forbidden,
  unauthenticated,
  conflict,
} from './errors';
export type { ErrorCode, KnownErrorCode, FieldIssue } from './errors';
export { defineLedger, IdempotencyKeyTaken, fingerprint, sameRequest, guardConditions, violatedGuards } from './ledger';
export type { LedgerDefinition, LedgerOptions, Ledger, BalanceGuard, GuardCondition, Deltas, LockOptions, PostResult } from './ledger';
export { forUpdate } from './sql';
export { isoDate, isoDateTime, dayOf, today, addDays, isCalendarDay, isInstant } from './dates';
export { dealerWhere, staffListScope } from './lists';
export type { DealerListScope } from './lists';
export { defineStateMachine } from './state-machine';
export type { StateMachine, StateMachineOptions, BoundStateMachine, Transition, MoveOptions } from './state-machine';
export { service } from './services';
export type { PluginServices, PluginName, ServiceName, ServiceFactories } from './services';
export { defineOptions, optionEnvName, optionsFromEnv, publicUrl } from './options';
export type { PluginOptions, OptionDescription } from './options';
