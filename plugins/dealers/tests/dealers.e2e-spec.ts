import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const MY_DEALER = '{ myDealer { myRole dealer { code name status } users { email role } } }';
const DEALERS = `query ($tier: String, $status: DealerStatus, $regionCode: String, $search: String, $page: Int, $pageSize: Int) {
  dealers(tier: $tier, status: $status, regionCode: $regionCode, search: $search, page: $page, pageSize: $pageSize) {
    total page pageSize nodes { code name tier dealerType status region { code } parent { code } }
  }
}`;

describe('dealers plug-in', () => {
  let env: TestEnvironment;
  let a: DealerRef;
  let b: DealerRef;
  beforeAll(async () => {
    env = await createTestEnvironment();
    const dealers = env.strapi.plugin('dealers').service('dealers');
    await env.strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East China' } });
    await env.strapi.db.query('api::region.region').create({ data: { code: 'NORTH', name: 'North China' } });
    a = await dealers.create({ code: 'A-DIST', name: 'Hangzhou Xinda Trading', tier: 'gold', dealerType: 'distributor', regionCode: 'EAST' });
    b = await dealers.create({ code: 'B-STORE', name: 'Beijing Jiahe Home Store', tier: 'bronze', dealerType: 'store', regionCode: 'NORTH' });
    await dealers.create({ code: 'A-SUB', name: 'Ningbo Huamei Appliance Sales', tier: 'silver', dealerType: 'sub-dealer', regionCode: 'EAST', parentCode: 'A-DIST' });
    await dealers.create({ code: 'C-SUSP', name: 'Tianjin Yongan Home Store', status: 'suspended', regionCode: 'NORTH' });
  });
  afterAll(() => env?.destroy());

  describe('myDealer (dealer portal)', () => {
    it('shows a portal user its own dealer and only its own colleagues', async () => {
      const owner = await env.asDealer(a, 'owner');
      const buyer = await env.asDealer(a, 'buyer');
      const other = await env.asDealer(b, 'owner');
      const { myDealer } = await owner.query(MY_DEALER);
      expect(myDealer.dealer).toMatchObject({ code: 'A-DIST', status: 'active' });
      expect(myDealer.myRole).toBe('owner');
      expect(myDealer.users.map((u: any) => u.email).sort()).toEqual([owner.user.email, buyer.user.email].sort());
      expect(JSON.stringify(myDealer)).not.toContain(other.user.email);
    });

    it('keeps dealer B out of dealer A: B only ever sees B', async () => {
      const other = await env.asDealer(b, 'viewer');
      const { myDealer } = await other.query(MY_DEALER);
      expect(myDealer.dealer.code).toBe('B-STORE');
      expect(JSON.stringify(myDealer)).not.toMatch(/A-DIST|A-SUB/);
    });

    it('refuses a portal account not linked to any dealer', async () => {
      const unlinked = await env.asRole('dealer');
      const error = await unlinked.expectError('FORBIDDEN', MY_DEALER);
      expect(error.message).toMatch(/not linked to a dealer/);
    });

    it('refuses staff and anonymous callers', async () => {
      const staff = await env.asStaff('sales-rep');
      const error = await staff.expectError('FORBIDDEN', MY_DEALER);
      expect(error.message).toMatch(/for dealer portal users/);
      await env.anonymous.expectError('UNAUTHENTICATED', MY_DEALER);
    });
  });

  describe('dealers (staff)', () => {
    it.each([
      [{ tier: 'gold' }, ['A-DIST']],
      [{ status: 'suspended' }, ['C-SUSP']],
      [{ regionCode: 'EAST' }, ['A-DIST', 'A-SUB']],
      [{ search: 'home store' }, ['B-STORE', 'C-SUSP']],
      [{ search: 'a-su' }, ['A-SUB']],
      [{}, ['A-DIST', 'A-SUB', 'B-STORE', 'C-SUSP']],
    ])('filter %j finds %j', async (filter, codes) => {
      const manager = await env.asStaff('channel-manager');
      const { dealers } = await manager.query(DEALERS, filter);
      expect(dealers.nodes.map((d: any) => d.code)).toEqual(codes);
      expect(dealers.total).toBe(codes.length);
    });

    it('pages through results and shows the hierarchy', async () => {
      const manager = await env.asStaff('channel-manager');
      const { dealers } = await manager.query(DEALERS, { page: 2, pageSize: 1 });
      expect(dealers).toMatchObject({ total: 4, page: 2, pageSize: 1, nodes: [{ code: 'A-SUB', dealerType: 'sub-dealer', parent: { code: 'A-DIST' } }] });
    });

    it('shows one dealer with its distributor and sub-dealers, and filters by sales rep', async () => {
      const manager = await env.asStaff('channel-manager');
      await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: a.id }, data: { salesRep: 'wang.rep@example.com' } });
      const DETAIL = 'query ($code: String!) { dealer(code: $code) { code salesRep parent { code } children { code } } }';
      expect((await manager.query(DETAIL, { code: 'A-DIST' })).dealer).toEqual({ code: 'A-DIST', salesRep: 'wang.rep@example.com', parent: null, children: [{ code: 'A-SUB' }] });
      expect((await manager.query(DETAIL, { code: 'A-SUB' })).dealer).toMatchObject({ parent: { code: 'A-DIST' }, children: [] });
      await manager.expectError('NOT_FOUND', DETAIL, { code: 'NOPE-1' });
      const mine = await manager.query('query ($rep: String) { dealers(salesRep: $rep) { total nodes { code } } }', { rep: 'wang.rep@example.com' });
      expect(mine.dealers).toEqual({ total: 1, nodes: [{ code: 'A-DIST' }] });
    });

    it('a sales rep works only with the dealers assigned to them or to their team; others look like they do not exist', async () => {
      const rep = await env.asStaff('sales-rep', { team: { code: 'REP-T', regionCode: 'EAST' } });
      const dealers = env.strapi.db.query('plugin::dealers.dealer');
      const own = await env.strapi.plugin('dealers').service('dealers').create({ code: 'R-OWN', name: 'Rep Own Store' });
      const team = await env.strapi.plugin('dealers').service('dealers').create({ code: 'R-TEAM', name: 'Rep Team Store' });
      const foreign = await env.strapi.plugin('dealers').service('dealers').create({ code: 'R-FOREIGN', name: 'Foreign Store' });
      await dealers.update({ where: { id: own.id }, data: { salesRep: rep.user.email } });
      await dealers.update({ where: { id: team.id }, data: { salesRep: 'someone.else@example.com', salesTeam: 'REP-T' } });
      await dealers.update({ where: { id: foreign.id }, data: { salesRep: 'someone.else@example.com', salesTeam: 'OTHER' } });
      const { dealers: listed } = await rep.query(DEALERS, {});
      expect(listed).toMatchObject({ total: 2, nodes: [{ code: 'R-OWN' }, { code: 'R-TEAM' }] });
      expect((await rep.query(DEALERS, { search: 'store' })).dealers.nodes.map((d: any) => d.code)).toEqual(['R-OWN', 'R-TEAM']);
      const byCode = (q: string) => rep.query(q, { code: 'R-TEAM' });
      expect((await byCode('query ($code: String!) { dealer(code: $code) { code } }')).dealer.code).toBe('R-TEAM');
      const refused = [
        'query ($code: String!) { dealer(code: $code) { code } }',
        'query ($code: String!) { dealerCredit(dealerCode: $code) { limit { amountMinor } } }',
        'query ($code: String!) { dealerCreditLedger(dealerCode: $code) { total } }',
        'query ($code: String!) { dealerStatusHistory(dealerCode: $code) { toStatus } }',
        'query ($code: String!) { creditLimitRequests(dealerCode: $code) { total } }',
        'query ($code: String!) { serviceRecords(dealerCode: $code) { total } }',
        'mutation ($code: String!) { updateDealerProfile(dealerCode: $code, needs: "Mine now") { code } }',
        'mutation ($code: String!) { requestDealerCreditLimitChange(dealerCode: $code, limitMinor: 100, reason: "Not my dealer") { number } }',
        'mutation ($code: String!) { logServiceRecord(dealerCode: $code, kind: consultation, channel: phone, subject: "Hello", content: "Not my dealer") { number } }',
      ];
      for (const query of refused) await rep.expectError('NOT_FOUND', query, { code: 'R-FOREIGN' });
      expect(await dealers.findOne({ where: { id: foreign.id } })).toMatchObject({ needs: null });
      expect(await env.strapi.db.query('plugin::dealers.credit-change-request').count({ where: { dealerId: foreign.id } })).toBe(0);
      expect(await env.strapi.db.query('plugin::dealers.service-record').count({ where: { dealerId: foreign.id } })).toBe(0);
      const complaint = await env.strapi.plugin('dealers').service('service-records').create({ kind: 'complaint', dealerId: foreign.id, channel: 'phone', subject: 'Late delivery', content: 'Two weeks late', recordedBy: 'someone.else@example.com' });
      for (const step of ['startComplaint', 'replyToComplaint', 'closeComplaint']) {
        const args = step === 'replyToComplaint' ? '(number: $n, reply: "Done")' : '(number: $n)';
        await rep.expectError('NOT_FOUND', `mutation ($n: ID!) { ${step}${args} { status } }`, { n: complaint.number });
      }
      expect((await env.strapi.db.query('plugin::dealers.service-record').findOne({ where: { number: complaint.number } })).caseStatus).toBe('accepted');
      // Everyone else on the staff still sees every dealer.
      expect((await (await env.asStaff('finance')).query(DEALERS, {})).dealers.total).toBeGreaterThanOrEqual(7);
    });

    it('keeps contacts, business scale and needs, validated, and shows them to the dealer too', async () => {
      const rep = await env.asStaff('sales-rep');
      await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: a.id }, data: { salesRep: rep.user.email } });
      const UPDATE = `mutation ($code: String!, $contacts: [DealerContactInput!], $scale: String, $needs: String) {
        updateDealerProfile(dealerCode: $code, contacts: $contacts, businessScale: $scale, needs: $needs) { code contacts { name role email phone } businessScale needs } }`;
      const contacts = [{ name: 'Li Na', role: 'purchasing', email: 'li.na@example.com', phone: '+86 571 1234 5678' }, { name: 'Zhou Bo' }];
      const { updateDealerProfile } = await rep.query(UPDATE, { code: 'A-DIST', contacts, scale: '12 stores, 80 staff', needs: 'Faster replenishment' });
      expect(updateDealerProfile).toEqual({ code: 'A-DIST', contacts: [contacts[0], { name: 'Zhou Bo', role: null, email: null, phone: null }], businessScale: '12 stores, 80 staff', needs: 'Faster replenishment' });
      await rep.expectError('BAD_INPUT', UPDATE, { code: 'A-DIST', contacts: [{ name: 'X', email: 'not-mail' }] });
      await rep.expectError('NOT_FOUND', UPDATE, { code: 'NOPE-2', needs: 'x' });
      await (await env.asStaff('finance')).expectError('FORBIDDEN', UPDATE, { code: 'A-DIST', needs: 'x' });
      const owner = await env.asDealer(a, 'owner');
      await owner.expectError('FORBIDDEN', UPDATE, { code: 'A-DIST', needs: 'x' });
      expect((await owner.query('{ myDealer { dealer { contacts { name } businessScale } } }')).myDealer.dealer).toEqual({ contacts: [{ name: 'Li Na' }, { name: 'Zhou Bo' }], businessScale: '12 stores, 80 staff' });
    });

    it('refuses dealer portal users', async () => {
      const owner = await env.asDealer(a, 'owner');
      await owner.expectError('FORBIDDEN', DEALERS);
      await owner.expectError('FORBIDDEN', 'query { dealer(code: "A-DIST") { code } }');
    });
  });

  describe('dealer service', () => {
    const count = () => env.strapi.db.query('plugin::dealers.dealer').count();

    it.each([
      [{ code: 'A-DIST', name: 'Duplicate' }, 'CONFLICT'],
      [{ code: 'lower', name: 'Bad code' }, 'BAD_INPUT'],
      [{ code: 'NEW-1', name: 'X' }, 'BAD_INPUT'],
      [{ code: 'NEW-2', name: 'Unknown region', regionCode: 'MARS' }, 'NOT_FOUND'],
      [{ code: 'NEW-3', name: 'Unknown parent', parentCode: 'NOPE' }, 'NOT_FOUND'],
    ])('refuses %j with %s and writes nothing', async (input, code) => {
      const before = await count();
      await expect(env.strapi.plugin('dealers').service('dealers').create(input)).rejects.toMatchObject({ code });
      expect(await count()).toBe(before);
    });

    it('settles concurrent duplicate codes with one dealer and a CONFLICT', async () => {
      const dealers = env.strapi.plugin('dealers').service('dealers');
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => dealers.create({ code: 'RACE-1', name: 'Racing Dealer' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason.code).toBe('CONFLICT');
      expect(await env.strapi.db.query('plugin::dealers.dealer').count({ where: { code: 'RACE-1' } })).toBe(1);
    });

    it('never links one portal account to two dealers, even when invited twice at once', async () => {
      const loner = await env.asRole('dealer');
      const links = env.strapi.plugin('dealers').service('portal-users');
      const results = await Promise.allSettled([a, b].map((d) => links.link({ userId: loner.user.id, dealerId: d.id, role: 'owner' })));
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(await env.strapi.db.query('plugin::dealers.portal-user').count({ where: { userId: loner.user.id } })).toBe(1);
    });

    it('never links one portal account to two dealers', async () => {
      const owner = await env.asDealer(a, 'owner');
      await expect(
        env.strapi.plugin('dealers').service('portal-users').link({ userId: owner.user.id, dealerId: b.id, role: 'owner' }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      const { myDealer } = await owner.query(MY_DEALER);
      expect(myDealer.dealer.code).toBe('A-DIST');
    });
  });
});
