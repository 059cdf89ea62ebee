import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import type { DeliveredEffect } from '@channelflow/sdk';
import { EFFECTS, HANDLED, type EffectKind } from './schema';

/** What a stored effect row looks like to a deliverer. */
export interface EffectRow {
  id: number;
  key: string;
  kind: EffectKind;
  payload: any;
  attempts: number;
  createdAt: number;
  token: string;
}

/** Delivers one effect; returns what to keep as its result. Throws to have it retried. */
export type Deliverer = (row: EffectRow) => Promise<Record<string, unknown> | null>;

export interface DispatchSettings {
  /** OUTBOX_DISPATCH_BATCH: effects claimed per round (default 50). */
  batch: number;
  /** OUTBOX_DISPATCH_INTERVAL_MS: at most one full batch per interval under load (default 1000). */
  intervalMs: number;
  /** OUTBOX_LEASE_MS: how long a claim holds before another process may take the effect over (default 30000). */
  leaseMs: number;
  /** OUTBOX_MAX_ATTEMPTS: deliveries tried before an effect is recorded as failed (default 8). */
  maxAttempts: number;
  /** OUTBOX_RETRY_BASE_MS: the first retry's delay, doubled per attempt up to ten minutes (default 1000). */
  retryBaseMs: number;
  /** OUTBOX_DISPATCHER=off: this process writes effects but delivers none (another instance does). */
  enabled: boolean;
  /** OUTBOX_KEEP_DELIVERED_DAYS: how long a delivered effect (and so its key) is kept (default 30). */
  keepDeliveredDays: number;
}

export function dispatchSettings(env: NodeJS.ProcessEnv = process.env): DispatchSettings {
  const num = (name: string, fallback: number, min = 1) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${env[name]}"`);
    return value;
  };
  const enabled = (env.OUTBOX_DISPATCHER ?? 'on').toLowerCase();
  if (!['on', 'off'].includes(enabled)) throw new Error(`OUTBOX_DISPATCHER must be on or off, got "${env.OUTBOX_DISPATCHER}"`);
  return {
    batch: num('OUTBOX_DISPATCH_BATCH', 50),
    intervalMs: num('OUTBOX_DISPATCH_INTERVAL_MS', 1000, 0),
    leaseMs: num('OUTBOX_LEASE_MS', 30_000, 100),
    maxAttempts: num('OUTBOX_MAX_ATTEMPTS', 8),
    retryBaseMs: num('OUTBOX_RETRY_BASE_MS', 1000, 0),
    enabled: enabled === 'on',
    keepDeliveredDays: num('OUTBOX_KEEP_DELIVERED_DAYS', 30),
  };
}

const CONCURRENCY = 8;
const MAX_BACKOFF_MS = 600_000;
const PURGE_EVERY_MS = 3_600_000;

/**
 * Delivers what committed transactions left in the outbox table, at least once. Rows are claimed
 * with a guarded UPDATE (a lease), so several platform processes on one database never deliver
 * the same effect at the same time, and a process that dies mid-delivery leaves its claim to
 * expire. Idle, it sleeps until the next retry is due (or ten intervals); a commit that wrote
 * effects nudges it.
 */
export class Dispatcher {
  private readonly owner = randomBytes(6).toString('hex');
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private lastRun = 0;
  private stopped = true;
  private rounds = 0;
  private lastPurge = 0;

  constructor(
    private readonly strapi: Core.Strapi,
    private readonly deliverers: Record<EffectKind, Deliverer>,
    readonly settings: DispatchSettings,
  ) {}

  private get knex(): Knex {
    return this.strapi.db.connection as unknown as Knex;
  }

  start() {
    if (!this.settings.enabled) return;
    this.stopped = false;
    this.schedule(0);
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Effects were committed: deliver soon (at once when the last round is an interval ago). */
  nudge() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(Math.max(0, this.settings.intervalMs - (Date.now() - this.lastRun)));
  }

