import type { Core } from '@strapi/strapi';
import type { ZodType } from 'zod';
import type { OutboxMessage, SendEmailInput } from './notifications';
import type { PublishMessageInput, StartProcessInput } from './workflows';

export interface StartProcessEffect extends StartProcessInput {
  /** Required: a redelivery finds the instance a first delivery started by it, so the process starts once. */
  businessKey: string;
  /** A second effect with the same key is a no-op. */
  idempotencyKey: string;
  /** Where the started instance's key is written once it runs (a row of the caller's own content type). */
  recordKeyOn?: { uid: string; id: number; fields: string[] };
}

export interface PublishMessageEffect extends PublishMessageInput {
  /** The engine's message id (so a redelivery is published once) and the outbox key; defaults to `<name>:<correlationKey>`. */
  messageId?: string;
}

export interface EmitOptions {
  /** The event id, also the outbox key: emitting the same id twice is one event. Random when not given. */
  eventId?: string;
}

export interface DeliveredEffect {
  key: string;
  state: 'pending' | 'delivered' | 'failed';
  result: Record<string, unknown> | null;
  lastError: string | null;
}

/**
 * Effects that must happen once the caller's writes are committed, and only then: inside a
 * database transaction each is written to the platform's outbox table in that transaction and
 * delivered after the commit (at least once, retried with back-off, keyed so a redelivery does
 * nothing twice); outside one it is written and delivered right away.
 */
export interface AfterCommit {
  startProcess(input: StartProcessEffect): Promise<void>;
  publishMessage(input: PublishMessageEffect): Promise<void>;
  /** The outbox e-mail (notifications().sendEmail): queued with the transaction, delivered after it. */
  sendEmail(input: SendEmailInput): Promise<OutboxMessage>;
  /** A domain event the emitting plug-in declared in `definePlugin({ events })`; a payload off its schema throws here. */
  emit(name: string, payload: unknown, options?: EmitOptions): Promise<{ eventId: string }>;
  /** After the commit: delivers the effect now if nobody has (waiting up to `timeoutMs` for another process), and says how it went. */
  settle(idempotencyKey: string, timeoutMs?: number): Promise<DeliveredEffect | null>;
}

export interface DomainEvent<P = unknown> {
  id: string;
  name: string;
  payload: P;
  emittedAt: string;
}

export type EventHandler = (ctx: { event: DomainEvent<any>; strapi: Core.Strapi }) => unknown | Promise<unknown>;

interface EventCatalog {
  schemas: Map<string, { plugin: string; schema: ZodType }>;
  handlers: Map<string, Array<{ name: string; handle: EventHandler }>>;
}

const catalogs = new WeakMap<Core.Strapi, EventCatalog>();
const implementations = new WeakMap<Core.Strapi, AfterCommit>();

/** The events every plug-in declared and the handlers subscribed to them (filled as plug-ins register). */
export function eventCatalog(strapi: Core.Strapi): EventCatalog {
  let catalog = catalogs.get(strapi);
  if (!catalog) catalogs.set(strapi, (catalog = { schemas: new Map(), handlers: new Map() }));
  return catalog;
}

export function declareEvents(strapi: Core.Strapi, plugin: string, events: Record<string, ZodType> = {}, on: Record<string, EventHandler> = {}): void {
  const catalog = eventCatalog(strapi);
  for (const [name, schema] of Object.entries(events)) {
    if (!name.startsWith(`${plugin}.`)) throw new Error(`${plugin}: event "${name}" must be named <plug-in>.<event> (${plugin}.…)`);
    if (catalog.schemas.has(name)) throw new Error(`event "${name}" is declared twice`);
    catalog.schemas.set(name, { plugin, schema });
  }
  for (const [name, handle] of Object.entries(on)) {
    const list = catalog.handlers.get(name) ?? [];
    list.push({ name: `${plugin}:${name}`, handle });
    catalog.handlers.set(name, list);
  }
}

/** Installed by the platform at bootstrap. */
export function setAfterCommit(strapi: Core.Strapi, implementation: AfterCommit): void {
  implementations.set(strapi, implementation);
}

export function afterCommit(strapi: Core.Strapi): AfterCommit {
  const implementation = implementations.get(strapi);
  if (!implementation) throw new Error('the platform outbox is not installed yet (afterCommit() is for requests and jobs, not for register())');
  return implementation;
}
