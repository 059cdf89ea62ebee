/**
 * Pure arithmetic over a dealer's credit ledger (all amounts integer cents). Receivables are
 * invoices and debit adjustments; payments, credit notes and credit adjustments settle the
 * oldest open debit first (first in, first out by due date), which is how overdue amounts and
 * ageing buckets are derived. Reservations never enter receivables: they are exposure only.
 */
import { addDays, dayOf } from '@channelflow/sdk';

export type EntryKind = 'reserve' | 'release' | 'invoice' | 'payment' | 'credit_note' | 'adjustment';

export interface LedgerLine {
  kind: EntryKind;
  /** Positive for every kind but adjustment, which is signed (+ debit, − credit). */
  amountCents: number;
  /** Calendar date (YYYY-MM-DD) the line belongs to on a statement. */
  date: string;
  /** Invoices and debit adjustments: when payment is due (defaults to `date`). */
  dueDate?: string | null;
  reference?: string | null;
}

export interface OpenDebit {
  reference: string | null;
  date: string;
  dueDate: string;
  openCents: number;
}

export const AGEING_BUCKETS = ['current', 'days1to30', 'days31to60', 'days61to90', 'over90'] as const;
export type Ageing = Record<(typeof AGEING_BUCKETS)[number], number>;

/** How much the dealer owes because of this line: + for debits, − for credits, 0 for reservations. */
export function receivableEffect(line: Pick<LedgerLine, 'kind' | 'amountCents'>): number {
  switch (line.kind) {
    case 'invoice':
      return line.amountCents;
    case 'payment':
    case 'credit_note':
      return -line.amountCents;
    case 'adjustment':
      return line.amountCents;
    default:
      return 0;
  }
}

/** What reserving and releasing leave held: the sum of reservations not yet released. */
export function reservationEffect(line: Pick<LedgerLine, 'kind' | 'amountCents'>): number {
  if (line.kind === 'reserve') return line.amountCents;
  if (line.kind === 'release') return -line.amountCents;
  return 0;
}

/** Debits still open after every credit settled the oldest due first. */
export function openDebits(lines: LedgerLine[]): OpenDebit[] {
  const debits = lines
    .filter((l) => receivableEffect(l) > 0)
    .map((l) => ({ reference: l.reference ?? null, date: l.date, dueDate: l.dueDate ?? l.date, openCents: receivableEffect(l) }))
    .sort((a, b) => (a.dueDate === b.dueDate ? a.date.localeCompare(b.date) : a.dueDate.localeCompare(b.dueDate)));
  let credit = lines.reduce((sum, l) => sum + Math.max(0, -receivableEffect(l)), 0);
  for (const debit of debits) {
    const settled = Math.min(credit, debit.openCents);
    debit.openCents -= settled;
    credit -= settled;
  }
  return debits.filter((d) => d.openCents > 0);
}

/** Whole days from `from` to `to` (calendar dates). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Open debits by days past due on `asOf`: not yet due, 1-30, 31-60, 61-90, over 90. */
export function ageing(lines: LedgerLine[], asOf: string): Ageing {
  const buckets: Ageing = { current: 0, days1to30: 0, days31to60: 0, days61to90: 0, over90: 0 };
  for (const debit of openDebits(lines)) {
    const late = daysBetween(debit.dueDate, asOf);
    const bucket = late <= 0 ? 'current' : late <= 30 ? 'days1to30' : late <= 60 ? 'days31to60' : late <= 90 ? 'days61to90' : 'over90';
    buckets[bucket] += debit.openCents;
  }
  return buckets;
}

/** Overdue on `asOf`: open debits past their due date, and how late the oldest is. */
export function overdue(lines: LedgerLine[], asOf: string): { overdueCents: number; oldestDaysLate: number } {
  let overdueCents = 0;
  let oldestDaysLate = 0;
  for (const debit of openDebits(lines)) {
    const late = daysBetween(debit.dueDate, asOf);
    if (late <= 0) continue;
    overdueCents += debit.openCents;
    oldestDaysLate = Math.max(oldestDaysLate, late);
  }
  return { overdueCents, oldestDaysLate };
}

export interface StatementLine<L> {
  line: L;
  debitCents: number;
  creditCents: number;
  balanceCents: number;
}

