import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const SAVE = `mutation ($code: String!, $name: String!, $regionCode: String!, $members: [String!], $active: Boolean) {
  saveSalesTeam(code: $code, name: $name, regionCode: $regionCode, memberEmails: $members, active: $active) { code name active region { code } members { email role } } }`;
const LIST = 'query ($all: Boolean) { salesTeams(includeInactive: $all) { code active members { email } } }';

describe('sales teams', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.strapi.db.query('api::region.region').create({ data: { code: 'WEST', name: 'West China' } });
  });
  afterAll(() => env?.destroy());

  it('platform admins form a region\'s team from staff; saving again replaces the members; retired teams drop out of the list', async () => {
    const admin = await env.asStaff('platform-admin');
    const [manager, rep, other] = await Promise.all([env.asStaff('channel-manager'), env.asStaff('sales-rep'), env.asStaff('sales-rep')]);
    const { saveSalesTeam } = await admin.query(SAVE, { code: 'WEST-1', name: 'West team', regionCode: 'WEST', members: [manager.user.email, rep.user.email.toUpperCase()] });
    expect(saveSalesTeam).toMatchObject({ code: 'WEST-1', active: true, region: { code: 'WEST' } });
    expect(saveSalesTeam.members.map((m: any) => [m.email, m.role]).sort()).toEqual([[manager.user.email, 'channel-manager'], [rep.user.email, 'sales-rep']].sort());
    await admin.query(SAVE, { code: 'WEST-1', name: 'West team', regionCode: 'WEST', members: [other.user.email] });
    expect((await rep.query(LIST)).salesTeams).toEqual([{ code: 'WEST-1', active: true, members: [{ email: other.user.email }] }]);
    await admin.query(SAVE, { code: 'WEST-1', name: 'West team', regionCode: 'WEST', members: [other.user.email], active: false });
    expect((await rep.query(LIST)).salesTeams).toEqual([]);
    expect((await rep.query(LIST, { all: true })).salesTeams).toHaveLength(1);
  });

  it('refuses other roles, unknown regions and people who are not staff, and writes nothing', async () => {
    const admin = await env.asStaff('platform-admin');
    const manager = await env.asStaff('channel-manager');
    const dealerUser = await env.asDealer(await env.createDealer());
    const count = () => env.strapi.db.query('api::sales-team.sales-team').count({});
    const before = await count();
    await manager.expectError('FORBIDDEN', SAVE, { code: 'WEST-2', name: 'Mine', regionCode: 'WEST', members: [manager.user.email] });
    await dealerUser.expectError('FORBIDDEN', SAVE, { code: 'WEST-2', name: 'Mine', regionCode: 'WEST' });
    await admin.expectError('NOT_FOUND', SAVE, { code: 'WEST-2', name: 'Nowhere', regionCode: 'MARS' });
    const notStaff = await admin.expectError('BAD_INPUT', SAVE, { code: 'WEST-2', name: 'With a dealer', regionCode: 'WEST', members: [manager.user.email, dealerUser.user.email] });
    expect(notStaff.message).toContain(dealerUser.user.email);
    await admin.expectError('BAD_INPUT', SAVE, { code: 'west two', name: 'Bad code', regionCode: 'WEST' });
    expect(await count()).toBe(before);
    await dealerUser.expectError('FORBIDDEN', LIST, {});
  });
});
