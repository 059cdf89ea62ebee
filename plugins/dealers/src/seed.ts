import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dayOf, type SeedContext, service } from '@channelflow/sdk';
import { creditCodeCheckCharacter } from './services/tax-id';
import { DEFAULT_TIERS } from './services/classifications.service';
import { samplePdf } from './sample-pdf';

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
  const dealers = service(strapi, 'dealers', 'dealers');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const tier = () => {
    const r = random();
    return r < 0.2 ? 'gold' : r < 0.55 ? 'silver' : 'bronze';
  };
  const regions = Object.keys(CITIES);
  const profiles = new Map<string, { tier: string; dealerType: keyof typeof SUFFIX }>();
  let n = 0;
  const create = async (dealerType: keyof typeof SUFFIX, regionCode: string, parentCode?: string) => {
    n += 1;
    const code = `D${String(n).padStart(4, '0')}`;
    const city = pick(CITIES[regionCode]!);
    const dealerTier = dealerType === 'distributor' ? 'gold' : tier();
    profiles.set(code, { tier: dealerTier, dealerType });
    return dealers.create({
      code,
      name: `${city} ${pick(WORDS)} ${SUFFIX[dealerType]}`,
      tier: dealerTier,
      dealerType,
      status: STATUS_BY_CODE[code] ?? (random() < 0.06 ? 'suspended' : 'active'),
      taxId: demoTaxId(REGION_DIVISION[regionCode]!, random),
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
  // Each dealer is followed by a rep of its region's team (the customer belongs to the team, not the rep).
  for (const region of regions) {
    const reps = await strapi.service('api::sales-team.sales-team').staffInRegion(region, 'sales-rep');
    if (!reps.length) continue;
    const inRegion = await strapi.db.query('plugin::dealers.dealer').findMany({ where: { region: { code: region } }, orderBy: { code: 'asc' } });
    for (const [i, dealer] of inRegion.entries()) {
      const rep = reps[i % reps.length]!;
      await strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { salesRep: rep.email, salesTeam: rep.teamCode } });
    }
  }

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
    await service(strapi, 'dealers', 'portal-users').link({ userId: user.id, dealerId: dealer.id, role: 'owner' });
  }
  for (const dealer of all) {
    if (dealer.status === 'prospect' || dealer.status === 'onboarding') continue; // no credit before onboarding ends
    await seedCredit(strapi, dealer, profiles.get(dealer.code)!, random);
  }
  // Every status shows up in the demo, each with its recorded reason.
  const byCode = new Map(all.map((d) => [d.code, d]));
  await dealers.changeStatus({ dealerId: byCode.get('D0049')!.id, to: 'terminated', reason: 'Closed the store; contract ended', actor: 'chen.manager@demo.channelflow.local' });
  await service(strapi, 'dealers', 'blacklist').add({
    dealerId: byCode.get('D0050')!.id,
    reason: 'Sold to other regions below the price floor after two warnings (窜货)',
    actor: 'sun.finance@demo.channelflow.local',
  });
}

/** The last stores show the early and the final statuses (the rest are active, a few suspended). */
const STATUS_BY_CODE: Record<string, 'prospect' | 'onboarding'> = { D0046: 'prospect', D0047: 'prospect', D0048: 'onboarding' };

/** Administrative division codes (province level) for the demo regions' tax ids. */
const REGION_DIVISION: Record<string, string> = { EAST: '330100', SOUTH: '440300', NORTH: '110000' };

/** A valid-looking unified social credit code: company (91), division, 9 random characters, check character. */
function demoTaxId(division: string, random: () => number): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  let body = `91${division}`;
  for (let i = 0; i < 9; i += 1) body += alphabet[Math.floor(random() * alphabet.length)];
  return body + creditCodeCheckCharacter(body);
}


/**
 * A credit account per dealer and the receivables brought over from the previous system
 * (opening invoices of the last five months and their payments). Most dealers pay on time,
 * some late and in part, a few not at all, so overdue amounts and every ageing bucket show up.
 */
