import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineStateMachine, platformRegistry } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'plugins', name);
// The dependent plug-in first, and alphabetically before the one it requires: only `requires` can put it after.
const PLUGINS = [fixture('early-dependent'), fixture('late-base'), fixture('contract-demo')];
const TICKET = 'plugin::contract-demo.ticket';

const tickets = defineStateMachine({
  name: 'Ticket',
  uid: TICKET,
  states: ['open', 'in_progress', 'closed'],
  transitions: { open: ['in_progress', 'closed'], in_progress: ['closed'] },
  label: (row) => row.title,
});

describe('plug-in contract: requires, options, state machines', () => {
  let env: TestEnvironment;

  /** Boots again with other plug-ins and environment, as an operator changing an installation would. */
  const restartWith = async (dirs: string[], extraEnv: Record<string, string> = {}) => {
    const vars = { CHANNELFLOW_EXTRA_PLUGIN_DIRS: dirs.join(path.delimiter), ...extraEnv };
    const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      await env.restart();
    } finally {
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: PLUGINS.join(path.delimiter), CONTRACT_DEMO_GREETING: '您好' } });
  });
  afterAll(async () => env?.destroy());

  describe('requires', () => {
    it('a plug-in boots after the plug-in it requires, though registered before it', () => {
      const registered = platformRegistry(env.strapi).listPlugins().map((p) => p.name);
      expect(registered.indexOf('early-dependent')).toBeLessThan(registered.indexOf('late-base'));
      expect(env.strapi.plugin('late-base').service('boot').order).toEqual(['late-base', 'early-dependent']);
      const booted = platformRegistry(env.strapi).bootOrder().map((p) => p.name);
      expect(booted.indexOf('late-base')).toBeLessThan(booted.indexOf('early-dependent'));
    });

    it('a plug-in requiring one that is not installed stops the start, naming both', async () => {
      await expect(restartWith([...PLUGINS, fixture('requires-missing')])).rejects.toThrow(
        'plug-in "requires-missing" requires plug-in "warehouse", which is not installed (put it under plugins/ or in CHANNELFLOW_EXTRA_PLUGIN_DIRS)',
      );
      await restartWith(PLUGINS, { CONTRACT_DEMO_GREETING: '您好' });
      expect(env.strapi.plugin('requires-missing')).toBeUndefined();
    });
  });

  describe('options', () => {
    it('come from <PLUG_IN>_<FIELD> variables, coerced, with defaults for the rest', () => {
      expect(env.strapi.plugin('contract-demo').service('settings').current()).toEqual({ batchSize: 50, greeting: '您好', nightly: true });
    });

    it('a restart picks up changed variables', async () => {
      await restartWith(PLUGINS, { CONTRACT_DEMO_BATCH_SIZE: '25', CONTRACT_DEMO_NIGHTLY: 'false' });
      expect(env.strapi.plugin('contract-demo').service('settings').current()).toEqual({ batchSize: 25, greeting: '您好', nightly: false });
    });

    it('an invalid value stops the start, naming the variable', async () => {
      await expect(restartWith(PLUGINS, { CONTRACT_DEMO_BATCH_SIZE: 'lots' })).rejects.toThrow(/plug-in "contract-demo" settings are invalid: CONTRACT_DEMO_BATCH_SIZE: /);
      await expect(restartWith(PLUGINS, { CONTRACT_DEMO_NIGHTLY: 'sometimes' })).rejects.toThrow(/CONTRACT_DEMO_NIGHTLY: /);
      await restartWith(PLUGINS);
      expect(env.strapi.plugin('contract-demo').service('settings').current().batchSize).toBe(50);
    });
  });

  describe(`defineStateMachine on the real database (${process.env.DB ?? 'sqlite'})`, () => {
    const query = () => env.strapi.db.query(TICKET);
    const open = async (title: string) => query().create({ data: { title, ...tickets.initial('open', { by: 'ann@brand.example' }) } });
    const read = async (id: number) => query().findOne({ where: { id } });

    /** The SQL statements `work` sends to the database. */
    const statementsOf = async (work: () => Promise<unknown>) => {
      const seen: Array<{ sql: string; bindings: unknown[] }> = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) => seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
      env.strapi.db.connection.on('query', listen);
      try {
        await work();
      } finally {
        env.strapi.db.connection.off('query', listen);
      }
      return seen;
    };

    it('a move writes the state, the trail step and its data in one UPDATE guarded by the state it was read in', async () => {
      const ticket = await open('Printer jams');
      const statements = await statementsOf(() => tickets.bind(env.strapi).move(ticket, 'closed', { by: 'bob@brand.example', note: 'new drum', data: { closedBy: 'bob' } }));
      const updates = statements.filter((s) => /^update\b/i.test(s.sql.trim()));
      expect(updates).toHaveLength(1);
      expect(updates[0]!.sql).toMatch(/contract_demo_tickets/);
      expect(updates[0]!.sql).toMatch(/where .*status/i);
      expect(updates[0]!.bindings).toEqual(expect.arrayContaining([ticket.id, 'open', 'closed', 'bob']));

      const stored = await read(ticket.id);
      expect(stored).toMatchObject({ status: 'closed', closedBy: 'bob' });
      expect(tickets.historyOf(stored).map(({ by, from, to, note }) => ({ by, from, to, note }))).toEqual([
        { by: 'ann@brand.example', from: null, to: 'open', note: null },
        { by: 'bob@brand.example', from: 'open', to: 'closed', note: 'new drum' },
      ]);
    });

    it('a stale row (someone moved it first) answers CONFLICT and changes nothing', async () => {
      const ticket = await open('Screen flickers');
      const mine = await read(ticket.id);
      const theirs = await read(ticket.id);
      await tickets.bind(env.strapi).move(theirs, 'in_progress', { by: 'carol@brand.example' });
      const before = await read(ticket.id);

      await expect(tickets.bind(env.strapi).move(mine, 'closed', { by: 'bob@brand.example', data: { closedBy: 'bob' } })).rejects.toMatchObject({
        code: 'CONFLICT',
        message: 'Ticket Screen flickers is in progress now, no longer open; read it again',
      });
      expect(await read(ticket.id)).toEqual(before);
      expect(before).toMatchObject({ status: 'in_progress', closedBy: null });
    });

    it('a move the table does not allow answers CONFLICT and sends no UPDATE', async () => {
      const ticket = await open('Paper tray');
      const closed = await tickets.bind(env.strapi).move(ticket, 'closed', { by: 'bob' });
      const statements = await statementsOf(() => tickets.bind(env.strapi).move(closed, 'in_progress', { by: 'bob' }).catch((e) => e));
      expect(statements.filter((s) => /^update\b/i.test(s.sql.trim()))).toEqual([]);
      await expect(tickets.bind(env.strapi).move(closed, 'open', { by: 'bob' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'Ticket Paper tray is closed; it cannot become open' });
      expect((await read(ticket.id)).status).toBe('closed');
    });

    it('two concurrent moves of one read: exactly one wins, the trail has one step more', async () => {
      const ticket = await open('Toner low');
      const bound = tickets.bind(env.strapi);
      const results = await Promise.allSettled([bound.move(ticket, 'in_progress', { by: 'a' }), bound.move(ticket, 'closed', { by: 'b' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['CONFLICT']);
      expect(tickets.historyOf(await read(ticket.id))).toHaveLength(2);
    });
  });
});
