import type { Knex } from 'knex';

/** One row per effect to deliver after a commit: a process start, a message, an e-mail, a domain event. */
export const EFFECTS = 'channelflow_outbox_effects';
/** Which handler has handled which event, written in the handler's own transaction. */
export const HANDLED = 'channelflow_outbox_handled';

export type EffectKind = 'process' | 'message' | 'email' | 'event';

export async function ensureOutboxSchema(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(EFFECTS))) {
    await knex.schema.createTable(EFFECTS, (t) => {
      t.increments('id');
      t.string('key', 255).notNullable().unique();
      t.string('kind', 16).notNullable();
      t.text('payload').notNullable();
      /** pending (to deliver, or being delivered while leased), delivered, failed (retries used up). */
      t.string('state', 16).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.bigInteger('next_attempt_at').notNullable();
      t.bigInteger('lease_until').nullable();
      t.string('leased_by', 64).nullable();
      t.text('last_error').nullable();
      t.text('result').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('delivered_at').nullable();
      t.index(['state', 'next_attempt_at']);
    });
  }
  if (!(await knex.schema.hasTable(HANDLED))) {
    await knex.schema.createTable(HANDLED, (t) => {
      t.string('event_id', 255).notNullable();
      t.string('handler', 255).notNullable();
      t.bigInteger('handled_at').notNullable();
      t.primary(['event_id', 'handler']);
    });
  }
}
