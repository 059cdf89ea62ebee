import type { Knex } from 'knex';

/**
 * The engine's own tables. Strapi leaves tables it never tracked alone, and plain knex keeps
 * the hot path (jobs, instances) free of the content-type layer's overhead.
 */
export async function ensureEngineSchema(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable('wf_sequence'))) {
    await knex.schema.createTable('wf_sequence', (t) => {
      t.string('name', 32).primary();
      t.bigInteger('value').notNullable();
    });
    await knex('wf_sequence').insert({ name: 'key', value: 0 });
  }
  if (!(await knex.schema.hasTable('wf_deployments'))) {
    await knex.schema.createTable('wf_deployments', (t) => {
      t.bigInteger('key').primary();
      t.string('tenant_id', 64).notNullable();
      t.timestamp('created_at').notNullable();
    });
  }
  if (!(await knex.schema.hasTable('wf_process_definitions'))) {
    await knex.schema.createTable('wf_process_definitions', (t) => {
      t.bigInteger('key').primary();
      t.bigInteger('deployment_key').notNullable();
      t.string('bpmn_process_id', 255).notNullable();
      t.integer('version').notNullable();
      t.string('resource_name', 255).notNullable();
      t.string('checksum', 64).notNullable();
      t.text('xml').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.timestamp('created_at').notNullable();
      t.unique(['tenant_id', 'bpmn_process_id', 'version']);
    });
  }
}
