import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const SNAPSHOT = `{
  dealers(pageSize: 100) { total nodes { code name taxId tier dealerType status city region { code } parent { code } salesRep salesTeam } }
  products(activeOnly: false, pageSize: 100) { total nodes { sku name basePrice { amountMinor currency } active } }
  warehouses { code level regionCode }
  gold: dealerCreditLedger(dealerCode: "D0001", pageSize: 100) { total nodes { kind amount { amountMinor } reference entryDate dueDate } }
  store: dealerCredit(dealerCode: "D0030") { limit { amountMinor } receivable { amountMinor } overdue { amountMinor } paymentTermDays }
  history: invoices(pageSize: 100) { total nodes { number orderNumber dealerCode issuedOn dueDate status total { amountMinor } open { amountMinor } lines { sku quantity } } }
  sales: salesReport(from: "2000-01-01", to: "2100-01-01", groupBy: region) { rows { key invoices quantity amount { amountMinor } } totals { invoices quantity amountMinor } }
}`;

describe('demo seed', () => {
  let first: TestEnvironment;
  let second: TestEnvironment;
  beforeAll(async () => {
    first = await createTestEnvironment({ seed: 'demo', env: { DEMO_PASSWORD: 'demo-test-password' } });
  });
  afterAll(async () => {
    await first?.destroy();
    await second?.destroy();
  });

  it('loads the brand, regions, warehouses, dealers with sub-dealers and products', async () => {
    const staff = await first.asStaff('channel-manager');
    const data = await staff.query(SNAPSHOT);
    expect(data.dealers.total).toBe(50);
    expect(new Set(data.dealers.nodes.map((d: any) => d.tier))).toEqual(new Set(['gold', 'silver', 'bronze']));
    expect(new Set(data.dealers.nodes.map((d: any) => d.status))).toEqual(new Set(['prospect', 'onboarding', 'active', 'suspended', 'blacklisted', 'terminated']));
    expect(data.dealers.nodes.every((d: any) => /^91\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(d.taxId))).toBe(true);
    expect(new Set(data.dealers.nodes.map((d: any) => d.taxId)).size).toBe(50);
    const distributors = data.dealers.nodes.filter((d: any) => d.dealerType === 'distributor');
    const subDealers = data.dealers.nodes.filter((d: any) => d.parent);
    expect(distributors).toHaveLength(6);
    expect(subDealers.every((s: any) => distributors.some((d: any) => d.code === s.parent.code))).toBe(true);
    expect(new Set(data.dealers.nodes.map((d: any) => d.region.code))).toEqual(new Set(['EAST', 'SOUTH', 'NORTH']));
    expect(data.products.total).toBe(40);
    expect(data.products.nodes.every((p: any) => Number.isInteger(p.basePrice.amountMinor) && p.basePrice.amountMinor > 0)).toBe(true);
    expect(data.warehouses.map((w: any) => w.level).sort()).toEqual(['hq', 'regional', 'regional', 'regional']);
  });

  it('gives every dealer a credit account by tier, with opening receivables some of which are overdue', async () => {
    const credit = first.strapi.plugin('dealers').service('credit');
    const dealers = await first.strapi.db.query('plugin::dealers.dealer').findMany({});
    const withCredit = dealers.filter((d: any) => d.lifecycleStatus !== 'prospect' && d.lifecycleStatus !== 'onboarding');
    expect(withCredit.length).toBe(47);
    const summaries = await Promise.all(withCredit.map((d: any) => credit.summary(d.id).then((s: any) => ({ ...s, tier: d.tier }))));
    const limits = { gold: 500_000_000, silver: 200_000_000, bronze: 50_000_000 } as Record<string, number>;
    expect(summaries.every((s) => s.limitCents === limits[s.tier] && s.currency === 'CNY')).toBe(true);
    expect(summaries.filter((s) => s.receivableCents > 0).length).toBeGreaterThan(38);
    const overdue = summaries.filter((s) => s.overdueCents > 0);
    expect(overdue.length).toBeGreaterThanOrEqual(5);
    expect(overdue.length).toBeLessThan(30);
    expect(summaries.some((s) => s.ageing.over90 > 0)).toBe(true);
    expect(summaries.some((s) => s.ageing.current > 0)).toBe(true);
  });

  it('has twelve months of orders shipped, invoiced and paid (mostly on time), so the reports have figures', async () => {
    const director = await first.asStaff('director');
    const { sales, history } = await director.query(SNAPSHOT);
    expect(sales.rows.map((r: any) => r.key).sort()).toEqual(['EAST', 'NORTH', 'SOUTH']);
    expect(sales.totals.invoices).toBeGreaterThan(200);
    expect(sales.totals.amountMinor).toBe(sales.rows.reduce((sum: number, r: any) => sum + r.amount.amountMinor, 0));
    expect(history.total).toBe(sales.totals.invoices);
    const counts = await director.query('{ paid: invoices(status: paid, pageSize: 1) { total } open: invoices(status: open, pageSize: 1) { total } }');
    expect(counts.paid.total).toBeGreaterThan(counts.open.total);
    expect(counts.open.total).toBeGreaterThan(0);
    const invoices: any[] = await first.strapi.db.query('plugin::orders.invoice').findMany({ select: ['issuedOn'] });
    const months = new Set(invoices.map((i) => String(i.issuedOn).slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(12);
    const oldest = invoices.map((i) => Date.parse(String(i.issuedOn).slice(0, 10))).sort((a, b) => a - b)[0]!;
    expect(Date.now() - oldest).toBeGreaterThan(300 * 86_400_000);
    const { stockReport } = await director.query('{ stockReport { rows { averageAgeDays annualDemand } } }');
    expect(stockReport.rows.some((r: any) => r.averageAgeDays > 60)).toBe(true);
    expect(stockReport.rows.some((r: any) => r.annualDemand > 0)).toBe(true);
  });

  it('puts the staff in one sales team per region and every dealer with a rep of its region\'s team', async () => {
    const staff = await first.asStaff('finance');
    const { salesTeams } = await staff.query('{ salesTeams { code region { code } members { username role } } }');
    expect(salesTeams.map((t: any) => [t.code, t.region.code, t.members.map((m: any) => m.username).sort()])).toEqual([
      ['EAST-1', 'EAST', ['chen.manager', 'wang.rep']],
      ['NORTH-1', 'NORTH', ['liu.rep', 'zhao.manager']],
      ['SOUTH-1', 'SOUTH', ['li.manager', 'zhang.rep']],
    ]);
    const { dealers } = await staff.query('{ dealers(pageSize: 100) { nodes { code region { code } salesRep salesTeam } } }');
    const repOf: Record<string, string> = { EAST: 'wang.rep@demo.channelflow.local', SOUTH: 'zhang.rep@demo.channelflow.local', NORTH: 'liu.rep@demo.channelflow.local' };
    expect(dealers.nodes.filter((d: any) => d.salesRep !== repOf[d.region.code] || d.salesTeam !== `${d.region.code}-1`)).toEqual([]);
  });

  it('starts demo processes: applications and credit requests waiting in the inboxes, one application turned down', async () => {
    // Reviews go to the channel manager of the applicant's region: chen (EAST) and li (SOUTH), not zhao (NORTH).
    const [chen, li, zhao] = await Promise.all(['chen.manager', 'li.manager', 'zhao.manager'].map((name) => signIn(first, name)));
    const manager = chen;
    const finance = await first.asStaff('finance');
    const inbox = '{ taskInbox(pageSize: 100) { nodes { name variables } } }';
    const reviewsOf = async (client: GraphqlClient) =>
      (await client.query(inbox)).taskInbox.nodes.filter((t: any) => t.name === 'Review application').map((t: any) => t.variables.regionCode);
    await eventually(async () => {
      expect(await reviewsOf(chen)).toEqual(['EAST']);
      expect(await reviewsOf(li)).toEqual(['SOUTH']);
      expect(await reviewsOf(zhao)).toEqual([]);
      const { dealerApplications } = await manager.query('{ dealerApplications { nodes { status decisionNote trail { action note } } } }');
      expect(dealerApplications.nodes.map((a: any) => a.status).sort()).toEqual(['in_review', 'in_review', 'rejected']);
      const rejected = dealerApplications.nodes.find((a: any) => a.status === 'rejected');
      expect(rejected.trail.find((s: any) => s.action === 'checks failed').note).toContain('already belongs to dealer D0003');
      const requests = (await finance.query('{ creditLimitRequests { nodes { dealerCode status } } }')).creditLimitRequests.nodes;
      expect(requests.map((r: any) => r.dealerCode).sort()).toEqual(['D0001', 'D0005', 'D0012']);
      const approvals = (await finance.query(inbox)).taskInbox.nodes.filter((t: any) => t.name === 'Finance approval');
      expect(approvals.map((t: any) => t.variables.dealerCode)).toContain('D0001'); // a 3× increase always needs finance
    }, { timeoutMs: 30_000 });
  });

  it('gives every seeded dealer an owner who can sign in and sees only that dealer', async () => {
    const password = 'demo-test-password';
    const login = await first.anonymous.query(
      'mutation ($i: String!, $p: String!) { login(input: { identifier: $i, password: $p }) { jwt } }',
      { i: 'owner@d0007.dealer.demo', p: password },
    );
    const res = await fetch(`${first.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.login.jwt}` },
      body: JSON.stringify({ query: '{ myDealer { myRole dealer { code } } }' }),
    });
    expect((await res.json()).data.myDealer).toEqual({ myRole: 'owner', dealer: { code: 'D0007' } });
  });

  // Seeding a second database (a year of order history) takes a while on a busy machine: as long as the first one may.
  it('is deterministic: a second fresh database gets identical demo data', { timeout: 240_000 }, async () => {
    const a = await (await first.asStaff('channel-manager')).query(SNAPSHOT);
    await first.destroy();
    second = await createTestEnvironment({ seed: 'demo', env: { DEMO_PASSWORD: 'demo-test-password' } });
    const b = await (await second.asStaff('channel-manager')).query(SNAPSHOT);
    expect(b).toEqual(a);
  });

  it('runs on the first start only: a restart on the same data does not seed again', async () => {
    await second.restart();
    const staff = await second.asStaff('channel-manager');
    const data = await staff.query('{ dealers { total } products(activeOnly: false) { total } }');
    expect(data).toEqual({ dealers: { total: 50 }, products: { total: 40 } });
  });
});

async function signIn(env: TestEnvironment, identifier: string): Promise<GraphqlClient> {
  const { login } = await env.anonymous.query('mutation ($i: String!, $p: String!) { login(input: { identifier: $i, password: $p }) { jwt } }', { i: identifier, p: 'demo-test-password' });
  return new GraphqlClient(`${env.baseUrl}/graphql`, login.jwt);
}
