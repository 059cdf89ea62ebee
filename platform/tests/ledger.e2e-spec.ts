import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

/** defineLedger itself, through the smallest plug-in that uses it, on SQLite and (DB=postgres) PostgreSQL. */
const ledgerDemo = path.join(__dirname, 'fixtures', 'plugins', 'ledger-demo');

describe('defineLedger (ledger-demo fixture plug-in)', () => {
  let env: TestEnvironment;
  let seq = 0;
  const key = (what: string) => `${what}-${(seq += 1)}-ledger-e2e`;
  const pouches = () => env.strapi.plugin('ledger-demo').service('pouches');
  const refusal = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a refusal'), (error: any) => error);

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { CHANNELFLOW_EXTRA_PLUGIN_DIRS: ledgerDemo } });
  });
  afterAll(() => env?.destroy());

  describe.each([
    ['guarded UPDATE', 'book'],
    ['row lock', 'bookLocked'],
  ] as const)('%s path', (_, book) => {
    it('never overdraws under concurrent appends: on hand never below reserved, reserved never below zero', async () => {
      const pouch = await pouches().open(key('pouch'));
      await pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 100, idempotencyKey: key('in') });
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => pouches()[book]({ pouchId: pouch.id, kind: 'reserve', quantity: 3, idempotencyKey: key(`hold-${i}`) })));
      const held = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(held).toHaveLength(33);
      expect(refused.map((r) => r.reason.code)).toEqual(Array(7).fill('OUT_OF_STOCK'));
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 100, reserved: 99 });
      // Releases race too: exactly what is reserved can be released, never more.
      const released = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => pouches()[book]({ pouchId: pouch.id, kind: 'release', quantity: 3, idempotencyKey: key(`free-${i}`) })));
      expect(released.filter((r) => r.status === 'fulfilled')).toHaveLength(33);
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 100, reserved: 0 });
      expect(await pouches().entries(pouch.id)).toHaveLength(1 + 33 + 33);
    });

    it('a replay with the same key and content returns the first entry and writes nothing, even concurrently', async () => {
      const pouch = await pouches().open(key('pouch'));
      const k = key('in');
      const first = await pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 5, idempotencyKey: k });
      expect(first.replayed).toBe(false);
      const again = await Promise.all(Array.from({ length: 6 }, () => pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 5, idempotencyKey: k })));
      expect(again.every((r: any) => r.replayed && r.entryId === first.entryId)).toBe(true);
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 5 });
      expect(await pouches().entries(pouch.id)).toHaveLength(1);

      // First requests racing under one key: one is written, the others replay it.
      const racing = key('race');
      const raced = await Promise.all(Array.from({ length: 6 }, () => pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 2, idempotencyKey: racing })));
      expect(raced.filter((r: any) => !r.replayed)).toHaveLength(1);
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 7 });
    });

    it('the same key with other content is a CONFLICT naming the key, and writes nothing', async () => {
      const pouch = await pouches().open(key('pouch'));
      const k = key('in');
      await pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 5, idempotencyKey: k });
      for (const other of [{ quantity: 6 }, { kind: 'count' }]) {
        const error = await refusal(pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 5, idempotencyKey: k, ...other }));
        expect(error.code).toBe('CONFLICT');
        expect(error.message).toContain(k);
        expect(error.details).toMatchObject({ idempotencyKey: k });
      }
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 5, reserved: 0 });
      expect(await pouches().entries(pouch.id)).toHaveLength(1);
    });

    it('a refusal writes nothing: no entry, no balance change, and the key stays free', async () => {
      const pouch = await pouches().open(key('pouch'));
      await pouches()[book]({ pouchId: pouch.id, kind: 'receipt', quantity: 4, idempotencyKey: key('in') });
      await pouches()[book]({ pouchId: pouch.id, kind: 'reserve', quantity: 3, idempotencyKey: key('hold') });
      const k = key('take');
      for (const input of [
        { kind: 'reserve', quantity: 2 }, // only 1 available
        { kind: 'take', quantity: 4 }, // only 3 reserved
        { kind: 'count', quantity: -2 }, // on hand would fall below reserved
      ]) {
        expect((await refusal(pouches()[book]({ pouchId: pouch.id, idempotencyKey: k, ...input }))).code).toBe('OUT_OF_STOCK');
      }
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 4, reserved: 3 });
      expect(await pouches().entries(pouch.id)).toHaveLength(2);
      await expect(pouches()[book]({ pouchId: pouch.id, kind: 'take', quantity: 3, idempotencyKey: k })).resolves.toMatchObject({ replayed: false });
      expect(await pouches().pouch(pouch.id)).toMatchObject({ onHand: 1, reserved: 0 });
    });
  });

  it('entries are append-only', async () => {
    const pouch = await pouches().open(key('pouch'));
    const { entryId } = await pouches().book({ pouchId: pouch.id, kind: 'receipt', quantity: 1, idempotencyKey: key('in') });
    await expect(env.strapi.db.query('plugin::ledger-demo.pouch-entry' as any).update({ where: { id: entryId }, data: { quantity: 2 } })).rejects.toThrow(/cannot be changed or deleted/);
  });
});
