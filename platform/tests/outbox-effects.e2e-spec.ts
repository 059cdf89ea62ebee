import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, type TestEnvironment } from '@channelflow/sdk/testing';
import { startSmtpCapture, type SmtpCapture } from './support/smtp-capture';

const fixture = path.resolve(__dirname, 'fixtures/plugins/outbox-demo');
const COUNTERS = '{ outboxEffectCounters { pending failed delivered } }';
const FAILED = '{ outboxEffects(state: failed) { total nodes { key kind state attempts lastError } } }';

// The one transactional outbox: effects written with the caller's transaction, delivered after it commits.
describe('outbox effects and domain events', () => {
  let env: TestEnvironment;
  let smtp: SmtpCapture | undefined;
  /** Every address the SMTP server has received mail for, in order. */
  const received = () => smtp?.received.flatMap((mail) => mail.to) ?? [];
  const demo = () => env.strapi.plugin('outbox-demo').service('demo');
  const knex = () => env.strapi.db.connection;
  const effects = (where: Record<string, unknown> = {}) => knex()('channelflow_outbox_effects').where(where);

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    env = await createTestEnvironment({
      env: {
        CHANNELFLOW_EXTRA_PLUGIN_DIRS: fixture,
        ...smtp.env,
        OUTBOX_RETRY_BASE_MS: '50',
        OUTBOX_MAX_ATTEMPTS: '3',
        OUTBOX_DISPATCH_INTERVAL_MS: '50',
      },
    });
  });
  afterAll(async () => {
    await env?.destroy();
    await smtp?.stop();
  });

  it('delivers an e-mail and an event written in a transaction after its commit, each once, and a second write with the same key is a no-op', async () => {
    const { eventId } = await demo().act({ key: 'first', n: 1, email: 'first@example.com' });
    await eventually(async () => expect((await effects({ state: 'pending' })).length).toBe(0));
    expect(received().filter((to) => to === 'first@example.com')).toHaveLength(1);
    expect(await knex()('fixture_event_effects').where({ event_id: eventId })).toEqual([{ event_id: eventId, handler: 'counter', runs: 1 }]);

    // The same event id again: one effect row, the handler not run again.
    await demo().emit('outbox-demo.thing-happened', { key: 'first', n: 1 }, { eventId });
    expect(await effects({ key: `event:${eventId}` })).toHaveLength(1);
    expect((await knex()('fixture_event_effects').where({ event_id: eventId }).first()).runs).toBe(1);
  });

  it('runs a handler once per event even when the event is delivered again', async () => {
    const { eventId } = await demo().emit('outbox-demo.thing-happened', { key: 'again', n: 2 });
    await eventually(async () => expect((await effects({ key: `event:${eventId}` }).first()).state).toBe('delivered'));
    // As a crashed dispatcher would leave it: delivered, but not marked so.
    await effects({ key: `event:${eventId}` }).update({ state: 'pending', next_attempt_at: 0 });
    const admin = await env.asStaff('platform-admin');
    await admin.query('mutation ($key: String!) { retryOutboxEffect(key: $key) { state } }', { key: `event:${eventId}` });
    await eventually(async () => expect((await effects({ key: `event:${eventId}` }).first()).state).toBe('delivered'));
    expect((await knex()('fixture_event_effects').where({ event_id: eventId }).first()).runs).toBe(1);
  });

  it('retries a failing handler with back-off, then records it as failed with its error for platform admins', async () => {
    const { eventId } = await demo().emit('outbox-demo.doomed', { key: 'doomed' });
    const key = `event:${eventId}`;
    await eventually(async () => expect((await effects({ key }).first()).state).toBe('failed'), { timeoutMs: 10_000 });
    const row = await effects({ key }).first();
    expect(Number(row.attempts)).toBe(3);
    const admin = await env.asStaff('platform-admin');
    const { outboxEffects } = await admin.query(FAILED);
    expect(outboxEffects.nodes).toContainEqual({ key, kind: 'event', state: 'failed', attempts: 3, lastError: 'outbox-demo:outbox-demo.doomed: this handler refuses every event' });
    const { outboxEffectCounters } = await admin.query(COUNTERS);
    expect(outboxEffectCounters.failed).toBeGreaterThanOrEqual(1);
    // Outbox effects are platform admins' business.
    const finance = await env.asStaff('finance');
    await finance.expectError('FORBIDDEN', COUNTERS);
    await finance.expectError('FORBIDDEN', FAILED);
  });

  it('refuses an undeclared event and a payload off its schema at the emit call, and writes nothing', async () => {
    const before = await effects().count({ n: '*' });
    const acts = await knex()('fixture_acts').count({ n: '*' });
    await expect(demo().emitInTransaction('outbox-demo.never-declared', { key: 'x' })).rejects.toThrow(/Event "outbox-demo.never-declared" is not declared/);
    await expect(demo().emitInTransaction('outbox-demo.thing-happened', { key: 'x', n: 'many' })).rejects.toThrow(/does not match its schema: n: /);
    await expect(demo().act({ key: 'no', n: 1, email: 'not-an-address' })).rejects.toThrow();
    const admin = await env.asStaff('platform-admin');
    await admin.expectError('NOT_FOUND', 'mutation ($key: String!) { retryOutboxEffect(key: $key) { state } }', { key: 'no-such-effect' });
    await admin.expectError('BAD_INPUT', 'mutation ($key: String!) { retryOutboxEffect(key: $key) { state } }', { key: '' });
    expect(await effects().count({ n: '*' })).toEqual(before);
    expect(await knex()('fixture_acts').count({ n: '*' })).toEqual(acts);
  });

  it('writes nothing when the transaction rolls back', async () => {
    const before = await effects().count({ n: '*' });
    await expect(
      env.strapi.db.transaction(async () => {
        await demo().act({ key: 'rolled-back', n: 1, email: 'rolled-back@example.com' });
        throw new Error('the caller gave up');
      }),
    ).rejects.toThrow('the caller gave up');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await effects().count({ n: '*' })).toEqual(before);
    expect(received()).not.toContain('rolled-back@example.com');
  });
});
