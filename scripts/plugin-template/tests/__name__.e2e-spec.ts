import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformRegistry, templates, type DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const RECORD = 'documentId title amount { amountMinor currency } dealerCode status history { by from to note }';
const CREATE = `mutation ($input: Create__Name__RecordInput!) { create__Name__Record(input: $input) { ${RECORD} } }`;
const APPROVE = `mutation ($id: ID!) { approve__Name__Record(documentId: $id) { ${RECORD} } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { reject__Name__Record(documentId: $id, reason: $reason) { ${RECORD} } }`;
const APPROVED = 'query ($code: String!) { __nameCamel__Approved(dealerCode: $code) { amountMinor currency } }';
const STAFF_LIST = 'query ($code: String) { __nameCamel__Records(dealerCode: $code) { total nodes { title dealerCode } } }';
const MINE = '{ my__Name__Records { title dealerCode } }';
// The SDK copy the platform runs on (CommonJS), where its outbox is installed.
const { afterCommit } = createRequire(import.meta.url)('@channelflow/sdk') as typeof import('@channelflow/sdk');

describe('__name__ plug-in', () => {
  let env: TestEnvironment;
  let a: DealerRef;
  let b: DealerRef;
  beforeAll(async () => {
    // Its settings, as an operator sets them: __NAME_ENV___<SETTING>.
    env = await createTestEnvironment({ env: { __NAME_ENV___MAX_AMOUNT_MINOR: '5000000000', __NAME_ENV___WELCOME_TITLE: 'Your first __title__' } });
    a = await env.createDealer({ code: 'DEALER-A' });
    b = await env.createDealer({ code: 'DEALER-B' });
    await env.createDealer({ code: 'DEALER-C' });
    const manager = await env.asStaff('channel-manager');
    await manager.query(CREATE, { input: { dealerCode: 'DEALER-A', title: 'First for A', amountMinor: 1999 } });
    await manager.query(CREATE, { input: { dealerCode: 'DEALER-B', title: 'First for B', amountMinor: 500 } });
  });
  afterAll(() => env?.destroy());

  it("lets a channel manager list every dealer's records", async () => {
    const manager = await env.asStaff('channel-manager');
    const { __nameCamel__Records } = await manager.query(STAFF_LIST);
    expect(__nameCamel__Records.nodes.map((r: any) => r.dealerCode)).toEqual(['DEALER-A', 'DEALER-B']);
  });

  it('shows a sales rep only the dealers they reach; another dealer does not exist for them', async () => {
    const rep = await env.asStaff('sales-rep');
    // Test setup: dealer A is assigned to this rep (the dealers plug-in's assignment, as onboarding makes it).
    await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: a.id }, data: { salesRep: rep.user.email } });
    expect((await rep.query(STAFF_LIST)).__nameCamel__Records).toEqual({ total: 1, nodes: [{ title: 'First for A', dealerCode: 'DEALER-A' }] });
    await rep.expectError('NOT_FOUND', STAFF_LIST, { code: 'DEALER-B' });
    await rep.expectError('NOT_FOUND', APPROVED, { code: 'DEALER-B' });
    expect((await rep.query(APPROVED, { code: 'DEALER-A' })).__nameCamel__Approved).toEqual({ amountMinor: 0, currency: 'CNY' });
    const unassigned = await env.asStaff('sales-rep');
    expect((await unassigned.query(STAFF_LIST)).__nameCamel__Records).toEqual({ total: 0, nodes: [] });
  });

  it('keeps amounts as Money in integer minor units, beyond 32 bits', async () => {
    const manager = await env.asStaff('channel-manager');
    const big = 3_000_000_000; // ¥30,000,000.00: more than a 32-bit Int holds
    await env.createDealer({ code: 'DEALER-BIG' });
    const created = (await manager.query(CREATE, { input: { dealerCode: 'DEALER-BIG', title: 'Large', amountMinor: big } })).create__Name__Record;
    expect(created.amount).toEqual({ amountMinor: big, currency: 'CNY' });
    // Long takes whole numbers only: a fraction of a fen is refused before the resolver runs.
    await manager.expectError('BAD_USER_INPUT', CREATE, { input: { dealerCode: 'DEALER-BIG', title: 'Fractional', amountMinor: 12.5 } });
    expect((await manager.query(STAFF_LIST, { code: 'DEALER-BIG' })).__nameCamel__Records.total).toBe(1);
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
    // Above __NAME_ENV___MAX_AMOUNT_MINOR.
    await manager.expectError('BAD_INPUT', CREATE, { input: { dealerCode: 'DEALER-A', title: 'Too much', amountMinor: 5_000_000_001 } });
    expect((await manager.query(STAFF_LIST)).__nameCamel__Records.total).toBe(before);
  });

  it('keeps writes to roles holding __name__.write, and dealers out of staff operations', async () => {
    const rep = await env.asStaff('sales-rep');
    await rep.expectError('FORBIDDEN', CREATE, { input: { dealerCode: 'DEALER-A', title: 'Not mine to add', amountMinor: 1 } });
    const dealer = await env.asDealer(a);
    await dealer.expectError('FORBIDDEN', STAFF_LIST);
  });

  describe('approval: state machine, ledger and event in one commit', () => {
    let recordId: string;
    beforeAll(async () => {
      const manager = await env.asStaff('channel-manager');
      recordId = (await manager.query(CREATE, { input: { dealerCode: 'DEALER-C', title: 'To approve', amountMinor: 2500 } })).create__Name__Record.documentId;
    });

    it('approving moves the record, books its amount and emits __name__.record-approved', async () => {
      const finance = await env.asStaff('finance');
      const { approve__Name__Record: approved } = await finance.query(APPROVE, { id: recordId });
      expect(approved.status).toBe('approved');
      expect(approved.history).toEqual([
        { by: expect.any(String), from: null, to: 'submitted', note: null },
        { by: finance.user.email, from: 'submitted', to: 'approved', note: null },
      ]);
      expect((await finance.query(APPROVED, { code: 'DEALER-C' })).__nameCamel__Approved).toEqual({ amountMinor: 2500, currency: 'CNY' });
      const entries = await env.strapi.db.query('plugin::__name__.entry').findMany({ where: { idempotencyKey: `approval:${recordId}` } });
      expect(entries.map((e: any) => ({ kind: e.kind, amountMinor: Number(e.amountMinor) }))).toEqual([{ kind: 'approval', amountMinor: 2500 }]);
      const delivered = await afterCommit(env.strapi).settle(`event:__name__.record-approved:${recordId}`);
      expect(delivered).toMatchObject({ state: 'delivered' });
    });

    it('a second approval, or rejecting an approved record, is a CONFLICT that books nothing', async () => {
      const finance = await env.asStaff('finance');
      await finance.expectError('CONFLICT', APPROVE, { id: recordId });
      await finance.expectError('CONFLICT', REJECT, { id: recordId, reason: 'changed my mind' });
      expect((await finance.query(APPROVED, { code: 'DEALER-C' })).__nameCamel__Approved).toEqual({ amountMinor: 2500, currency: 'CNY' });
      expect(await env.strapi.db.query('plugin::__name__.entry').count({ where: { idempotencyKey: `approval:${recordId}` } })).toBe(1);
    });

    it('a rejected record books nothing; only holders of __name__.approve decide', async () => {
      const manager = await env.asStaff('channel-manager');
      const { documentId } = (await manager.query(CREATE, { input: { dealerCode: 'DEALER-C', title: 'To reject', amountMinor: 700 } })).create__Name__Record;
      await manager.expectError('FORBIDDEN', APPROVE, { id: documentId });
      const finance = await env.asStaff('finance');
      expect((await finance.query(REJECT, { id: documentId, reason: 'duplicate' })).reject__Name__Record).toMatchObject({ status: 'rejected', history: [{}, { to: 'rejected', note: 'duplicate' }] });
      expect((await finance.query(APPROVED, { code: 'DEALER-C' })).__nameCamel__Approved).toEqual({ amountMinor: 2500, currency: 'CNY' });
    });

    it('ledger entries are append-only', async () => {
      const entries = env.strapi.db.query('plugin::__name__.entry');
      const [entry] = await entries.findMany({ where: { idempotencyKey: `approval:${recordId}` } });
      await expect(entries.update({ where: { id: entry.id }, data: { amountMinor: 1 } })).rejects.toThrow(/cannot be changed or deleted/);
    });
  });

  it('opens a welcome record for every dealer the dealers plug-in onboards (dealers.onboarded)', async () => {
    const dealer = await env.createDealer({ code: 'DEALER-NEW' });
    const eventId = `dealers.onboarded:${dealer.code}`;
    await afterCommit(env.strapi).emit(
      'dealers.onboarded',
      { dealerId: dealer.id, dealerCode: dealer.code, applicationNumber: 'APP-1', tier: 'silver', regionCode: 'EAST', ownerEmail: 'owner@dealer.example' },
      { eventId },
    );
    expect(await afterCommit(env.strapi).settle(`event:${eventId}`)).toMatchObject({ state: 'delivered' });
    const owner = await env.asDealer(dealer);
    expect((await owner.query(MINE)).my__Name__Records).toEqual([{ title: 'Your first __title__', dealerCode: 'DEALER-NEW' }]);
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
    const zh = templates(env.strapi).render('__name__/record-summary', { locale: 'zh-CN', data: { ...data, dealerName: '宁波永安商贸' } });
    expect(zh.text).toContain('¥19.99');
    // Chinese throughout: no English words in the subject or the text (the layout's footer names the product).
    expect(`${zh.subject}\n${zh.text}`.replaceAll('Channelflow', '')).not.toMatch(/[A-Za-z]{2,}/);
  });
});
