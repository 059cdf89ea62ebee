import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DealerRef } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { keepScreenshot, launchChromium } from '../../../platform/tests/support/browser';

const ENTRY = 'plugin::dealers.credit-entry';
const MY_CREDIT = '{ myCredit { currency limit { amountMinor } effectiveLimit { amountMinor } reserved { amountMinor } receivable { amountMinor } exposure { amountMinor } available { amountMinor } overdue { amountMinor } oldestDaysLate ageing { current { amountMinor } days1to30 { amountMinor } over90 { amountMinor } } } }';
const MY_STATEMENT = `query ($from: String!, $to: String!) {
  myStatement(from: $from, to: $to) { opening { amountMinor } closing { amountMinor } totalDebit { amountMinor } totalCredit { amountMinor }
    lines { entry { kind reference entryDate } debit { amountMinor } credit { amountMinor } balance { amountMinor currency } } }
}`;
const DEALER_CREDIT = 'query ($code: String!) { dealerCredit(dealerCode: $code) { available { amountMinor currency } receivable { amountMinor } reserved { amountMinor } } }';
const LEDGER = 'query ($code: String!, $kind: CreditEntryKind) { dealerCreditLedger(dealerCode: $code, kind: $kind) { total nodes { id kind amount { amountMinor } reference } } }';
const POST = `mutation ($code: String!, $kind: CreditPostKind!, $amount: Long!, $key: String!, $ref: String) {
  postCreditEntry(dealerCode: $code, kind: $kind, amountMinor: $amount, idempotencyKey: $key, reference: $ref) { id kind amount { amountMinor currency } reference }
}`;

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
let keySeq = 0;
const key = (label: string) => `${label}-${Date.now().toString(36)}-${(keySeq += 1)}`;

