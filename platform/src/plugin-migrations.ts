import type { Core } from '@strapi/strapi';
import { platformRegistry } from '@channelflow/sdk';

export const MIGRATIONS_TABLE = 'channelflow_migrations';

/**
 * Runs every plug-in's pending migrations of one phase, plug-in by plug-in in registration order, each
 * migration in declaration order and in its own transaction with its record, so a migration
 * either ran and is recorded or left nothing behind. Strapi's own migrations
 * (database/migrations) run before its schema sync, when a new plug-in's tables do not exist
 * yet; most of ours run after it, from the content-types.afterSync hook, before any plug-in bootstraps;
 * those marked `beforeSync` (renamed columns) from the beforeSync hook, before the sync would drop the old column.
 */
export async function runPluginMigrations(strapi: Core.Strapi, phase: 'beforeSync' | 'afterSync'): Promise<string[]> {
  const knex = strapi.db.connection;
  await ensureTable(knex);
  const recorded = new Set((await knex(MIGRATIONS_TABLE).select('plugin', 'name')).map((row: { plugin: string; name: string }) => `${row.plugin}/${row.name}`));
  const postgres = strapi.db.dialect.client === 'postgres';
  const ran: string[] = [];
  for (const plugin of platformRegistry(strapi).listPlugins()) {
    for (const migration of plugin.migrations ?? []) {
      if (Boolean(migration.beforeSync) !== (phase === 'beforeSync')) continue;
      const id = `${plugin.name}/${migration.name}`;
      if (recorded.has(id)) continue;
      try {
        const applied = await knex.transaction(async (trx) => {
          // Instances starting together on one PostgreSQL take turns; the second finds the record.
          if (postgres) await trx.raw(`lock table ${MIGRATIONS_TABLE} in share row exclusive mode`);
          if (await trx(MIGRATIONS_TABLE).where({ plugin: plugin.name, name: migration.name }).first()) return false;
          await migration.up(trx);
          await trx(MIGRATIONS_TABLE).insert({ plugin: plugin.name, name: migration.name, ran_at: new Date() });
          return true;
        });
        if (applied) ran.push(id);
      } catch (error) {
        throw new Error(`migration ${id} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
  }
  if (ran.length) strapi.log.info(`migrations ran: ${ran.join(', ')}`);
  return ran;
}

async function ensureTable(knex: Core.Strapi['db']['connection']): Promise<void> {
  if (await knex.schema.hasTable(MIGRATIONS_TABLE)) return;
  try {
    await knex.schema.createTable(MIGRATIONS_TABLE, (t) => {
      t.increments('id');
      t.string('plugin', 100).notNullable();
      t.string('name', 200).notNullable();
      t.datetime('ran_at').notNullable();
      t.unique(['plugin', 'name']);
    });
  } catch (error) {
    // Another instance created it a moment ago.
    if (!(await knex.schema.hasTable(MIGRATIONS_TABLE))) throw error;
  }
}