  /** Stores an effect (in the caller's transaction when there is one); a second one with the same key is a no-op. */
  async write(trxOrKnex: Knex, kind: EffectKind, key: string, payload: unknown): Promise<void> {
    const now = Date.now();
    await trxOrKnex(EFFECTS)
      .insert({ key, kind, payload: JSON.stringify(payload), state: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
      .onConflict('key')
      .ignore();
  }

  /** Delivers the effect `key` now unless another process holds it; waits up to `timeoutMs` for that one. */
  async settle(key: string, timeoutMs = 5000): Promise<DeliveredEffect | null> {
    const claimed = await this.claim((q) => q.where({ key }));
    if (claimed.length) await this.deliver(claimed[0]!);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.knex(EFFECTS).where({ key }).first();
      if (!row) return null;
      // Delivered, failed, or waiting for its retry: nobody is delivering it right now.
      const done = row.state !== 'pending' || row.lease_until === null;
      if (done || Date.now() >= deadline) return toDelivered(row);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Puts a failed (or pending) effect back for delivery now, with its attempts counted afresh. */
  async reschedule(key: string): Promise<boolean> {
    const changed = await this.knex(EFFECTS).where({ key }).whereNot({ state: 'delivered' }).update({ state: 'pending', attempts: 0, next_attempt_at: Date.now(), lease_until: null, leased_by: null });
    return changed > 0;
  }

  /** One round: claims up to a batch of due effects and delivers them, a few at a time. Returns how many it claimed. */
  async round(): Promise<number> {
    const claimed = await this.claim((q) => q.orderBy('id', 'asc').limit(this.settings.batch));
    for (let i = 0; i < claimed.length; i += CONCURRENCY) {
      await Promise.all(claimed.slice(i, i + CONCURRENCY).map((row) => this.deliver(row)));
    }
    return claimed.length;
  }

  private schedule(delayMs: number) {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
    this.timer.unref();
  }

  private async run() {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.again = false;
    this.lastRun = Date.now();
    let idleMs = this.settings.intervalMs * 10 || 1000;
    try {
      if ((await this.round()) >= this.settings.batch) this.again = true;
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) await this.purge();
      const [next] = await this.knex(EFFECTS).where({ state: 'pending' }).min({ at: 'next_attempt_at' });
      if (next?.at !== null && next?.at !== undefined) idleMs = Math.min(idleMs, Math.max(this.settings.intervalMs, Number(next.at) - Date.now()));
    } catch (error) {
      // The database or the workflow runtime may not be up yet (the first seconds of a start): the next round tries again.
      this.strapi.log.debug(`[outbox] dispatch: ${(error as Error).message}`);
    } finally {
      this.running = false;
      this.schedule(this.again ? Math.max(0, this.settings.intervalMs - (Date.now() - this.lastRun)) : idleMs);
    }
  }

  /** Delivered effects and their handled-event records go after OUTBOX_KEEP_DELIVERED_DAYS; a key reused later than that is a new effect. */
  private async purge() {
    this.lastPurge = Date.now();
    const before = Date.now() - this.settings.keepDeliveredDays * 86_400_000;
    await this.knex(EFFECTS).where({ state: 'delivered' }).where('delivered_at', '<', before).delete();
    await this.knex(HANDLED).where('handled_at', '<', before).delete();
  }

  /** Takes a lease on due, unleased rows (a guarded UPDATE, so two processes never both win a row), then reads what it won. */
  private async claim(narrow: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<EffectRow[]> {
    const now = Date.now();
    const available = (q: Knex.QueryBuilder) => q.where({ state: 'pending' }).where('next_attempt_at', '<=', now).where((w) => w.whereNull('lease_until').orWhere('lease_until', '<', now));
    const ids = (await narrow(available(this.knex(EFFECTS)).select('id'))).map((r: { id: number }) => Number(r.id));
    if (!ids.length) return [];
    const token = `${this.owner}:${++this.rounds}`;
    await available(this.knex(EFFECTS).whereIn('id', ids)).update({ lease_until: now + this.settings.leaseMs, leased_by: token, attempts: this.knex.raw('attempts + 1') });
    const rows = await this.knex(EFFECTS).where({ leased_by: token }).orderBy('id', 'asc');
    return rows.map((r: any) => ({ id: Number(r.id), key: r.key, kind: r.kind, payload: JSON.parse(r.payload), attempts: Number(r.attempts), createdAt: Number(r.created_at), token }));
  }

  private async deliver(row: EffectRow) {
    const mine = () => this.knex(EFFECTS).where({ id: row.id, leased_by: row.token });
    let result: Record<string, unknown> | null;
    try {
      result = await this.deliverers[row.kind](row);
    } catch (error) {
      const message = String((error as Error)?.message ?? error).slice(0, 2000);
      const failed = row.attempts >= this.settings.maxAttempts;
      const delay = Math.min(MAX_BACKOFF_MS, this.settings.retryBaseMs * 2 ** (row.attempts - 1)) * (0.8 + Math.random() * 0.4);
      await mine().update({ state: failed ? 'failed' : 'pending', next_attempt_at: Date.now() + Math.round(delay), lease_until: null, leased_by: null, last_error: message });
      const line = `[outbox] ${row.key} (attempt ${row.attempts}${failed ? ', giving up' : ''}): ${message}`;
      if (failed) this.strapi.log.warn(line);
      else this.strapi.log.debug(line);
      return;
    }
    await mine().update({ state: 'delivered', delivered_at: Date.now(), lease_until: null, leased_by: null, result: result ? JSON.stringify(result) : null, last_error: null });
  }
}

export function toDelivered(row: any): DeliveredEffect {
  return { key: row.key, state: row.state, result: row.result ? JSON.parse(row.result) : null, lastError: row.last_error ?? null };
}
