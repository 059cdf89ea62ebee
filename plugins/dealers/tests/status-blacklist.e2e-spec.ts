import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { creditCodeCheckCharacter } from '../src/services/tax-id';

const CHANGE = 'mutation ($code: String!, $status: DealerStatus!, $reason: String!) { changeDealerStatus(dealerCode: $code, status: $status, reason: $reason) { code status } }';
const HISTORY = 'query ($code: String!) { dealerStatusHistory(dealerCode: $code) { fromStatus toStatus reason actor at } }';
const BLACKLIST = `mutation ($code: String, $taxId: String, $name: String, $reason: String!, $liftableBy: [String!]) {
  blacklistDealer(dealerCode: $code, taxId: $taxId, legalName: $name, reason: $reason, liftableBy: $liftableBy) { id dealerCode taxId legalName liftableBy liftedAt }
}`;
const LIFT = 'mutation ($id: ID!, $reason: String!) { liftBlacklistEntry(id: $id, reason: $reason) { id liftedAt liftedBy liftReason } }';
const LIST = 'query ($active: Boolean) { blacklist(active: $active) { total nodes { id dealerCode taxId } } }';

// Valid unified social credit codes (check character computed), one per test dealer.
const TAX_IDS = ['91330100799655058B', '91110000802100433B', '91440300708461136T'];

