import { describe, expect, it } from 'vitest';
import { ageing, averageUtilisation, daysBetween, openDebits, overdue, paymentBehaviour, statement, type LedgerLine } from '../src/services/credit-ledger';

const inv = (date: string, dueDate: string, amountCents: number, reference = `INV-${date}`): LedgerLine => ({ kind: 'invoice', date, dueDate, amountCents, reference });
const pay = (date: string, amountCents: number): LedgerLine => ({ kind: 'payment', date, amountCents });
const note = (date: string, amountCents: number): LedgerLine => ({ kind: 'credit_note', date, amountCents });
const adj = (date: string, amountCents: number): LedgerLine => ({ kind: 'adjustment', date, amountCents });
const hold = (date: string, amountCents: number): LedgerLine => ({ kind: 'reserve', date, amountCents });

describe('credit ledger arithmetic', () => {
  it.each([
    ['no credits', [inv('2026-01-01', '2026-01-31', 1000), inv('2026-02-01', '2026-03-03', 500)], [1000, 500]],
    ['a payment settles the oldest due first', [inv('2026-02-01', '2026-03-03', 500), inv('2026-01-01', '2026-01-31', 1000), pay('2026-02-10', 1200)], [300]],
    ['credit notes and negative adjustments settle too', [inv('2026-01-01', '2026-01-31', 1000), note('2026-01-05', 250), adj('2026-01-06', -250)], [500]],
    ['a positive adjustment is a debit of its own', [adj('2026-01-10', 300), pay('2026-01-11', 100)], [200]],
    ['over-payment leaves nothing open', [inv('2026-01-01', '2026-01-31', 1000), pay('2026-01-02', 5000)], []],
    ['reservations are not receivables', [hold('2026-01-01', 9999)], []],
  ])('open debits: %s', (_name, lines, open) => {
    expect(openDebits(lines as LedgerLine[]).map((d) => d.openCents)).toEqual(open);
  });

  it.each([
    ['2026-01-31', { current: 1500, days1to30: 0, days31to60: 0, days61to90: 0, over90: 0 }],
    ['2026-02-01', { current: 500, days1to30: 1000, days31to60: 0, days61to90: 0, over90: 0 }],
    ['2026-03-04', { current: 0, days1to30: 500, days31to60: 1000, days61to90: 0, over90: 0 }],
    ['2026-05-01', { current: 0, days1to30: 0, days31to60: 500, days61to90: 1000, over90: 0 }],
    ['2026-05-02', { current: 0, days1to30: 0, days31to60: 500, days61to90: 0, over90: 1000 }],
  ])('ageing on %s', (asOf, buckets) => {
    const lines = [inv('2026-01-01', '2026-01-31', 1000), inv('2026-02-01', '2026-03-03', 500)];
    expect(ageing(lines, asOf)).toEqual(buckets);
  });

  it('overdue counts only past-due debits and how late the oldest is', () => {
    const lines = [inv('2026-01-01', '2026-01-31', 1000), inv('2026-02-01', '2026-03-03', 500), pay('2026-02-15', 400)];
    expect(overdue(lines, '2026-02-20')).toEqual({ overdueCents: 600, oldestDaysLate: 20 });
    expect(overdue(lines, '2026-01-31')).toEqual({ overdueCents: 0, oldestDaysLate: 0 });
    expect(daysBetween('2026-02-28', '2026-03-01')).toBe(1);
  });

  it('a statement carries the balance forward and runs it line by line', () => {
    const lines = [inv('2026-01-05', '2026-02-04', 10000), pay('2026-01-20', 4000), inv('2026-02-03', '2026-03-05', 2500), hold('2026-02-04', 777), note('2026-02-10', 500), pay('2026-03-01', 1000)];
    const s = statement(lines, '2026-02-01', '2026-02-28');
    expect(s.openingCents).toBe(6000);
    expect(s.lines.map((l) => [l.line.kind, l.debitCents, l.creditCents, l.balanceCents])).toEqual([
      ['invoice', 2500, 0, 8500],
      ['credit_note', 0, 500, 8000],
    ]);
    expect(s).toMatchObject({ closingCents: 8000, debitCents: 2500, creditCents: 500 });
    expect(s.ageing).toEqual({ current: 2500, days1to30: 5500, days31to60: 0, days61to90: 0, over90: 0 });
  });
});

describe('payment behaviour for credit scoring', () => {
  it.each([
    ['always on time', [inv('2026-01-01', '2026-01-31', 1000), pay('2026-01-30', 1000), inv('2026-02-01', '2026-03-03', 500), pay('2026-03-03', 500)], { invoicesDue: 2, paidOnTime: 2, onTimeRate: 1, averageDaysLate: 0 }],
    ['one 10 days late, one on time', [inv('2026-01-01', '2026-01-31', 1000), pay('2026-02-10', 1000), inv('2026-02-01', '2026-03-03', 500), pay('2026-03-01', 500)], { invoicesDue: 2, paidOnTime: 1, onTimeRate: 0.5, averageDaysLate: 5 }],
    ['still open counts days until today', [inv('2026-01-01', '2026-01-31', 1000), pay('2026-01-20', 400)], { invoicesDue: 1, paidOnTime: 0, onTimeRate: 0, averageDaysLate: 38 }],
    ['nothing due yet', [inv('2026-02-20', '2026-03-22', 1000)], { invoicesDue: 0, paidOnTime: 0, onTimeRate: 1, averageDaysLate: 0 }],
    ['invoices due before the window are left out', [inv('2025-01-01', '2025-01-31', 1000), inv('2026-01-01', '2026-01-31', 1000), pay('2026-01-31', 2000)], { invoicesDue: 1, paidOnTime: 1, onTimeRate: 1, averageDaysLate: 0 }],
  ])('%s', (_name, lines, expected) => {
    expect(paymentBehaviour(lines as LedgerLine[], '2026-03-10', 180)).toEqual(expected);
  });

  it('utilisation averages the receivable at the last month-ends against the limit', () => {
    const lines = [inv('2025-12-15', '2026-01-14', 5000), pay('2026-01-10', 5000), inv('2026-02-10', '2026-03-12', 2000)];
    // month-ends: 2026-02-28 → 2000, 2026-01-31 → 0, 2025-12-31 → 5000
    expect(averageUtilisation(lines, '2026-03-05', 3, 10_000)).toBe(23.3);
  });
});
