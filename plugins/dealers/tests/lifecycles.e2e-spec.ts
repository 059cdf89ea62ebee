import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const REQUEST = `mutation ($limit: Long!, $reason: String!) { requestCreditLimitChange(limitMinor: $limit, reason: $reason) { number status } }`;
const FILE = 'mutation ($subject: String!, $content: String!) { fileComplaint(subject: $subject, content: $content) { number status } }';
const CLOSE = 'mutation ($n: ID!) { closeComplaint(number: $n) { number status } }';
const RECORD = 'query ($code: String) { serviceRecords(dealerCode: $code) { nodes { number status trail { action by note } } } }';

/** Every status change of a dealers record goes through its state machine: one guarded write, CONFLICT otherwise. */
describe('dealers lifecycles', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient & { user: { email: string } };
  const changes = () => env.strapi.plugin('dealers').service('credit-change');
  const requestRow = (number: string) => env.strapi.db.query('plugin::dealers.credit-change-request').findOne({ where: { number } });
  const limitOf = async (dealerId: number) => (await env.strapi.plugin('dealers').service('credit').summary(dealerId)).limitCents;

  /** A request of a dealer without payment history: the process scores it and waits for finance. */
  const requestInReview = async () => {
    const dealer: DealerRef = await env.createDealer();
    await env.strapi.plugin('dealers').service('credit').openAccount({ dealerId: dealer.id, limitCents: 10_000_000 });
    const owner = await env.asDealer(dealer, 'owner');
    const { requestCreditLimitChange: asked } = await owner.query(REQUEST, { limit: 12_000_000, reason: 'Peak season stock-up' });
    // Scored (the process's own write) before the test decides, so only the two decisions race.
    const row = await eventually(async () => {
      const found = await requestRow(asked.number);
      if (!(found?.trail ?? []).some((t: any) => t.action === 'scored')) throw new Error(`${asked.number} is not scored yet`);
      return found;
    });
    return { dealer, row };
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    manager = await env.asStaff('channel-manager');
  });
  afterAll(() => env?.destroy());

  it('two decisions on one credit-limit request at once: exactly one wins, the other is a CONFLICT that changes nothing', async () => {
    const { dealer, row } = await requestInReview();
    const outcomes = await Promise.allSettled([changes().apply(row.id, ['finance-a@test'], 'Approved'), changes().reject(row.id, 'finance-b@test', 'Rejected')]);

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    // Both read it in review: the loser's guarded write found it decided (not a check on a fresh read).
    expect(lost[0]!.reason).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('no longer in review') });

    const after = await requestRow(row.number);
    const decisions = after.trail.filter((t: any) => t.action === 'approved' || t.action === 'rejected');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ from: 'in_review', to: after.reviewStatus });
    // The limit moved only if the approval won.
    expect(await limitOf(dealer.id)).toBe(after.reviewStatus === 'approved' ? 12_000_000 : 10_000_000);
  });

  it('a decision on a request someone else already decided is a CONFLICT naming its state, and writes nothing', async () => {
    const { dealer, row } = await requestInReview();
    await changes().reject(row.id, 'finance-a@test', 'Not now');
    const before = await requestRow(row.number);

    // A late approval (a stale screen, a job that lost the race): refused, not applied.
    await expect(changes().apply(row.id, ['finance-b@test'], 'Approved after all')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('is rejected'),
    });
    const after = await requestRow(row.number);
    expect(after.reviewStatus).toBe('rejected');
    expect(after.trail).toEqual(before.trail);
    expect(await limitOf(dealer.id)).toBe(10_000_000);
    // Rejecting again is the repeated job's answer: the request as it is, no second step.
    await changes().reject(row.id, 'finance-a@test', 'Not now');
    expect((await requestRow(row.number)).trail).toEqual(before.trail);
  });

  it('a complaint cannot skip its steps: closing one that was never replied to is a CONFLICT and changes nothing', async () => {
    const dealer = await env.createDealer();
    const owner = await env.asDealer(dealer, 'owner');
    const { fileComplaint: filed } = await owner.query(FILE, { subject: 'Late delivery', content: 'The order arrived a week late.' });
    const conflict = await manager.expectError('CONFLICT', CLOSE, { n: filed.number });
    expect(conflict.message).toContain('is accepted');
    const [record] = (await manager.query(RECORD, { code: dealer.code })).serviceRecords.nodes;
    expect(record).toMatchObject({ number: filed.number, status: 'accepted', trail: [{ action: 'accepted', by: owner.user.email, note: null }] });
  });

  it('an application already approved cannot be rejected by a late job: CONFLICT, row unchanged', async () => {
    const applications = env.strapi.db.query('plugin::dealers.application');
    const trail = [{ at: new Date().toISOString(), by: 'applicant@test', action: 'submitted' }, { at: new Date().toISOString(), by: 'manager@test', action: 'approved', note: 'Good fit' }];
    const approved = await applications.create({
      data: {
        number: `APP-LIFECYCLE-${Date.now()}`, companyName: 'Lifecycle Test Co.', taxId: '91330100MA2LIFE01X', contactName: 'Li Lei', contactEmail: 'li.lei@lifecycle.example.com',
        regionCode: 'EAST', dealerType: 'store', annualVolumeCents: 1_000_000, currency: 'CNY', reviewStatus: 'approved', trail,
      },
    });
    await expect(env.strapi.plugin('dealers').service('applications').reject(approved.id, 'Too late', 'process')).rejects.toMatchObject({ code: 'CONFLICT' });
    const after = await applications.findOne({ where: { id: approved.id } });
    expect(after).toMatchObject({ reviewStatus: 'approved', decisionNote: null });
    // Steps written before the state machine keep their shape.
    expect(after.trail).toEqual(trail);
  });
});
