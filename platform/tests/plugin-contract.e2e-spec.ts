import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'plugins', name);
const trainingDemo = fixture('training-demo');

// What the dealers and orders bootstraps used to create on every start, now their migrations.
const PLUGIN_INDEXES = [
  'dealer_credit_entries_dealer_kind',
  'dealer_credit_entries_reservation',
  'dealer_applications_one_open',
  'dealer_credit_change_requests_one_open',
  'order_stock_levels_product_warehouse',
  'order_stock_movements_order',
  'order_stock_movements_level',
  'order_lines_order',
  'orders_dealer_status',
  'order_price_rules_product',
  'order_shipments_order',
  'order_shipments_tracking',
  'order_shipment_events_shipment',
  'order_invoices_dealer',
  'order_invoices_order',
  'order_invoice_lines_invoice',
  'order_invoice_lines_issued',
  'order_payments_invoice',
  'order_returns_order',
];

describe('plug-in contract: migrations, declared roles, tenant', () => {
  let env: TestEnvironment;
  const knex = () => env.strapi.db.connection;

  const indexNames = async (): Promise<string[]> => {
    const rows =
      env.database.client === 'postgres'
        ? (await knex().raw('select indexname as name from pg_indexes where schemaname = current_schema()')).rows
        : await knex().raw("select name from sqlite_master where type = 'index'");
    return rows.map((r: { name: string }) => r.name);
  };
  const recorded = async () =>
    (await knex()('channelflow_migrations').select('plugin', 'name', 'ran_at').orderBy('id')).map((r: any) => ({ ...r, ran_at: String(r.ran_at) }));

  /** Boots again with other extra plug-ins, as an operator adding one to an installation would. */
  const restartWith = async (dirs: string[]) => {
    const before = process.env.CHANNELFLOW_EXTRA_PLUGIN_DIRS;
    process.env.CHANNELFLOW_EXTRA_PLUGIN_DIRS = dirs.join(path.delimiter);
    try {
      await env.restart();
    } finally {
      process.env.CHANNELFLOW_EXTRA_PLUGIN_DIRS = before;
    }
  };

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: trainingDemo } });
  });
  afterAll(async () => env?.destroy());

  describe('migrations', () => {
    it('give a fresh database every plug-in index and record each migration once', async () => {
      expect(await indexNames()).toEqual(expect.arrayContaining(PLUGIN_INDEXES));
      // Renamed columns go first: they run before the schema sync.
      expect((await recorded()).map((r) => `${r.plugin}/${r.name}`)).toEqual([
        'dealers/004-status-attributes-renamed',
        'orders/003-status-attributes-renamed',
        'platform/001-outbox-status-renamed',
        'dealers/001-credit-entry-indexes',
        'dealers/002-one-open-application-per-tax-id',
        'dealers/003-one-open-credit-change-per-dealer',
        'orders/001-one-stock-level-per-product-warehouse',
        'orders/002-lookup-indexes',
        'training-demo/001-create-runs',
        'training-demo/002-record-run',
      ]);
      expect(await knex()('training_demo_runs').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
      expect(Number((await knex()('training_demo_runs').count({ n: '*' }).first())!.n)).toBe(1);
    });

    it('the partial unique index holds: a second open application for one tax id is refused by the database', async () => {
      const row = (n: number, status: string) => ({ document_id: `app-${n}`, tax_id: '91310000MA1TEST01X', review_status: status, created_at: new Date(), updated_at: new Date() });
      await knex()('dealer_applications').insert(row(1, 'in_review'));
      await knex()('dealer_applications').insert(row(2, 'rejected'));
      await expect(knex()('dealer_applications').insert(row(3, 'needs_info'))).rejects.toThrow(/unique/i);
      await knex()('dealer_applications').where('tax_id', '91310000MA1TEST01X').delete();
    });

    it('run nothing again on a restart', async () => {
      const before = await recorded();
      await env.restart();
      expect(await recorded()).toEqual(before);
      expect(Number((await knex()('training_demo_runs').count({ n: '*' }).first())!.n)).toBe(1);
      expect(await indexNames()).toEqual(expect.arrayContaining(PLUGIN_INDEXES));
    });

    it('upgrade an installation whose indexes the old bootstrap made: recorded, nothing fails', async () => {
      // An installation from before migrations: indexes created by `create index if not exists` on start, nothing recorded.
      await knex()('channelflow_migrations').whereIn('plugin', ['dealers', 'orders']).delete();
      await knex().raw('drop index dealer_credit_entries_dealer_kind');
      await knex().raw('create index if not exists dealer_credit_entries_dealer_kind on dealer_credit_entries (dealer_id, kind)');
      const indexesBefore = (await indexNames()).sort();
      await env.restart();
      expect((await recorded()).filter((r) => r.plugin === 'dealers' || r.plugin === 'orders')).toHaveLength(7);
      expect((await indexNames()).sort()).toEqual(indexesBefore);
    });

    it('upgrade a database whose status columns an earlier version wrote: renamed with their data, indexes kept', async () => {
      // Before Strapi 5's reserved `status` was avoided, these columns were all called status.
      const renamed = [
        ['dealers', 'lifecycle_status'], ['dealer_applications', 'review_status'], ['dealer_credit_change_requests', 'review_status'], ['dealer_service_records', 'case_status'],
        ['orders', 'order_status'], ['order_returns', 'return_status'], ['order_invoices', 'payment_status'], ['order_shipments', 'delivery_status'], ['outbox_messages', 'delivery_status'],
      ] as const;
      const dealer = await env.createDealer();
      for (const [table, column] of renamed) await knex().raw('alter table ?? rename column ?? to status', [table, column]);
      await knex()('dealer_applications').insert({ document_id: 'app-old', tax_id: '91310000MA1OLD001X', status: 'in_review', created_at: new Date(), updated_at: new Date() });
      await knex()('channelflow_migrations').where('name', 'like', '%status%renamed').delete();
      const indexesBefore = (await indexNames()).sort();
      await env.restart();
      for (const [table, column] of renamed) {
        expect([table, await knex().schema.hasColumn(table, 'status'), await knex().schema.hasColumn(table, column)]).toEqual([table, false, true]);
      }
      expect((await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: dealer.id } })).lifecycleStatus).toBe('active');
      expect(await env.strapi.db.query('plugin::dealers.application').findOne({ where: { documentId: 'app-old' } })).toMatchObject({ reviewStatus: 'in_review' });
      expect((await indexNames()).sort()).toEqual(indexesBefore);
      // The partial index names the renamed column now: a second open application for the tax id is still refused.
      await expect(knex()('dealer_applications').insert({ document_id: 'app-old-2', tax_id: '91310000MA1OLD001X', review_status: 'needs_info', created_at: new Date(), updated_at: new Date() })).rejects.toThrow(/unique/i);
      await knex()('dealer_applications').where('tax_id', '91310000MA1OLD001X').delete();
    });

    it('a failing migration stops the start, naming it, and leaves nothing of itself behind', async () => {
      await expect(restartWith([trainingDemo, fixture('broken-migration')])).rejects.toThrow(
        /migration broken-migration\/002-boom failed: .*broken_migration_no_such_table/,
      );
      await restartWith([trainingDemo]);
      const names = (await recorded()).map((r) => `${r.plugin}/${r.name}`);
      expect(names).toContain('broken-migration/001-fine');
      expect(names).not.toContain('broken-migration/002-boom');
      expect(await knex().schema.hasTable('broken_migration_fine')).toBe(true);
      expect(await knex().schema.hasTable('broken_migration_partial')).toBe(false);
    });
  });

  describe('declared roles', () => {
    it('a plug-in role exists once, with the name it declared, and an admin rename survives a restart', async () => {
      const roles = env.strapi.db.query('plugin::users-permissions.role');
      const trainer = await roles.findMany({ where: { type: 'trainer' } });
      expect(trainer).toMatchObject([{ name: 'Trainer', description: 'Runs dealer trainings' }]);
      await roles.update({ where: { id: trainer[0].id }, data: { name: 'Trainer (北区)' } });
      await env.restart();
      expect(await env.strapi.db.query('plugin::users-permissions.role').findMany({ where: { type: 'trainer' } })).toMatchObject([{ name: 'Trainer (北区)' }]);
    });

    it('a trainer holds the permission granted to trainers and nothing else', async () => {
      const trainer = await env.asStaff('trainer');
      expect(await trainer.query('{ trainingDemoCourses }')).toEqual({ trainingDemoCourses: ['Selling the X200'] });
      await trainer.expectError('FORBIDDEN', '{ dealers { total } }');
      await trainer.expectError('FORBIDDEN', '{ orders { total } }');
      const registry = platformRegistry(env.strapi);
      const held = registry.listPermissions().filter((p) => registry.roleHasPermission('trainer', p.permission)).map((p) => p.permission);
      expect(held).toEqual(['training-demo.read-courses']);
      // …and other staff do not hold the trainers' permission.
      await (await env.asStaff('channel-manager')).expectError('FORBIDDEN', '{ trainingDemoCourses }');
    });

    it('the staff list is the declared one: the platform five and the plug-in role', async () => {
      expect(platformRegistry(env.strapi).staffRoles()).toEqual(['trainer', 'platform-admin', 'channel-manager', 'sales-rep', 'finance', 'director']);
      await expect(env.asStaff('janitor')).rejects.toThrow(/"janitor" is not a declared staff role/);
    });

    it('a permission granted to an undeclared role stops the start', async () => {
      await expect(restartWith([trainingDemo, fixture('undeclared-role')])).rejects.toThrow(
        /permission "undeclared-role.mop" of plug-in "undeclared-role" names undeclared staff roles: janitor/,
      );
      await restartWith([trainingDemo]);
    });
  });

  describe('tenant', () => {
    it('the dealers plug-in provides it: test dealers and portal users go through it', async () => {
      const dealer = await env.createDealer({ name: 'Tenant contract dealer' });
      const owner = await env.asDealer(dealer);
      expect(await platformRegistry(env.strapi).tenant().resolveUser(env.strapi, owner.user.id)).toMatchObject({ dealer: { id: dealer.id, code: dealer.code }, role: 'owner' });
    });
  });
});