describe('dealer status and blacklist', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient & { user: { email: string } };
  let director: GraphqlClient & { user: { email: string } };
  let finance: GraphqlClient & { user: { email: string } };
  const dealers = () => env.strapi.plugin('dealers').service('dealers');
  const statusOf = async (id: number) => (await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { id } })).lifecycleStatus;

  beforeAll(async () => {
    env = await createTestEnvironment();
    manager = await env.asStaff('channel-manager');
    director = await env.asStaff('director');
    finance = await env.asStaff('finance');
  });
  afterAll(() => env?.destroy());

  it('checks the unified social credit code, keeps it unique, and writes nothing on a refusal', async () => {
    const created: DealerRef = await dealers().create({ code: 'TAX-OK', name: 'Hangzhou Tax Test Co.', taxId: ' 9133 0100 7996 5505 8b ' });
    expect((await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: created.id } })).taxId).toBe(TAX_IDS[0]);
    const count = () => env.strapi.db.query('plugin::dealers.dealer').count({});
    const before = await count();
    await expect(dealers().create({ code: 'TAX-BAD', name: 'Typo Co.', taxId: '91330100799655058C' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('check character is wrong (expected B)'),
    });
    await expect(dealers().create({ code: 'TAX-DUP', name: 'Copy Co.', taxId: TAX_IDS[0] })).rejects.toMatchObject({ code: 'CONFLICT', details: { dealerCode: 'TAX-OK' } });
    expect(await count()).toBe(before);
  });

  it('moves a dealer along the allowed statuses and records who, when and why', async () => {
    const dealer: DealerRef = await env.createDealer();
    expect((await manager.query(CHANGE, { code: dealer.code, status: 'suspended', reason: 'Payments 60 days late' })).changeDealerStatus.status).toBe('suspended');
    await expect(env.strapi.plugin('dealers').service('credit').openAccount({ dealerId: dealer.id, limitCents: 100_000 })).resolves.toBeTruthy();
    await expect(env.strapi.plugin('dealers').service('credit').reserve({ dealerId: dealer.id, amountCents: 1, idempotencyKey: `susp-${dealer.code}` })).rejects.toMatchObject({ code: 'DEALER_BLOCKED' });
    await director.query(CHANGE, { code: dealer.code, status: 'active', reason: 'Paid in full' });

    const wrong = await manager.expectError('CONFLICT', CHANGE, { code: dealer.code, status: 'prospect', reason: 'Start over' });
    expect(wrong.message).toBe(`Dealer ${dealer.code} cannot go from active to prospect`);
    const viaBlacklist = await manager.expectError('CONFLICT', CHANGE, { code: dealer.code, status: 'blacklisted', reason: 'Fraud' });
    expect(viaBlacklist.message).toContain('go through the blacklist');
    await manager.expectError('BAD_INPUT', CHANGE, { code: dealer.code, status: 'suspended', reason: '' });
    await (await env.asStaff('sales-rep')).expectError('FORBIDDEN', CHANGE, { code: dealer.code, status: 'suspended', reason: 'Rep says so' });
    await (await env.asDealer(dealer, 'owner')).expectError('FORBIDDEN', CHANGE, { code: dealer.code, status: 'terminated', reason: 'Leaving' });
    await manager.expectError('NOT_FOUND', CHANGE, { code: 'NOPE-000', status: 'active', reason: 'Unknown dealer' });

    // A suspended dealer reads but cannot change anything, except to complain.
    await manager.query(CHANGE, { code: dealer.code, status: 'suspended', reason: 'Audit' });
    const owner = await env.asDealer(dealer, 'owner');
    const blocked = await owner.expectError('DEALER_BLOCKED', 'mutation { inviteDealerUser(email: "new.buyer@example.com", role: buyer) { id } }');
    expect(blocked.message).toContain('suspended');
    expect((await owner.query('{ myDealer { dealer { status } } }')).myDealer.dealer.status).toBe('suspended');
    expect((await owner.query('mutation { fileComplaint(subject: "Suspension", content: "Why were we suspended?") { status } }')).fileComplaint.status).toBe('accepted');
    await manager.query(CHANGE, { code: dealer.code, status: 'active', reason: 'Audit passed' });
    await manager.query(CHANGE, { code: dealer.code, status: 'terminated', reason: 'Contract ended' });
    await manager.expectError('CONFLICT', CHANGE, { code: dealer.code, status: 'active', reason: 'Come back' });
    const { dealerStatusHistory } = await manager.query(HISTORY, { code: dealer.code });
    expect(dealerStatusHistory.map((h: any) => [h.fromStatus, h.toStatus, h.reason, h.actor])).toEqual([
      [null, 'active', 'created', 'platform'],
      ['active', 'suspended', 'Payments 60 days late', manager.user.email],
      ['suspended', 'active', 'Paid in full', director.user.email],
      ['active', 'suspended', 'Audit', manager.user.email],
      ['suspended', 'active', 'Audit passed', manager.user.email],
      ['active', 'terminated', 'Contract ended', manager.user.email],
    ]);
    await expect(env.strapi.db.query('plugin::dealers.status-change').deleteMany({ where: { dealerId: dealer.id } })).rejects.toThrow('cannot be changed or deleted');
  });

  it('blacklists a dealer until someone with the right role lifts it; then it is suspended, not active', async () => {
    const dealer: DealerRef = await dealers().create({ code: 'BL-DEALER', name: 'Blacklist Test Trading', taxId: TAX_IDS[1] });
    const { blacklistDealer: entry } = await finance.query(BLACKLIST, { code: dealer.code, reason: 'Forged payment receipts' });
    expect(entry).toMatchObject({ dealerCode: 'BL-DEALER', taxId: TAX_IDS[1], legalName: 'Blacklist Test Trading', liftableBy: ['director'], liftedAt: null });
    expect(await statusOf(dealer.id)).toBe('blacklisted');
    const twice = await manager.expectError('CONFLICT', BLACKLIST, { code: dealer.code, reason: 'Again, to be sure' });
    expect(twice.message).toContain('already blacklisted');

    const notYours = await finance.expectError('FORBIDDEN', LIFT, { id: entry.id, reason: 'They paid' });
    expect(notYours.message).toContain('Only director');
    expect(await statusOf(dealer.id)).toBe('blacklisted');
    const { liftBlacklistEntry: lifted } = await director.query(LIFT, { id: entry.id, reason: 'Settled in court' });
    expect(lifted).toMatchObject({ liftedBy: director.user.email, liftReason: 'Settled in court', liftedAt: expect.any(String) });
    expect(await statusOf(dealer.id)).toBe('suspended');
    await director.expectError('CONFLICT', LIFT, { id: entry.id, reason: 'Lift again' });
    const history = (await manager.query(HISTORY, { code: dealer.code })).dealerStatusHistory.map((h: any) => h.toStatus);
    expect(history).toEqual(['active', 'blacklisted', 'suspended']);
  });

  it('blacklisting by tax id alone also stops the dealer that holds it', async () => {
    const body = '91330100123456789';
    const holder: DealerRef = await dealers().create({ code: 'TAX-HOLD', name: 'Holder Trading', taxId: body + creditCodeCheckCharacter(body) });
    await manager.query(BLACKLIST, { taxId: body + creditCodeCheckCharacter(body), name: 'Holder Trading', reason: 'Parallel imports' });
    expect(await statusOf(holder.id)).toBe('blacklisted');
  });

  it('blacklists a company that is not a dealer by its tax id, so it cannot come back under a new name', async () => {
    await manager.expectError('BAD_INPUT', BLACKLIST, { taxId: TAX_IDS[2], reason: 'Known fraudster' }); // needs its legal name
    await manager.expectError('BAD_INPUT', BLACKLIST, { reason: 'Nobody in particular' });
    await manager.expectError('BAD_INPUT', BLACKLIST, { taxId: '123', name: 'Bad Id Co.', reason: 'Known fraudster' });
    const own = await manager.expectError('BAD_INPUT', BLACKLIST, { taxId: TAX_IDS[2], name: 'Shenzhen Shell Co.', reason: 'Known fraudster', liftableBy: ['channel-manager'] });
    expect(own.message).toContain('your own blacklisting');
    const { blacklistDealer: entry } = await manager.query(BLACKLIST, { taxId: TAX_IDS[2], name: 'Shenzhen Shell Co.', reason: 'Known fraudster', liftableBy: ['director', 'finance'] });
    expect(entry).toMatchObject({ dealerCode: null, taxId: TAX_IDS[2], liftableBy: ['director', 'finance'] });
    await (await env.asApiToken('full-access')).expectError('FORBIDDEN', LIFT, { id: entry.id, reason: 'Token says so' });
    await manager.expectError('BAD_INPUT', BLACKLIST, { taxId: TAX_IDS[2], name: 'X', reason: 'Unknown role', liftableBy: ['janitor'] });
    const found = await env.strapi.plugin('dealers').service('blacklist').activeFor({ taxId: TAX_IDS[2] });
    expect(found.id).toBe(Number(entry.id));
    const active = (await manager.query(LIST, { active: true })).blacklist.nodes.map((e: any) => e.taxId);
    expect(active).toContain(TAX_IDS[2]);
    expect((await manager.query(LIST, { active: false })).blacklist.nodes.map((e: any) => e.dealerCode)).toContain('BL-DEALER');
    await (await env.asStaff('sales-rep')).expectError('FORBIDDEN', LIST, {});
  });
});
