import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation, type DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

const REQUEST = `mutation ($limit: Long!, $until: String, $reason: String!) {
  requestCreditLimitChange(limitMinor: $limit, temporaryUntil: $until, reason: $reason) { number status requestedLimit { amountMinor } requestedBy }
}`;
const STAFF_REQUEST = `mutation ($code: String!, $limit: Long!, $reason: String!) {
  requestDealerCreditLimitChange(dealerCode: $code, limitMinor: $limit, reason: $reason) { number status processInstanceKey }
}`;
const MY_REQUESTS = '{ myCreditLimitRequests { total nodes { number status requestedBy trail { action by note } } } }';
const STAFF_REQUESTS = `query ($code: String) { creditLimitRequests(dealerCode: $code) { total nodes { number status score trail { action by note } } } }`;
const MY_CREDIT = '{ myCredit { limit { amountMinor } effectiveLimit { amountMinor } temporaryLimitActive } }';
const INBOX = '{ taskInbox(pageSize: 100) { nodes { id name variables } } }';
const CLAIM = 'mutation ($id: ID!) { claimTask(id: $id) { id } }';
const COMPLETE = 'mutation ($id: ID!, $vars: JSON) { completeTask(id: $id, variables: $vars) { state } }';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
let seq = 0;

/** Given / When / Then on the real engine: the dealers-credit-limit-change process deployed from workflows/. */
describe('credit limit change process', () => {
  let env: TestEnvironment;
  let finance: GraphqlClient & { user: { email: string } };
  const credit = () => env.strapi.plugin('dealers').service('credit');

  /** A dealer with a ¥100,000 limit and three paid invoices: on time, or `lateDays` late. */
  const dealerPaying = async (lateDays: number) => {
    const dealer: DealerRef = await env.createDealer();
    await credit().openAccount({ dealerId: dealer.id, limitCents: 10_000_000 });
    for (const age of [120, 90, 60]) {
      seq += 1;
      await credit().post({ dealerId: dealer.id, kind: 'invoice', amountCents: 2_000_000, idempotencyKey: `hist-inv-${dealer.code}-${seq}`, entryDate: daysAgo(age) });
      await credit().post({ dealerId: dealer.id, kind: 'payment', amountCents: 2_000_000, idempotencyKey: `hist-pay-${dealer.code}-${seq}`, entryDate: daysAgo(age - 30 - lateDays) });
    }
    return { dealer, owner: await env.asDealer(dealer, 'owner') };
  };
  const requestOf = (viewer: GraphqlClient, status: string) =>
    eventually(async () => {
      const [request] = (await viewer.query(MY_REQUESTS)).myCreditLimitRequests.nodes;
      // Decided, and the letter about it sent.
      if (request?.status !== status || !request.trail.some((t: any) => t.action.startsWith('letter sent'))) {
        throw new Error(`request is ${request?.status}, waiting for ${status} and its letter`);
      }
      return request;
    });
  const taskFor = (viewer: GraphqlClient, number: string, name: string) =>
    eventually(async () => {
      const task = (await viewer.query(INBOX)).taskInbox.nodes.find((t: any) => t.variables.requestNumber === number && t.name === name);
      if (!task) throw new Error(`no "${name}" task for ${number} yet`);
      return task;
    });
  const decide = async (viewer: GraphqlClient, task: { id: string }, vars: Record<string, unknown>) => {
    await viewer.query(CLAIM, { id: task.id });
    await viewer.query(COMPLETE, { id: task.id, vars });
  };
  const lettersTo = (email: string) =>
    env.strapi.db.query('api::outbox-message.outbox-message').findMany({ where: { to: email, template: 'dealers/credit-decision' } });

  beforeAll(async () => {
    env = await createTestEnvironment({ env: { DEALERS_TEMPORARY_LIMIT_MIN_SECONDS: '2' } });
    finance = await env.asStaff('finance');
  });
  afterAll(() => env?.destroy());

  it('a good payer\'s small increase is approved automatically, applied, and the dealer gets the letter', async () => {
    const { owner } = await dealerPaying(0);
    const { requestCreditLimitChange: asked } = await owner.query(REQUEST, { limit: 12_000_000, reason: 'Peak season stock-up' });
    expect(asked).toMatchObject({ status: 'in_review', requestedLimit: { amountMinor: 12_000_000 }, requestedBy: owner.user.email });

    const done = await requestOf(owner, 'approved');
    expect(done.trail.map((t: any) => `${t.action} by ${t.by}`)).toEqual([
      `requested by ${owner.user.email}`,
      'scored by process',
      'approved by automatic',
      'letter sent (approved) by process',
    ]);
    // The brand's risk view and process internals stay with staff: the dealer's type has no such fields.
    for (const field of ['score', 'processInstanceKey']) await owner.expectError('GRAPHQL_VALIDATION_FAILED', `{ myCreditLimitRequests { nodes { ${field} } } }`);
    expect((await owner.query(MY_CREDIT)).myCredit).toMatchObject({ limit: { amountMinor: 12_000_000 }, temporaryLimitActive: false });
    const [letter] = await lettersTo(owner.user.email);
    expect(letter.subject).toContain(asked.number);
    expect(letter.html).toContain('¥120,000.00');
  });

  it('automatic approval has an allowance: a second small increase soon after, or a dealer without history, goes to finance', async () => {
    const { owner } = await dealerPaying(0);
    await owner.query(REQUEST, { limit: 13_000_000, reason: 'First step up' });
    await requestOf(owner, 'approved');
    // ¥30,000 + ¥30,000 in 90 days is more than the ¥50,000 allowance.
    const { requestCreditLimitChange: second } = await owner.query(REQUEST, { limit: 16_000_000, reason: 'Second step up' });
    const task = await taskFor(finance, second.number, 'Finance approval');
    expect(task.variables).toMatchObject({ recentAutoIncreaseCents: 3_000_000, increaseCents: 3_000_000 });

    const fresh: DealerRef = await env.createDealer();
    await credit().openAccount({ dealerId: fresh.id, limitCents: 10_000_000 });
    const freshOwner = await env.asDealer(fresh, 'owner');
    const { requestCreditLimitChange: noHistory } = await freshOwner.query(REQUEST, { limit: 10_500_000, reason: 'Brand new, small step' });
    expect((await taskFor(finance, noHistory.number, 'Finance approval')).variables).toMatchObject({ invoicesDue: 0, onTimeRate: 1 });
  });

  it('a late payer goes to finance, who approves with a note; the decision names finance', async () => {
    const { dealer, owner } = await dealerPaying(20);
    const { requestCreditLimitChange: asked } = await owner.query(REQUEST, { limit: 11_000_000, reason: 'New store opening' });
    const task = await taskFor(finance, asked.number, 'Finance approval');
    expect(task.variables).toMatchObject({ dealerCode: dealer.code, increaseCents: 1_000_000, onTimeRate: 0, averageDaysLate: 20, overdueCents: 0 });
    const staffView = (await finance.query(STAFF_REQUESTS, { code: dealer.code })).creditLimitRequests.nodes[0];
    expect(staffView.score).toMatchObject({ onTimeRate: 0, averageDaysLate: 20, invoicesDue: 3 });

    await decide(finance, task, { financeDecision: 'approve', financeNote: 'Approved for the opening' });
    const done = await requestOf(owner, 'approved');
    // The dealer sees who decided by role; staff see the person.
    expect(done.trail.find((t: any) => t.action === 'approved')).toMatchObject({ by: 'Finance', note: 'Approved for the opening' });
    const staffDone = (await finance.query(STAFF_REQUESTS, { code: dealer.code })).creditLimitRequests.nodes[0];
    expect(staffDone.trail.find((t: any) => t.action === 'approved').by).toBe(finance.user.email);
    expect((await owner.query(MY_CREDIT)).myCredit.limit.amountMinor).toBe(11_000_000);
    expect((await lettersTo(owner.user.email))[0].html).toContain('Approved for the opening');
  });

  it('four eyes: finance cannot approve a request it made itself', async () => {
    const { dealer } = await dealerPaying(20);
    const { requestDealerCreditLimitChange: asked } = await finance.query(STAFF_REQUEST, { code: dealer.code, limit: 12_000_000, reason: 'Finance asks for its dealer' });
    const task = await taskFor(finance, asked.number, 'Finance approval');
    await finance.query(CLAIM, { id: task.id });
    const refused = await finance.expectError('FORBIDDEN', COMPLETE, { id: task.id, vars: { financeDecision: 'approve' } });
    expect(refused.message).toContain('someone else has to decide');
    const colleague = await env.asStaff('finance');
    await finance.query('mutation ($id: ID!) { unclaimTask(id: $id) { id } }', { id: task.id });
    await decide(colleague, task, { financeDecision: 'approve' });
    await eventually(async () => expect((await credit().summary(dealer.id)).limitCents).toBe(12_000_000));
  });

  it('finance can reject: the limit stays, the letter says so', async () => {
    const { owner } = await dealerPaying(30);
    const { requestCreditLimitChange: asked } = await owner.query(REQUEST, { limit: 15_000_000, reason: 'More volume' });
    await decide(finance, await taskFor(finance, asked.number, 'Finance approval'), { financeDecision: 'reject', financeNote: 'Pay on time for three months first' });
    const done = await requestOf(owner, 'rejected');
    expect(done.trail.find((t: any) => t.action === 'rejected')).toMatchObject({ note: 'Pay on time for three months first' });
    expect((await owner.query(MY_CREDIT)).myCredit.limit.amountMinor).toBe(10_000_000);
    const [letter] = await lettersTo(owner.user.email);
    expect(letter.subject).toContain(asked.number);
    expect(letter.html).toContain('Pay on time for three months first');
    expect(letter.html).not.toContain('¥150,000.00</strong>');

    // The same letter printed as a document for the dealer: the print layout, not the e-mail card, and its PDF.
    const printed = (await owner.query('{ myCreditLimitRequests { nodes { number letter { number zh: html en: html(locale: "en") pdf } } } }')).myCreditLimitRequests.nodes.find((r: any) => r.number === asked.number).letter;
    expect(printed.number).toBe(`CL-${asked.number}`);
    expect(printed.zh).toMatch(/信用额度决定书[\s\S]*Pay on time for three months first/);
    expect(printed.zh).not.toContain('请勿回复');
    expect(printed.en).toContain('Credit limit decision');
    expect(Buffer.from(printed.pdf, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    // Undecided requests have no letter yet; another dealer never sees this one.
    const { owner: other } = await dealerPaying(30);
    const { requestCreditLimitChange: open } = await other.query(REQUEST, { limit: 15_000_000, reason: 'More volume' });
    const theirs = (await other.query('{ myCreditLimitRequests { nodes { number letter { number } } } }')).myCreditLimitRequests.nodes;
    expect(theirs).toEqual([{ number: open.number, letter: null }]);
  });

  it("dealers see brand staff by role, never their addresses, and not the raw error of a request that could not start", async () => {
    const { dealer, owner } = await dealerPaying(20);
    const manager = await env.asStaff('channel-manager');
    const { requestDealerCreditLimitChange: asked } = await manager.query(STAFF_REQUEST, { code: dealer.code, limit: 11_000_000, reason: 'Manager asks for the dealer' });
    await decide(finance, await taskFor(finance, asked.number, 'Finance approval'), { financeDecision: 'approve', financeNote: 'Fine for the season' });
    const seen = await requestOf(owner, 'approved');
    expect(seen.requestedBy).toBe('Channel manager');
    expect(seen.trail.map((t: any) => [t.action, t.by, t.note])).toEqual([
      ['requested', 'Channel manager', 'Manager asks for the dealer'],
      ['scored', 'process', null],
      ['approved', 'Finance', 'Fine for the season'],
      ['letter sent (approved)', 'process', null], // its note lists the recipients' addresses
    ]);
    expect(JSON.stringify(seen)).not.toMatch(/@/);
    const staffView = (await finance.query(STAFF_REQUESTS, { code: dealer.code })).creditLimitRequests.nodes[0];
    expect(staffView.trail.map((t: any) => t.by)).toEqual(expect.arrayContaining([manager.user.email, finance.user.email]));

    // Given a request whose process could not start (closed by the platform with the engine's error) ...
    const raw = 'connect ECONNREFUSED 127.0.0.1:26500 (zeebe gateway unavailable)';
    await env.strapi.db.query('plugin::dealers.credit-change-request').create({
      data: {
        number: `CLR-NOSTART-${dealer.code}`, dealerId: dealer.id, dealerCode: dealer.code, currency: 'CNY', currentLimitCents: 11_000_000, requestedLimitCents: 12_000_000,
        reason: 'Asked while the engine was down', requestedBy: owner.user.email, requestedVia: 'portal', reviewStatus: 'rejected',
        trail: [{ at: new Date().toISOString(), by: owner.user.email, action: 'requested', note: 'Asked while the engine was down' }, { at: new Date().toISOString(), by: 'platform', action: 'not started', note: raw }],
      },
    });
    // ... the dealer reads that it was closed, in words meant for it; staff keep the error.
    const [notStarted] = (await owner.query(MY_REQUESTS)).myCreditLimitRequests.nodes;
    expect(notStarted.trail.at(-1)).toMatchObject({ action: 'not started', by: 'platform', note: expect.stringContaining('could not be processed') });
    expect(JSON.stringify(notStarted)).not.toContain('ECONNREFUSED');
    expect((await finance.query(STAFF_REQUESTS, { code: dealer.code })).creditLimitRequests.nodes[0].trail.at(-1).note).toBe(raw);
  });

  it('above the director threshold finance approval is not enough: a director decides too', async () => {
    const { dealer } = await dealerPaying(0);
    const rep = await env.asStaff('sales-rep');
    await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: dealer.id }, data: { salesRep: rep.user.email } });
    const director = await env.asStaff('director');
    const { requestDealerCreditLimitChange: asked } = await rep.query(STAFF_REQUEST, { code: dealer.code, limit: 150_000_000, reason: 'Regional distributor contract' });
    expect(asked.processInstanceKey).toMatch(/^\d+$/);
    // The director reads what the decision is about: the dealer and its credit.
    const read = await director.query('query ($code: String!) { dealer(code: $code) { code } dealerCredit(dealerCode: $code) { limit { amountMinor } } }', { code: dealer.code });
    expect(read).toEqual({ dealer: { code: dealer.code }, dealerCredit: { limit: { amountMinor: 10_000_000 } } });
    await decide(finance, await taskFor(finance, asked.number, 'Finance approval'), { financeDecision: 'approve' });
    const directorTask = await taskFor(director, asked.number, 'Director approval');
    expect((await finance.query(INBOX)).taskInbox.nodes.map((t: any) => t.id)).not.toContain(directorTask.id);
    await decide(director, directorTask, { directorDecision: 'approve', directorNote: 'Contract signed' });
    const done = await eventually(async () => {
      const [request] = (await rep.query(STAFF_REQUESTS, { code: dealer.code })).creditLimitRequests.nodes;
      if (request.status !== 'approved' || !request.trail.some((t: any) => t.action.startsWith('letter sent'))) throw new Error(request.status);
      return request;
    });
    expect(done.trail.find((t: any) => t.action === 'approved').by).toBe(`${finance.user.email}, ${director.user.email}`);
    expect((await credit().summary(dealer.id)).limitCents).toBe(150_000_000);
  });

  it('a temporary limit ends by the process timer, also across a restart, and the permanent limit returns', async () => {
    const { dealer, owner } = await dealerPaying(0);
    const until = new Date(Date.now() + 8_000).toISOString();
    const { requestCreditLimitChange: asked } = await owner.query(REQUEST, { limit: 13_000_000, until, reason: 'Holiday promotion' });
    await requestOf(owner, 'approved');
    expect((await owner.query(MY_CREDIT)).myCredit).toMatchObject({ limit: { amountMinor: 10_000_000 }, effectiveLimit: { amountMinor: 13_000_000 }, temporaryLimitActive: true });
    // Stop → restart → resume: the timer is state on disk, not in memory.
    await env.restart();
    const expired = await eventually(async () => {
      const [request] = (await env.strapi.plugin('dealers').service('credit-change').list({ dealerId: dealer.id }, { page: 1, pageSize: 1 })).nodes;
      if (request.status !== 'expired') {
        const instance = await env.strapi.db.connection('wf_element_instances').where({ process_instance_key: request.processInstanceKey }).select('element_id');
        const timers = await env.strapi.db.connection('wf_timers').where({ process_instance_key: request.processInstanceKey });
        throw new Error(`${request.status}; waiting in ${JSON.stringify(instance)}; timers ${JSON.stringify(timers)}; now ${Date.now()}`);
      }
      return request;
    }, { timeoutMs: 30_000 });
    expect(expired.number).toBe(asked.number);
    expect(expired.trail.at(-1)).toMatchObject({ action: 'temporary limit ended', note: null });
    expect(await credit().summary(dealer.id)).toMatchObject({ temporaryLimitCents: null, effectiveLimitCents: 10_000_000 });
    // The letter named the temporary limit and the limit it falls back to.
    expect((await lettersTo(owner.user.email))[0].html).toMatch(/¥130,000\.00[\s\S]*¥100,000\.00/);
  });

  it('refuses bad requests, a second open request, and dealer users who may not ask; nothing is written', async () => {
    const { dealer, owner } = await dealerPaying(20);
    const count = () => env.strapi.db.query('plugin::dealers.credit-change-request').count({ where: { dealerId: dealer.id } });
    await owner.expectError('BAD_INPUT', REQUEST, { limit: -1, reason: 'Need more' });
    await owner.expectError('BAD_INPUT', REQUEST, { limit: 12_000_000, reason: 'x' });
    await owner.expectError('BAD_INPUT', REQUEST, { limit: 12_000_000, until: new Date(Date.now() - 60_000).toISOString(), reason: 'Too late' });
    await owner.expectError('BAD_INPUT', REQUEST, { limit: 9_000_000, until: new Date(Date.now() + 86_400_000).toISOString(), reason: 'Temporary but lower' });
    await owner.expectError('BAD_INPUT', REQUEST, { limit: 10_000_000, reason: 'Same as today' });
    const buyer = await env.asDealer(dealer, 'buyer');
    await buyer.expectError('FORBIDDEN', REQUEST, { limit: 12_000_000, reason: 'Buyer asking' });
    await owner.expectError('FORBIDDEN', STAFF_REQUEST, { code: dealer.code, limit: 12_000_000, reason: 'Through the staff door' });
    expect(await count()).toBe(0);

    const { requestCreditLimitChange: first } = await owner.query(REQUEST, { limit: 12_000_000, reason: 'Need more' });
    const second = await owner.expectError('CONFLICT', REQUEST, { limit: 14_000_000, reason: 'Need even more' });
    expect(second.message).toContain(first.number);
    expect(await count()).toBe(1);
  });

  it('of concurrent requests for one dealer exactly one opens, and the database refuses a second open request', async () => {
    const { dealer, owner } = await dealerPaying(0);
    const rows = () => env.strapi.db.query('plugin::dealers.credit-change-request').findMany({ where: { dealerId: dealer.id } });
    // Large enough to wait for finance, so the winner stays open while the others arrive.
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => owner.request(REQUEST, { limit: 150_000_000 + i * 100_000, reason: `Concurrent ask ${i}` })));
    const opened = results.filter((r) => r.data?.requestCreditLimitChange).map((r) => r.data.requestCreditLimitChange.number);
    expect(opened).toHaveLength(1);
    const refused = results.filter((r) => !r.data?.requestCreditLimitChange).map((r) => r.errors?.[0]?.extensions?.code);
    expect(refused).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    expect((await rows()).map((r: any) => [r.number, r.reviewStatus])).toEqual([[opened[0], 'in_review']]);

    // Not only the service's check: a second open row cannot be written at all.
    const { id: _id, documentId: _documentId, createdAt: _c, updatedAt: _u, publishedAt: _p, ...copy } = (await rows())[0];
    const written = await env.strapi.db.query('plugin::dealers.credit-change-request').create({ data: { ...copy, number: `${copy.number}-X` } }).then(() => null, (error: unknown) => error);
    expect(isUniqueViolation(written)).toBe(true);
    expect(await rows()).toHaveLength(1);
  });

  it('dealer B neither sees dealer A\'s requests nor changes A\'s limit', async () => {
    const a = await dealerPaying(0);
    const b = await dealerPaying(0);
    const { requestCreditLimitChange: asked } = await a.owner.query(REQUEST, { limit: 10_500_000, reason: 'A wants more' });
    await requestOf(a.owner, 'approved');
    expect(JSON.stringify((await b.owner.query(MY_REQUESTS)).myCreditLimitRequests)).not.toContain(asked.number);
    expect((await b.owner.query(MY_REQUESTS)).myCreditLimitRequests.total).toBe(0);
    const { requestCreditLimitChange: bAsked } = await b.owner.query(REQUEST, { limit: 10_200_000, reason: 'B wants more' });
    await requestOf(b.owner, 'approved');
    expect((await credit().summary(a.dealer.id)).limitCents).toBe(10_500_000);
    expect((await credit().summary(b.dealer.id)).limitCents).toBe(10_200_000);
    expect(JSON.stringify((await a.owner.query(MY_REQUESTS)).myCreditLimitRequests)).not.toContain(bAsked.number);
  });
});
