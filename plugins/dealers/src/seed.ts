import type { SeedContext } from '@channelflow/sdk';

const CITIES: Record<string, string[]> = {
  EAST: ['Shanghai', 'Hangzhou', 'Nanjing', 'Suzhou', 'Ningbo', 'Hefei'],
  SOUTH: ['Guangzhou', 'Shenzhen', 'Xiamen', 'Fuzhou', 'Nanning', 'Dongguan'],
  NORTH: ['Beijing', 'Tianjin', 'Jinan', 'Qingdao', 'Shijiazhuang', 'Taiyuan'],
};
const WORDS = ['Hengtong', 'Xinda', 'Huamei', 'Jiahe', 'Ruifeng', 'Tianyi', 'Mingyang', 'Kaiyuan', 'Longsheng', 'Yongan', 'Baixing', 'Jinhui'];
const SUFFIX = { distributor: 'Trading Co., Ltd.', 'sub-dealer': 'Appliance Sales Co.', store: 'Home Store' } as const;

/**
 * 50 dealers: 2 distributors per region each with 3 sub-dealers, the rest stores; tiers
 * weighted 20/35/45 gold/silver/bronze. Every dealer gets an owner portal login.
 */
export async function seedDealers({ strapi, random, demoPassword }: SeedContext): Promise<void> {
  const dealers = strapi.plugin('dealers').service('dealers');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const tier = () => {
    const r = random();
    return r < 0.2 ? 'gold' : r < 0.55 ? 'silver' : 'bronze';
  };
  const regions = Object.keys(CITIES);
  let n = 0;
  const create = async (dealerType: keyof typeof SUFFIX, regionCode: string, parentCode?: string) => {
    n += 1;
    const code = `D${String(n).padStart(4, '0')}`;
    const city = pick(CITIES[regionCode]!);
    return dealers.create({
      code,
      name: `${city} ${pick(WORDS)} ${SUFFIX[dealerType]}`,
      tier: dealerType === 'distributor' ? 'gold' : tier(),
      dealerType,
      status: random() < 0.06 ? 'suspended' : 'active',
      regionCode,
      parentCode,
      city,
    });
  };
  const all = [];
  for (const region of regions) {
    for (let d = 0; d < 2; d += 1) {
      const distributor = await create('distributor', region);
      all.push(distributor);
      for (let s = 0; s < 3; s += 1) all.push(await create('sub-dealer', region, distributor.code));
    }
  }
  while (all.length < 50) all.push(await create('store', regions[all.length % regions.length]!));

  const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'dealer' } });
  for (const dealer of all) {
    const email = `owner@${dealer.code.toLowerCase()}.dealer.demo`;
    const user = await strapi.plugin('users-permissions').service('user').add({
      username: `${dealer.code.toLowerCase()}.owner`,
      email,
      password: demoPassword,
      provider: 'local',
      confirmed: true,
      blocked: false,
      role: role.id,
    });
    await strapi.plugin('dealers').service('portal-users').link({ userId: user.id, dealerId: dealer.id, role: 'owner' });
  }
}