describe('dealer credit', () => {
  let env: TestEnvironment;
  const credit = () => env.strapi.plugin('dealers').service('credit');
  const entriesOf = (dealerId: number) => env.strapi.db.query(ENTRY as any).count({ where: { dealerId } });
  /** A dealer with an open credit account of `limitCents`. */
  const dealerWithCredit = async (limitCents: number, options: { overdueBlockDays?: number } = {}) => {
    const dealer: DealerRef = await env.createDealer();
    await credit().openAccount({ dealerId: dealer.id, limitCents, currency: 'CNY', ...options });
    return dealer;
  };
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: any) => error,
    );

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.destroy());

  describe('reserve', () => {
    it('50 concurrent reservations against a limit that fits exactly 10: exactly 10 succeed, the rest are refused with the figures', async () => {
      const dealer = await dealerWithCredit(10 * 125_000);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => credit().reserve({ dealerId: dealer.id, amountCents: 125_000, idempotencyKey: key(`order-${i}`), reference: `SO-${i}` })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(10);
      expect(refused).toHaveLength(40);
      expect(new Set(refused.map((r) => r.reason.code))).toEqual(new Set(['CREDIT_LIMIT_EXCEEDED']));
      expect(refused[0]!.reason.details).toEqual({ requestedCents: 125_000, availableCents: 0, limitCents: 1_250_000, exposureCents: 1_250_000, currency: 'CNY' });
      expect(refused[0]!.reason.message).toBe('CNY 1,250.00 exceeds the available credit of CNY 0.00 (limit CNY 12,500.00, in use CNY 12,500.00)');
      const summary = await credit().summary(dealer.id);
      expect(summary).toMatchObject({ reservedCents: 1_250_000, availableCents: 0, exposureCents: 1_250_000 });
      expect(await entriesOf(dealer.id)).toBe(10);
    });

    it('replaying an idempotency key returns the first result and holds the credit once, even concurrently', async () => {
      const dealer = await dealerWithCredit(1_000_000);
      const k = key('order-replay');
      const results = await Promise.all(Array.from({ length: 8 }, () => credit().reserve({ dealerId: dealer.id, amountCents: 300_000, idempotencyKey: k })));
      expect(results.filter((r: any) => !r.replayed)).toHaveLength(1);
      expect(results.every((r: any) => r.amountCents === 300_000)).toBe(true);
      expect((await credit().summary(dealer.id)).reservedCents).toBe(300_000);
      const reused = await refusal(credit().reserve({ dealerId: dealer.id, amountCents: 1, idempotencyKey: k }));
      expect(reused.code).toBe('CONFLICT');
      expect(await entriesOf(dealer.id)).toBe(1);
    });

    it('refuses bad input and writes nothing', async () => {
      const dealer = await dealerWithCredit(1_000_000);
      for (const [input, field] of [
        [{ amountCents: 0 }, 'amountCents'],
        [{ amountCents: -5 }, 'amountCents'],
        [{ amountCents: 10.5 }, 'amountCents'],
        [{ amountCents: 100, idempotencyKey: 'short' }, 'idempotencyKey'],
        [{ amountCents: 100, currency: 'usd' }, 'currency'],
      ] as const) {
        const error = await refusal(credit().reserve({ dealerId: dealer.id, idempotencyKey: key('bad'), ...input }));
        expect(error.code).toBe('BAD_INPUT');
        expect(JSON.stringify(error.details)).toContain(field);
      }
      const wrongCurrency = await refusal(credit().reserve({ dealerId: dealer.id, amountCents: 100, currency: 'USD', idempotencyKey: key('usd') }));
      expect(wrongCurrency.message).toContain('kept in CNY, not USD');
      const unknown = await refusal(credit().reserve({ dealerId: 99_999_999, amountCents: 100, idempotencyKey: key('nobody') }));
      expect(unknown.code).toBe('NOT_FOUND');
      expect(await entriesOf(dealer.id)).toBe(0);
      expect((await credit().summary(dealer.id)).reservedCents).toBe(0);
    });

    it('a dealer that is not active, or pays too late, is blocked', async () => {
      const suspended: DealerRef = await env.strapi.plugin('dealers').service('dealers').create({ code: `SUSP-${keySeq}X`, name: 'Suspended Store', status: 'suspended' });
      await credit().openAccount({ dealerId: suspended.id, limitCents: 1_000_000 });
      const blocked = await refusal(credit().reserve({ dealerId: suspended.id, amountCents: 100, idempotencyKey: key('susp') }));
      expect(blocked).toMatchObject({ code: 'DEALER_BLOCKED', details: { status: 'suspended' } });

      const late = await dealerWithCredit(10_000_000, { overdueBlockDays: 60 });
      await credit().post({ dealerId: late.id, kind: 'invoice', amountCents: 200_000, idempotencyKey: key('inv-old'), entryDate: daysAgo(120), dueDate: daysAgo(90), reference: 'INV-OLD' });
      const overdue = await refusal(credit().reserve({ dealerId: late.id, amountCents: 100, idempotencyKey: key('late') }));
      expect(overdue).toMatchObject({ code: 'DEALER_BLOCKED', details: { overdueCents: 200_000, oldestDaysLate: 90, overdueBlockDays: 60 } });
      expect(overdue.message).toContain('CNY 2,000.00 overdue, the oldest 90 days late');
      await credit().post({ dealerId: late.id, kind: 'payment', amountCents: 200_000, idempotencyKey: key('pay-old'), reference: 'BANK-1' });
      await expect(credit().reserve({ dealerId: late.id, amountCents: 100, idempotencyKey: key('after-pay') })).resolves.toMatchObject({ replayed: false });
    });

    it('a temporary limit replaces the permanent one until it expires', async () => {
      const dealer = await dealerWithCredit(100_000);
      await credit().reserve({ dealerId: dealer.id, amountCents: 100_000, idempotencyKey: key('fill') });
      const raised = await credit().setLimit({ dealerId: dealer.id, temporaryLimitCents: 300_000, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      expect(raised).toMatchObject({ temporaryLimitActive: true, effectiveLimitCents: 300_000, availableCents: 200_000 });
      await credit().reserve({ dealerId: dealer.id, amountCents: 150_000, idempotencyKey: key('temp') });
      const expired = await credit().setLimit({ dealerId: dealer.id, temporaryLimitCents: 300_000, expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(expired).toMatchObject({ temporaryLimitActive: false, effectiveLimitCents: 100_000, availableCents: -150_000 });
      const refused = await refusal(credit().reserve({ dealerId: dealer.id, amountCents: 1, idempotencyKey: key('over') }));
      expect(refused.code).toBe('CREDIT_LIMIT_EXCEEDED');
    });
  });

  describe('release and post', () => {
    it('releases what a reservation holds, in part or in full, once', async () => {
      const dealer = await dealerWithCredit(1_000_000);
      const held = key('order-rel');
      await credit().reserve({ dealerId: dealer.id, amountCents: 400_000, idempotencyKey: held, reference: 'SO-9' });
      await credit().release({ reservationKey: held, idempotencyKey: key('rel-part'), amountCents: 100_000 });
      const tooMuch = await refusal(credit().release({ reservationKey: held, idempotencyKey: key('rel-big'), amountCents: 300_001 }));
      expect(tooMuch).toMatchObject({ code: 'CONFLICT', details: { heldCents: 300_000 } });
      const rest = key('rel-rest');
      expect(await credit().release({ reservationKey: held, idempotencyKey: rest })).toMatchObject({ amountCents: 300_000, replayed: false });
      expect(await credit().release({ reservationKey: held, idempotencyKey: rest })).toMatchObject({ amountCents: 300_000, replayed: true });
      expect((await refusal(credit().release({ reservationKey: held, idempotencyKey: key('rel-again') }))).code).toBe('CONFLICT');
      expect((await refusal(credit().release({ reservationKey: key('never-reserved'), idempotencyKey: key('rel-x') }))).code).toBe('NOT_FOUND');
      expect(await credit().summary(dealer.id)).toMatchObject({ reservedCents: 0, availableCents: 1_000_000 });
      expect(await entriesOf(dealer.id)).toBe(3);
    });

    it('invoices, payments, credit notes and adjustments move the receivable; the ledger cannot be edited', async () => {
      const dealer = await dealerWithCredit(5_000_000);
      const invoice = await credit().post({ dealerId: dealer.id, kind: 'invoice', amountCents: 1_000_000, idempotencyKey: key('inv'), reference: 'INV-1', entryDate: daysAgo(40) });
      expect(invoice.dueDate).toBe(daysAgo(10)); // 30 days' payment term by default
      await credit().post({ dealerId: dealer.id, kind: 'payment', amountCents: 250_000, idempotencyKey: key('pay'), reference: 'BANK-7' });
      await credit().post({ dealerId: dealer.id, kind: 'credit_note', amountCents: 50_000, idempotencyKey: key('cn'), reference: 'RMA-2' });
      await credit().post({ dealerId: dealer.id, kind: 'adjustment', amountCents: -1_000, idempotencyKey: key('adj'), note: 'rounding' });
      expect(await credit().summary(dealer.id)).toMatchObject({ receivableCents: 699_000, overdueCents: 699_000, oldestDaysLate: 10, availableCents: 4_301_000 });

      for (const bad of [
        { kind: 'payment', amountCents: -5 },
        { kind: 'adjustment', amountCents: 0 },
        { kind: 'payment', amountCents: 5, dueDate: '2026-01-01' },
        { kind: 'invoice', amountCents: 5, entryDate: '23/11/2026' },
      ]) {
        expect((await refusal(credit().post({ dealerId: dealer.id, idempotencyKey: key('bad-post'), ...bad }))).code).toBe('BAD_INPUT');
      }
      const edit = await refusal(env.strapi.db.query(ENTRY as any).update({ where: { id: invoice.id }, data: { amountCents: 1 } }));
      expect(edit.message).toContain('cannot be changed or deleted');
      await refusal(env.strapi.db.query(ENTRY as any).delete({ where: { id: invoice.id } }));
      expect(await entriesOf(dealer.id)).toBe(4);
      expect((await credit().summary(dealer.id)).receivableCents).toBe(699_000);
    });
  });

  describe('GraphQL', () => {
    let a: DealerRef;
    let b: DealerRef;
    beforeAll(async () => {
      a = await dealerWithCredit(2_000_000);
      b = await dealerWithCredit(9_000_000);
      await credit().post({ dealerId: a.id, kind: 'invoice', amountCents: 800_000, idempotencyKey: key('a-inv1'), reference: 'A-INV-1', entryDate: daysAgo(50) });
      await credit().post({ dealerId: a.id, kind: 'payment', amountCents: 300_000, idempotencyKey: key('a-pay1'), reference: 'A-BANK-1', entryDate: daysAgo(5) });
      await credit().post({ dealerId: a.id, kind: 'invoice', amountCents: 100_000, idempotencyKey: key('a-inv2'), reference: 'A-INV-2', entryDate: daysAgo(2) });
      await credit().reserve({ dealerId: a.id, amountCents: 50_000, idempotencyKey: key('a-hold') });
      await credit().post({ dealerId: b.id, kind: 'invoice', amountCents: 4_000_000, idempotencyKey: key('b-inv'), reference: 'B-INV-1', entryDate: daysAgo(3) });
    });

    it('a dealer user sees its own dealer\'s credit and statement, never another dealer\'s', async () => {
      const ownerA = await env.asDealer(a, 'owner');
      const viewerB = await env.asDealer(b, 'viewer');
      const { myCredit } = await ownerA.query(MY_CREDIT);
      expect(myCredit).toMatchObject({
        currency: 'CNY',
        limit: { amountMinor: 2_000_000 },
        reserved: { amountMinor: 50_000 },
        receivable: { amountMinor: 600_000 },
        exposure: { amountMinor: 650_000 },
        available: { amountMinor: 1_350_000 },
        overdue: { amountMinor: 500_000 },
        oldestDaysLate: 20,
        ageing: { current: { amountMinor: 100_000 }, days1to30: { amountMinor: 500_000 }, over90: { amountMinor: 0 } },
      });
      const { myStatement } = await ownerA.query(MY_STATEMENT, { from: daysAgo(10), to: daysAgo(0) });
      expect(myStatement).toMatchObject({ opening: { amountMinor: 800_000 }, closing: { amountMinor: 600_000 }, totalDebit: { amountMinor: 100_000 }, totalCredit: { amountMinor: 300_000 } });
      expect(myStatement.lines.map((l: any) => [l.entry.reference, l.debit.amountMinor, l.credit.amountMinor, l.balance.amountMinor])).toEqual([
        ['A-BANK-1', 0, 300_000, 500_000],
        ['A-INV-2', 100_000, 0, 600_000],
      ]);

      const other = await viewerB.query(MY_CREDIT);
      expect(other.myCredit).toMatchObject({ limit: { amountMinor: 9_000_000 }, receivable: { amountMinor: 4_000_000 }, reserved: { amountMinor: 0 } });
      const printable = await ownerA.query('query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) { zh: html en: html(locale: "en") } }', { from: daysAgo(10), to: daysAgo(0) });
      expect(printable.myStatement.zh).toContain('对账单');
      expect(printable.myStatement.zh).toContain('¥6,000.00'); // balance carried forward
      expect(printable.myStatement.en).toMatch(/Balance brought forward[\s\S]*¥8,000\.00[\s\S]*A-BANK-1[\s\S]*A-INV-2/);
      await ownerA.expectError('BAD_INPUT', 'query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) { html(locale: "fr") } }', { from: daysAgo(10), to: daysAgo(0) });
      const otherStatement = await viewerB.query(MY_STATEMENT, { from: daysAgo(100), to: daysAgo(0) });
      expect(JSON.stringify(otherStatement)).not.toContain('A-');
      await ownerA.expectError('BAD_INPUT', MY_STATEMENT, { from: '2026-02-30x', to: daysAgo(0) });
      await ownerA.expectError('BAD_INPUT', MY_STATEMENT, { from: daysAgo(0), to: daysAgo(10) });
      // Dealer users reach staff operations neither by code nor at all.
      await ownerA.expectError('FORBIDDEN', DEALER_CREDIT, { code: b.code });
      await ownerA.expectError('FORBIDDEN', POST, { code: a.code, kind: 'payment', amount: 1, key: key('self-pay') });
    });

    it('finance books a payment once per idempotency key; other staff read but cannot book', async () => {
      const finance = await env.asStaff('finance');
      const rep = await env.asStaff('sales-rep');
      await env.strapi.db.query('plugin::dealers.dealer').update({ where: { id: b.id }, data: { salesRep: rep.user.email } });
      const k = key('gql-pay');
      const first = (await finance.query(POST, { code: b.code, kind: 'payment', amount: 1_500_000, key: k, ref: 'BANK-42' })).postCreditEntry;
      expect(first).toMatchObject({ kind: 'payment', amount: { amountMinor: 1_500_000, currency: 'CNY' }, reference: 'BANK-42' });
      const again = (await finance.query(POST, { code: b.code, kind: 'payment', amount: 1_500_000, key: k, ref: 'BANK-42' })).postCreditEntry;
      expect(again.id).toBe(first.id);
      await finance.expectError('CONFLICT', POST, { code: b.code, kind: 'payment', amount: 1, key: k });
      expect((await rep.query(DEALER_CREDIT, { code: b.code })).dealerCredit).toMatchObject({ receivable: { amountMinor: 2_500_000 }, available: { amountMinor: 6_500_000, currency: 'CNY' } });
      expect((await rep.query(LEDGER, { code: b.code, kind: 'payment' })).dealerCreditLedger).toMatchObject({ total: 1, nodes: [{ id: first.id, reference: 'BANK-42' }] });
      await rep.expectError('FORBIDDEN', POST, { code: b.code, kind: 'payment', amount: 1, key: key('rep-pay') });
      await finance.expectError('NOT_FOUND', DEALER_CREDIT, { code: 'NO-SUCH-DEALER' });
      await finance.expectError('BAD_INPUT', POST, { code: b.code, kind: 'payment', amount: -1, key: key('neg') });
      expect((await rep.query(LEDGER, { code: b.code, kind: 'payment' })).dealerCreditLedger.total).toBe(1);
    });

    it("a dealer's statement shows kinds, amounts, dates and document numbers, never staff notes or idempotency keys", async () => {
      const [c, d] = [await env.createDealer(), await env.createDealer()];
      for (const dealer of [c, d]) await credit().openAccount({ dealerId: dealer.id, limitCents: 1_000_000 });
      await credit().post({ dealerId: c.id, kind: 'invoice', amountCents: 200_000, idempotencyKey: 'erp-secret-inv-1', reference: 'C-INV-1', entryDate: daysAgo(5), note: 'Internal: disputes every invoice, do not extend' });
      await credit().post({ dealerId: c.id, kind: 'payment', amountCents: 50_000, idempotencyKey: 'bank-secret-pay-1', reference: 'C-BANK-1', entryDate: daysAgo(2), note: 'Paid only after the third call' });
      await credit().post({ dealerId: d.id, kind: 'invoice', amountCents: 70_000, idempotencyKey: 'erp-secret-inv-2', reference: 'D-INV-1', entryDate: daysAgo(3), note: 'D internal' });
      const [ownerC, ownerD] = [await env.asDealer(c, 'owner'), await env.asDealer(d, 'owner')];
      const period = { from: daysAgo(10), to: daysAgo(0) };
      const DEALER_VIEW = `query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) {
        lines { entry { id kind amount { amountMinor currency } reference entryDate dueDate createdAt } } zh: html en: html(locale: "en") } }`;
      const { myStatement } = await ownerC.query(DEALER_VIEW, period);
      expect(myStatement.lines.map((l: any) => [l.entry.kind, l.entry.amount.amountMinor, l.entry.reference, l.entry.entryDate])).toEqual([
        ['invoice', 200_000, 'C-INV-1', daysAgo(5)],
        ['payment', 50_000, 'C-BANK-1', daysAgo(2)],
      ]);
      expect(JSON.stringify(myStatement)).not.toMatch(/Internal|third call|secret|D-INV/);
      // Not there at all, rather than empty: the dealer's type has no such fields.
      for (const field of ['note', 'idempotencyKey']) {
        await ownerC.expectError('GRAPHQL_VALIDATION_FAILED', `query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) { lines { entry { ${field} } } } }`, period);
      }
      expect(JSON.stringify((await ownerD.query(DEALER_VIEW, period)).myStatement)).not.toMatch(/C-INV|C-BANK/);
      // Staff keep the whole entry.
      const finance = await env.asStaff('finance');
      const staffView = await finance.query('query ($code: String!, $from: String!, $to: String!) { dealerStatement(dealerCode: $code, from: $from, to: $to) { lines { entry { note idempotencyKey } } } }', { code: c.code, ...period });
      expect(staffView.dealerStatement.lines.map((l: any) => l.entry)).toEqual([
        { note: 'Internal: disputes every invoice, do not extend', idempotencyKey: 'erp-secret-inv-1' },
        { note: 'Paid only after the third call', idempotencyKey: 'bank-secret-pay-1' },
      ]);
    });

    it('prints a statement as a document of its own, and as a numbered A4 PDF, for its dealer only', async () => {
      const [e, f] = [await env.createDealer({ name: '杭州明远电器有限公司' }), await env.createDealer()];
      for (const dealer of [e, f]) await credit().openAccount({ dealerId: dealer.id, limitCents: 100_000_000 });
      // Enough lines for more than one page.
      for (let i = 1; i <= 70; i++) {
        await credit().post({ dealerId: e.id, kind: i % 3 ? 'invoice' : 'payment', amountCents: 10_000 + i, idempotencyKey: key(`print-${i}`), reference: `E-${String(i).padStart(3, '0')}`, entryDate: daysAgo(70 - i) });
      }
      const owner = await env.asDealer(e, 'owner');
      const period = { from: daysAgo(80), to: daysAgo(0) };
      const PRINT = 'query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) { zh: html en: html(locale: "en") pdf } }';
      const { myStatement } = await owner.query(PRINT, period);
      const number = `ST-${e.code}-${period.from.replaceAll('-', '')}-${period.to.replaceAll('-', '')}`;
      for (const html of [myStatement.zh, myStatement.en]) {
        expect(html).toContain(number);
        // Not the e-mail card: no "do not reply" footer, a signature and seal block instead.
        expect(html).not.toMatch(/do not reply|请勿回复/i);
        expect(html).toContain('class="seal"');
      }
      expect(myStatement.zh).toMatch(/经销商确认[\s\S]*签字（盖章）/);
      // Dates as documents print them, in English too: 2026-01-02, never 1/2/26.
      expect(myStatement.en).toContain(`${period.from} – ${period.to}`);
      expect(myStatement.en).toContain(`<td>${daysAgo(69)}</td>`);
      expect(myStatement.en).not.toMatch(/\b\d{1,2}\/\d{1,2}\/\d{2}\b/);

      const pdf = Buffer.from(myStatement.pdf, 'base64');
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)!.length).toBeGreaterThanOrEqual(2);

      // What a person sees: the first page in Chromium, and the PDF's pages numbered.
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 1270 } });
        await page.setContent(myStatement.zh);
        await keepScreenshot(page, 'statement-print-zh');
        expect(await page.locator('thead').first().evaluate((el) => (globalThis as any).getComputedStyle(el).display)).toBe('table-header-group');
      } finally {
        await browser.close();
      }

      // Another dealer's owner gets their own statement, never this one.
      const other = await (await env.asDealer(f, 'owner')).query(PRINT, period);
      expect(other.myStatement.zh).not.toContain('E-001');
      expect(other.myStatement.zh).not.toContain(e.code);
    });
  });
});
