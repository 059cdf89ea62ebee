import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry, templates, type DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const CREATE = 'mutation ($input: Create__Name__RecordInput!) { create__Name__Record(input: $input) { title amountMinor currency dealerCode } }';
const STAFF_LIST = '{ __nameCamel__Records { total nodes { title dealerCode } } }';
const MINE = '{ my__Name__Records { title dealerCode } }';

describe('__name__ plug-in', () => {
  let env: TestEnvironment;
  let a: DealerRef;
  let b: DealerRef;
  beforeAll(async () => {
    env = await createTestEnvironment();
    a = await env.createDealer({ code: 'DEALER-A' });
    b = await env.createDealer({ code: 'DEALER-B' });
    const manager = await env.asStaff('channel-manager');
    await manager.query(CREATE, { input: { dealerCode: 'DEALER-A', title: 'First for A', amountMinor: 1999 } });
    await manager.query(CREATE, { input: { dealerCode: 'DEALER-B', title: 'First for B', amountMinor: 500 } });
  });
  afterAll(() => env?.destroy());

  it('lets staff list every record', async () => {
    const rep = await env.asStaff('sales-rep');
    const { __nameCamel__Records } = await rep.query(STAFF_LIST);
    expect(__nameCamel__Records.nodes.map((r: any) => r.dealerCode)).toEqual(['DEALER-A', 'DEALER-B']);
  });

  it("shows dealer A only A's records, and dealer B only B's", async () => {
    const userA = await env.asDealer(a);
    const userB = await env.asDealer(b);
    expect((await userA.query(MINE)).my__Name__Records).toEqual([{ title: 'First for A', dealerCode: 'DEALER-A' }]);
    expect((await userB.query(MINE)).my__Name__Records).toEqual([{ title: 'First for B', dealerCode: 'DEALER-B' }]);
  });

  it('refuses bad input and writes nothing', async () => {
    const manager = await env.asStaff('channel-manager');
    const before = (await manager.query(STAFF_LIST)).__nameCamel__Records.total;
    await manager.expectError('BAD_INPUT', CREATE, { input: { dealerCode: 'DEALER-A', title: 'Negative', amountMinor: -5 } });
    await manager.expectError('NOT_FOUND', CREATE, { input: { dealerCode: 'NO-SUCH', title: 'Unknown dealer', amountMinor: 5 } });
    expect((await manager.query(STAFF_LIST)).__nameCamel__Records.total).toBe(before);
  });

  it('keeps writes to roles holding __name__.write, and dealers out of staff operations', async () => {
    const rep = await env.asStaff('sales-rep');
    await rep.expectError('FORBIDDEN', CREATE, { input: { dealerCode: 'DEALER-A', title: 'Not mine to add', amountMinor: 1 } });
    const dealer = await env.asDealer(a);
    await dealer.expectError('FORBIDDEN', STAFF_LIST);
  });

  it('runs its job the way the workflow runtime will', async () => {
    const output = await platformRegistry(env.strapi).runJob('__name__.summarize-records', { dealerCode: 'DEALER-A' }, {
      strapi: env.strapi,
      job: { key: '2251799813685251', customHeaders: {} },
      log: console,
    });
    expect(output).toEqual({ recordCount: 1, totalMinor: 1999 });
  });

  it('renders its template in both locales', () => {
    const data = { dealerName: 'Dealer A', recordCount: 1, totalMinor: 1999, currency: 'CNY' };
    expect(templates(env.strapi).render('__name__/record-summary', { locale: 'en', data }).text).toContain('CN¥19.99');
    expect(templates(env.strapi).render('__name__/record-summary', { locale: 'zh-CN', data }).text).toContain('¥19.99');
  });
});
