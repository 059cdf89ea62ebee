import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const TIERS = 'query ($all: Boolean) { dealerTiers(includeInactive: $all) { code name nameZh rank defaultCreditLimit { amountMinor } active } }';
const TYPES = '{ dealerTypes { code name } }';
const SAVE_TIER = `mutation ($code: String!, $name: String!, $rank: Int!, $limit: Long!, $active: Boolean) {
  saveDealerTier(code: $code, name: $name, rank: $rank, defaultCreditLimitMinor: $limit, active: $active) { code rank defaultCreditLimit { amountMinor } active } }`;
const SAVE_TYPE = 'mutation ($code: String!, $name: String!) { saveDealerType(code: $code, name: $name) { code name active } }';

describe('admin-configurable dealer tiers and types', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  it('a new platform starts with gold, silver, bronze and distributor, sub-dealer, store', async () => {
    const rep = await env.asStaff('sales-rep');
    expect((await rep.query(TIERS, {})).dealerTiers).toEqual([
      { code: 'gold', name: 'Gold', nameZh: '金牌', rank: 1, defaultCreditLimit: { amountMinor: 500_000_000 }, active: true },
      { code: 'silver', name: 'Silver', nameZh: '银牌', rank: 2, defaultCreditLimit: { amountMinor: 200_000_000 }, active: true },
      { code: 'bronze', name: 'Bronze', nameZh: '铜牌', rank: 3, defaultCreditLimit: { amountMinor: 50_000_000 }, active: true },
    ]);
    expect((await rep.query(TYPES)).dealerTypes.map((t: any) => t.code)).toEqual(['distributor', 'store', 'sub-dealer']);
  });

  it('admins add a tier and a type that dealers can then use; retired ones refuse new dealers but stay listed', async () => {
    const admin = await env.asStaff('platform-admin');
    const dealers = env.strapi.plugin('dealers').service('dealers');
    await expect(dealers.create({ code: 'PLAT-1', name: 'Platinum Trading', tier: 'platinum' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'There is no active tier "platinum" (known: gold, silver, bronze)',
    });
    expect((await admin.query(SAVE_TIER, { code: 'platinum', name: 'Platinum', rank: 0, limit: 1_000_000_000 })).saveDealerTier).toEqual({
      code: 'platinum',
      rank: 0,
      defaultCreditLimit: { amountMinor: 1_000_000_000 },
      active: true,
    });
    await admin.query(SAVE_TYPE, { code: 'online-shop', name: 'Online shop' });
    const created = await dealers.create({ code: 'PLAT-1', name: 'Platinum Trading', tier: 'platinum', dealerType: 'online-shop' });
    expect((await env.strapi.db.query('plugin::dealers.dealer').findOne({ where: { id: created.id } })).tier).toBe('platinum');

    await admin.query(SAVE_TIER, { code: 'bronze', name: 'Bronze', rank: 3, limit: 50_000_000, active: false });
    await expect(dealers.create({ code: 'BRZ-1', name: 'Bronze Store', tier: 'bronze' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const rep = await env.asStaff('sales-rep');
    expect((await rep.query(TIERS, {})).dealerTiers.map((t: any) => t.code)).toEqual(['platinum', 'gold', 'silver']);
    expect((await rep.query(TIERS, { all: true })).dealerTiers.map((t: any) => t.code)).toEqual(['platinum', 'gold', 'silver', 'bronze']);
  });

  it('only platform admins configure, and codes are checked', async () => {
    const manager = await env.asStaff('channel-manager');
    const refused = await manager.expectError('FORBIDDEN', SAVE_TIER, { code: 'diamond', name: 'Diamond', rank: 1, limit: 1 });
    expect(refused.message).toContain('dealers.configure');
    const admin = await env.asStaff('platform-admin');
    await admin.expectError('BAD_INPUT', SAVE_TIER, { code: 'Diamond Tier', name: 'Diamond', rank: 1, limit: 1 });
    await admin.expectError('BAD_INPUT', SAVE_TIER, { code: 'diamond', name: 'Diamond', rank: 1, limit: -1 });
    expect((await admin.query(TIERS, { all: true })).dealerTiers.map((t: any) => t.code)).not.toContain('diamond');
  });
});
