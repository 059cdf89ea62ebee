import type { MigrationDefinition } from '@channelflow/sdk';
import { BALANCES } from './services/records.ledger';

/** What Strapi's schema sync does not make; each runs once per database, in order. Never edit one that shipped: add the next. */
export const migrations: MigrationDefinition[] = [
  {
    name: '001-create-balances',
    up: async (knex) => {
      if (await knex.schema.hasTable(BALANCES)) return;
      await knex.schema.createTable(BALANCES, (t) => {
        t.integer('dealer_id').primary();
        t.bigInteger('approved_minor').notNullable().defaultTo(0);
        t.timestamp('updated_at').notNullable();
      });
    },
  },
];