/**
 * An account statement (对账单) for [from, to]: the balance brought forward, each receivable line
 * in date order with the running balance, and the balance carried forward.
 */
export function statement<L extends LedgerLine>(lines: L[], from: string, to: string) {
  const receivable = lines.filter((l) => receivableEffect(l) !== 0).sort((a, b) => a.date.localeCompare(b.date));
  const openingCents = receivable.filter((l) => l.date < from).reduce((sum, l) => sum + receivableEffect(l), 0);
  let balance = openingCents;
  const rows: Array<StatementLine<L>> = receivable
    .filter((l) => l.date >= from && l.date <= to)
    .map((line) => {
      const effect = receivableEffect(line);
      balance += effect;
      return { line, debitCents: Math.max(0, effect), creditCents: Math.max(0, -effect), balanceCents: balance };
    });
  return {
    openingCents,
    lines: rows,
    closingCents: balance,
    debitCents: rows.reduce((sum, r) => sum + r.debitCents, 0),
    creditCents: rows.reduce((sum, r) => sum + r.creditCents, 0),
    ageing: ageing(
      lines.filter((l) => l.date <= to),
      to,
    ),
  };
}

export interface PaymentBehaviour {
  invoicesDue: number;
  paidOnTime: number;
  /** Share of invoices due in the window that were settled by their due date (1 when none were due). */
  onTimeRate: number;
  /** Average days past due at settlement (or until `asOf` when still open), over invoices due in the window. */
  averageDaysLate: number;
}

/**
 * How the dealer paid the debits that fell due in the `windowDays` before `asOf`: credits settle
 * debits oldest-due first, in the order they were booked, which dates each settlement.
 */
export function paymentBehaviour(lines: LedgerLine[], asOf: string, windowDays: number): PaymentBehaviour {
  const debits = lines
    .filter((l) => receivableEffect(l) > 0 && l.date <= asOf)
    .map((l) => ({ dueDate: l.dueDate ?? l.date, date: l.date, open: receivableEffect(l), settledOn: null as string | null }))
    .sort((a, b) => (a.dueDate === b.dueDate ? a.date.localeCompare(b.date) : a.dueDate.localeCompare(b.dueDate)));
  const credits = lines.filter((l) => receivableEffect(l) < 0 && l.date <= asOf).sort((a, b) => a.date.localeCompare(b.date));
  let next = 0;
  for (const credit of credits) {
    let amount = -receivableEffect(credit);
    while (amount > 0 && next < debits.length) {
      const debit = debits[next]!;
      const settled = Math.min(amount, debit.open);
      debit.open -= settled;
      amount -= settled;
      if (debit.open === 0) {
        debit.settledOn = credit.date;
        next += 1;
      }
    }
  }
  const windowStart = addDays(asOf, -windowDays);
  const due = debits.filter((d) => d.dueDate <= asOf && d.dueDate > windowStart);
  const late = due.map((d) => Math.max(0, daysBetween(d.dueDate, d.settledOn ?? asOf)));
  const paidOnTime = late.filter((days, i) => days === 0 && due[i]!.settledOn !== null).length;
  return {
    invoicesDue: due.length,
    paidOnTime,
    onTimeRate: due.length ? Math.round((paidOnTime / due.length) * 1000) / 1000 : 1,
    averageDaysLate: due.length ? Math.round((late.reduce((a, b) => a + b, 0) / due.length) * 10) / 10 : 0,
  };
}

/** Average receivable at the last `months` month-ends before `asOf`, as a share of `limitCents` (0-100+). */
export function averageUtilisation(lines: LedgerLine[], asOf: string, months: number, limitCents: number): number {
  if (limitCents <= 0) return 0;
  const ends: string[] = [];
  const cursor = new Date(`${asOf.slice(0, 7)}-01T00:00:00Z`);
  for (let i = 0; i < months; i += 1) {
    cursor.setUTCDate(0); // the last day of the month before
    ends.push(dayOf(cursor));
  }
  const balances = ends.map((end) => lines.filter((l) => l.date <= end).reduce((sum, l) => sum + receivableEffect(l), 0));
  const average = balances.reduce((a, b) => a + Math.max(0, b), 0) / ends.length;
  return Math.round((average / limitCents) * 1000) / 10;
}
