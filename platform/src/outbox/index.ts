import { randomUUID } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { eventCatalog, isChannelflowError, issuesFromZod, notifications, platformRegistry, setAfterCommit, summarizeIssues, type AfterCommit, type DomainEvent } from '@channelflow/sdk';
import { workflowRuntime } from '../workflow';
import { engineQueries } from '../workflow/engine/queries';
import { Dispatcher, dispatchSettings, type Deliverer, type EffectRow } from './dispatcher';
import { EFFECTS, HANDLED, ensureOutboxSchema, type EffectKind } from './schema';

export { EFFECTS, HANDLED } from './schema';

const DISPATCHER = 'channelflow.outbox-dispatcher';

/** This platform's dispatcher (after installOutboxEffects). */
export function dispatcherOf(strapi: Core.Strapi): Dispatcher {
  return strapi.get(DISPATCHER) as Dispatcher;
}

/**
 * The one transactional outbox: process starts, messages, e-mails and domain events written with
 * the caller's transaction and delivered after it commits (see dispatcher.ts). `deliverEmail`
 * is the e-mail outbox's delivery of a stored message (notify/outbox-provider.ts).
 */
export async function installOutboxEffects(strapi: Core.Strapi, deliverEmail: (messageId: number) => Promise<Record<string, unknown> | null>): Promise<Dispatcher> {
  const knex = strapi.db.connection as unknown as Knex;
  await ensureOutboxSchema(knex);
  const deliverers: Record<EffectKind, Deliverer> = {
    process: (row) => startProcessOnce(strapi, row),
    message: (row) => publishOnce(strapi, row),
    email: (row) => deliverEmail(Number(row.payload.messageId)),
    event: (row) => handleEvent(strapi, row.payload as DomainEvent),
  };
  const dispatcher = new Dispatcher(strapi, deliverers, dispatchSettings());
  const catalog = eventCatalog(strapi);
  for (const [name, handlers] of catalog.handlers) {
    // A misspelt event name would otherwise wait for ever, silently.
    if (!catalog.schemas.has(name)) strapi.log.warn(`[outbox] ${handlers.map((h) => h.name.split(':')[0]).join(', ')} handle${handlers.length > 1 ? '' : 's'} "${name}", which no plug-in declares`);
  }
  strapi.add(DISPATCHER, () => dispatcher);

  const afterCommit: AfterCommit = {
    async startProcess({ idempotencyKey, ...input }) {
      if (!input.businessKey) throw new Error(`afterCommit().startProcess(${input.bpmnProcessId}) needs a businessKey, so a redelivery finds what a first delivery started`);
      await putEffect(strapi, 'process', idempotencyKey, input);
    },
    async publishMessage(input) {
      const messageId = input.messageId ?? `${input.name}:${input.correlationKey}`;
      await putEffect(strapi, 'message', `message:${input.name}:${input.correlationKey}:${messageId}`, { ...input, messageId });
    },
    sendEmail: (input) => notifications(strapi).sendEmail(input),
    async emit(name, payload, options) {
      const declared = eventCatalog(strapi).schemas.get(name);
      if (!declared) throw new Error(`Event "${name}" is not declared: the emitting plug-in lists it in definePlugin({ events: { '${name}': schema } })`);
      const parsed = declared.schema.safeParse(payload);
      if (!parsed.success) throw new Error(`Event ${name} does not match its schema: ${summarizeIssues(issuesFromZod(parsed.error as any))}`);
      const eventId = options?.eventId ?? randomUUID();
      const event: DomainEvent = { id: eventId, name, payload: parsed.data, emittedAt: new Date().toISOString() };
      await putEffect(strapi, 'event', `event:${eventId}`, event);
      return { eventId };
    },
    async settle(key, timeoutMs) {
      if (!dispatcher.settings.enabled) return null;
      return dispatcher.settle(key, timeoutMs);
    },
  };
  setAfterCommit(strapi, afterCommit);
  return dispatcher;
}

/**
 * Starts the process; on a redelivery (an earlier claim may have started it and died before
 * recording so) the embedded engine is first asked for an instance of that process and business
 * key started since the effect was written, so the process starts once.
 */
async function startProcessOnce(strapi: Core.Strapi, row: EffectRow) {
  const { recordKeyOn, ...input } = row.payload as { bpmnProcessId: string; version?: number; variables: Record<string, unknown>; businessKey: string; recordKeyOn?: { uid: string; id: number; fields: string[] } };
  const processes = platformRegistry(strapi).processes();
  if (!processes) throw new Error('the workflow runtime is not running yet');
  let started: { processInstanceKey: string } | null = row.attempts > 1 ? await startedBefore(strapi, input.bpmnProcessId, input.businessKey, row.createdAt) : null;
  started ??= await processes.startProcess(input);
  if (recordKeyOn) {
    await strapi.db.query(recordKeyOn.uid as any).update({ where: { id: recordKeyOn.id }, data: Object.fromEntries(recordKeyOn.fields.map((f) => [f, started!.processInstanceKey])) });
  }
  return { ...started };
}