async function seedCredit(
  strapi: SeedContext['strapi'],
  dealer: { id: number; code: string },
  profile: { tier: string; dealerType: keyof typeof SUFFIX },
  random: () => number,
) {
  const credit = service(strapi, 'dealers', 'credit');
  const limitCents = DEFAULT_TIERS.find((t) => t.code === profile.tier)!.defaultCreditLimitCents;
  const paymentTermDays = profile.dealerType === 'store' ? 15 : 30;
  await credit.openAccount({ dealerId: dealer.id, limitCents, paymentTermDays, currency: 'CNY' });
  const payer = random();
  const habit = payer < 0.7 ? 'on-time' : payer < 0.9 ? 'late' : 'defaulting';
  const invoices = 2 + Math.floor(random() * 4);
  for (let i = 0; i < invoices; i += 1) {
    // Spread over five months, the newest a few days old (not yet due).
    const ageDays = Math.round((150 * (invoices - 1 - i)) / (invoices - 1)) + Math.floor(random() * 8);
    const amountCents = Math.round(limitCents * (0.04 + random() * 0.12) / 100) * 100;
    const reference = `OB-${dealer.code}-${String(i + 1).padStart(2, '0')}`;
    await credit.post({ dealerId: dealer.id, kind: 'invoice', amountCents, idempotencyKey: `seed:${reference}`, reference, entryDate: daysAgo(ageDays), note: 'Opening balance from the previous system' });
    const dueIn = ageDays - paymentTermDays;
    if (dueIn < 0) continue; // not due yet
    const paid = habit === 'on-time' ? amountCents : habit === 'late' ? Math.round((amountCents * (0.5 + random() * 0.3)) / 100) * 100 : i >= invoices - 1 ? amountCents : 0;
    if (!paid) continue;
    const paidDaysAgo = habit === 'on-time' ? Math.max(0, dueIn + Math.floor(random() * 5)) : Math.max(0, dueIn - 20 - Math.floor(random() * 20));
    await credit.post({ dealerId: dealer.id, kind: 'payment', amountCents: paid, idempotencyKey: `seed:PAY-${reference}`, reference: `BANK-${reference.slice(3)}`, entryDate: daysAgo(paidDaysAgo) });
  }
}

const daysAgo = (n: number) => dayOf(Date.now() - n * 86_400_000);

/**
 * Demo processes: applications waiting for a channel manager's review (and one the automatic
 * checks turn down), and credit-limit requests on their way through finance and the director.
 */
export async function seedDealerProcesses({ strapi, random }: SeedContext): Promise<void> {
  const applications = service(strapi, 'dealers', 'applications');
  const existing = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { code: 'D0003' } });
  const prospects = [
    { companyName: '苏州恒通电器有限公司', contactName: '周敏', city: 'suzhou', regionCode: 'EAST', dealerType: 'store', volume: 180_000_000 },
    { companyName: '佛山嘉和家居有限公司', contactName: '黄磊', city: 'foshan', regionCode: 'SOUTH', dealerType: 'distributor', volume: 1_200_000_000 },
  ] as const;
  for (const p of prospects) {
    const taxId = demoTaxId(REGION_DIVISION[p.regionCode]!, random);
    await applications.submit({
      companyName: p.companyName,
      taxId,
      contactName: p.contactName,
      contactEmail: `${p.city}.applicant@prospect.demo`,
      regionCode: p.regionCode,
      dealerType: p.dealerType,
      annualVolumeCents: p.volume,
      regionsWanted: [p.city],
      locale: 'zh-CN',
      documents: [await demoBusinessLicence(strapi, taxId, p.city)],
    });
  }
  // Already a dealer: the automatic checks reject it.
  await applications.submit({
    companyName: existing.name,
    taxId: existing.taxId,
    contactName: '王强',
    contactEmail: 'duplicate.applicant@prospect.demo',
    regionCode: 'EAST',
    dealerType: 'store',
    annualVolumeCents: 50_000_000,
    locale: 'zh-CN',
    documents: [await demoBusinessLicence(strapi, existing.taxId, existing.city ?? 'China')],
  });

  const changes = service(strapi, 'dealers', 'credit-change');
  const credit = service(strapi, 'dealers', 'credit');
  for (const [code, factor, by] of [
    ['D0005', 1.3, 'owner@d0005.dealer.demo'],
    ['D0012', 1.1, 'owner@d0012.dealer.demo'],
    ['D0001', 3, 'wang.rep@demo.channelflow.local'],
  ] as const) {
    const dealer = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { code } });
    const { limitCents } = await credit.summary(dealer.id);
    await changes.request({
      dealerId: dealer.id,
      limitCents: Math.round((limitCents * factor) / 100_000) * 100_000,
      reason: code === 'D0001' ? 'New regional distribution contract' : 'Peak season stock-up',
      requestedBy: by,
      requestedVia: by.includes('dealer.demo') ? 'portal' : 'staff',
    });
  }
}

/** A generated one-page business licence (营业执照) PDF, stored as an applicant's upload; answers its token. */
async function demoBusinessLicence(strapi: SeedContext['strapi'], taxId: string, city: string): Promise<string> {
  const filepath = path.join(os.tmpdir(), `channelflow-licence-${taxId}-${process.pid}.pdf`);
  const pdf = samplePdf(['Business Licence', `Unified social credit code: ${taxId}`, `Registered in: ${city}`, 'Demo document generated by Channelflow']);
  await writeFile(filepath, pdf);
  try {
    const { token } = await service(strapi, 'dealers', 'application-documents').store({ kind: 'business_license', file: { filepath, originalFilename: `business-licence-${taxId}.pdf`, size: pdf.length } });
    return token;
  } finally {
    await rm(filepath, { force: true });
  }
}
