import type { SeedContext } from '@channelflow/sdk';

export const DEMO_REGIONS = [
  { code: 'EAST', name: 'East China', nameZh: '华东' },
  { code: 'SOUTH', name: 'South China', nameZh: '华南' },
  { code: 'NORTH', name: 'North China', nameZh: '华北' },
] as const;

export const DEMO_STAFF = [
  { username: 'admin', email: 'admin@demo.channelflow.local', role: 'platform-admin' },
  { username: 'chen.manager', email: 'chen.manager@demo.channelflow.local', role: 'channel-manager' },
  { username: 'li.manager', email: 'li.manager@demo.channelflow.local', role: 'channel-manager' },
  { username: 'zhao.manager', email: 'zhao.manager@demo.channelflow.local', role: 'channel-manager' },
  { username: 'wang.rep', email: 'wang.rep@demo.channelflow.local', role: 'sales-rep' },
  { username: 'zhang.rep', email: 'zhang.rep@demo.channelflow.local', role: 'sales-rep' },
  { username: 'liu.rep', email: 'liu.rep@demo.channelflow.local', role: 'sales-rep' },
  { username: 'sun.finance', email: 'sun.finance@demo.channelflow.local', role: 'finance' },
  { username: 'zhou.director', email: 'zhou.director@demo.channelflow.local', role: 'director' },
] as const;

/** One team per region: its channel manager reviews the region's applications, its rep follows its dealers. */
export const DEMO_TEAMS = [
  { code: 'EAST-1', name: 'East China team', regionCode: 'EAST', members: ['chen.manager', 'wang.rep'] },
  { code: 'SOUTH-1', name: 'South China team', regionCode: 'SOUTH', members: ['li.manager', 'zhang.rep'] },
  { code: 'NORTH-1', name: 'North China team', regionCode: 'NORTH', members: ['zhao.manager', 'liu.rep'] },
] as const;

/** The brand, its regions and its staff: what every plug-in's demo data hangs off. */
export async function seedCore({ strapi, demoPassword }: SeedContext): Promise<void> {
  await strapi.db.query('api::brand.brand').create({
    data: { name: 'Aurora Home Appliances', nameZh: '极光家电', currency: 'CNY', defaultLocale: 'zh-CN', timeZone: 'Asia/Shanghai' },
  });
  for (const region of DEMO_REGIONS) await strapi.db.query('api::region.region').create({ data: region });
  for (const staff of DEMO_STAFF) {
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: staff.role } });
    await strapi.plugin('users-permissions').service('user').add({
      username: staff.username,
      email: staff.email,
      password: demoPassword,
      provider: 'local',
      confirmed: true,
      blocked: false,
      role: role.id,
    });
  }
  for (const team of DEMO_TEAMS) {
    const memberEmails = team.members.map((username) => DEMO_STAFF.find((s) => s.username === username)!.email);
    await strapi.service('api::sales-team.sales-team').save({ code: team.code, name: team.name, regionCode: team.regionCode, memberEmails });
  }
}