async function startedBefore(strapi: Core.Strapi, bpmnProcessId: string, businessKey: string, since: number) {
  // Zeebe has no such lookup: there a redelivery after a crash mid-start may start a second instance.
  if (!workflowRuntime(strapi).engine) return null;
  const found = await engineQueries(strapi.db.connection as unknown as Knex).startedWithBusinessKey(bpmnProcessId, businessKey, since);
  return found ? { ...found, bpmnProcessId, redelivered: true } : null;
}

/** The engine keeps message ids (Zeebe too, while the message lives): a redelivered one is refused as already published. */
async function publishOnce(strapi: Core.Strapi, row: EffectRow) {
  const processes = platformRegistry(strapi).processes();
  if (!processes) throw new Error('the workflow runtime is not running yet');
  try {
    return await processes.publishMessage(row.payload);
  } catch (error) {
    if (isChannelflowError(error) && error.code === 'CONFLICT' && /already (been )?published/.test(error.message)) return { alreadyPublished: true };
    throw error;
  }
}

/**
 * Runs every handler subscribed to the event that has not handled it yet, each in its own
 * transaction together with the record that it did, so a redelivery skips it. One failing
 * handler fails the delivery (retried later) without undoing the others.
 */
async function handleEvent(strapi: Core.Strapi, event: DomainEvent) {
  const knex = strapi.db.connection as unknown as Knex;
  const handlers = eventCatalog(strapi).handlers.get(event.name) ?? [];
  const failures: string[] = [];
  let handled = 0;
  for (const handler of handlers) {
    if (await knex(HANDLED).where({ event_id: event.id, handler: handler.name }).first()) continue;
    try {
      await strapi.db.transaction(async ({ trx }) => {
        await handler.handle({ event, strapi });
        await (trx as unknown as Knex)(HANDLED).insert({ event_id: event.id, handler: handler.name, handled_at: Date.now() });
      });
      handled += 1;
    } catch (error) {
      failures.push(`${handler.name}: ${(error as Error)?.message ?? error}`);
    }
  }
  if (failures.length) throw new Error(failures.join('; '));
  return { handlers: handlers.length, handled };
}

/** In a transaction: written with it, nudged after its commit. Outside one: written and delivered now. */
export async function putEffect(strapi: Core.Strapi, kind: EffectKind, key: string, payload: unknown): Promise<void> {
  const dispatcher = dispatcherOf(strapi);
  if (strapi.db.inTransaction()) {
    await strapi.db.transaction(async ({ trx, onCommit }) => {
      await dispatcher.write(trx as unknown as Knex, kind, key, payload);
      onCommit(() => dispatcher.nudge());
    });
    return;
  }
  await dispatcher.write(strapi.db.connection as unknown as Knex, kind, key, payload);
  if (dispatcher.settings.enabled) await dispatcher.settle(key, 0);
}

/** For admins: how many effects wait, how many failed, and the failed ones with their last error. */
export async function effectCounters(strapi: Core.Strapi) {
  const knex = strapi.db.connection as unknown as Knex;
  const rows: Array<{ state: string; n: number | string }> = await knex(EFFECTS).select('state').count({ n: '*' }).groupBy('state');
  const n = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
  return { pending: n('pending'), failed: n('failed'), delivered: n('delivered') };
}

export async function listEffects(strapi: Core.Strapi, state: 'pending' | 'failed' | 'delivered', page: { page: number; pageSize: number }) {
  const knex = strapi.db.connection as unknown as Knex;
  const [rows, [count]] = await Promise.all([
    knex(EFFECTS).where({ state }).orderBy('id', 'desc').offset((page.page - 1) * page.pageSize).limit(page.pageSize),
    knex(EFFECTS).where({ state }).count({ n: '*' }),
  ]);
  return { nodes: rows.map(toEffect), total: Number(count?.n ?? 0), ...page };
}

export function toEffect(row: any) {
  return {
    key: row.key,
    kind: row.kind,
    state: row.state,
    attempts: Number(row.attempts),
    lastError: row.last_error ?? null,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    nextAttemptAt: row.state === 'pending' ? new Date(Number(row.next_attempt_at)).toISOString() : null,
    deliveredAt: row.delivered_at ? new Date(Number(row.delivered_at)).toISOString() : null,
  };
}
