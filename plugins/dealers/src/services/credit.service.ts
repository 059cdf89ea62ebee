import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { addDays, ChannelflowError, conflict, dayOf, defineLedger, formatMinor, isoDate, isoDateTime, isUniqueViolation, notFound, parseInput, today, withKnex } from '@channelflow/sdk';
import { DEALER } from './dealers.service';
import { ageing, daysBetween, openDebits, overdue, receivableEffect, reservationEffect, statement, type EntryKind, type LedgerLine } from './credit-ledger';

export const CREDIT_ACCOUNT = 'plugin::dealers.credit-account';
export const CREDIT_ENTRY = 'plugin::dealers.credit-entry';
const ACCOUNTS_TABLE = 'dealer_credit_accounts';

/** 100 billion in major units at most: far above any limit, far below 2^53. */
const cents = z.number().int('amounts are integer minor units (cents)').positive('amounts must be positive').max(1e13);
const idempotencyKey = z.string().trim().min(8, 'idempotency keys have at least 8 characters').max(200);
const currency = z.string().regex(/^[A-Z]{3}$/, 'currencies are ISO 4217 codes such as CNY');

const reserveInput = z.object({
  dealerId: z.number().int().positive(),
  amountCents: cents,
  currency: currency.optional(),
  idempotencyKey,
  reference: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  /** Who approved holding this beyond the available credit (e.g. finance on an order over the limit). */
  overLimitApprovedBy: z.string().min(1).max(200).optional(),
});
const releaseInput = z.object({
  reservationKey: idempotencyKey,
  idempotencyKey,
  /** Part of the reservation; all that is still held when omitted. */
  amountCents: cents.optional(),
  actor: z.string().max(200).optional(),
});
const postInput = z
  .object({
    dealerId: z.number().int().positive(),
    kind: z.enum(['invoice', 'payment', 'credit_note', 'adjustment']),
    /** Signed for adjustments (+ the dealer owes more, − less); positive otherwise. */
    amountCents: z.number().int().min(-1e13).max(1e13),
    currency: currency.optional(),
    idempotencyKey,
    reference: z.string().max(200).optional(),
    entryDate: isoDate.optional(),
    dueDate: isoDate.optional(),
    note: z.string().max(2000).optional(),
    actor: z.string().max(200).optional(),
  })
  .refine((p) => p.amountCents !== 0, { message: 'amounts must not be zero', path: ['amountCents'] })
  .refine((p) => p.kind === 'adjustment' || p.amountCents > 0, { message: 'only adjustments may be negative', path: ['amountCents'] })
  .refine((p) => !p.dueDate || p.kind === 'invoice' || p.kind === 'adjustment', { message: 'only debits have a due date', path: ['dueDate'] });
const openInput = z.object({
  dealerId: z.number().int().positive(),
  currency: currency.default('CNY'),
  limitCents: z.number().int().min(0).max(1e13),
  paymentTermDays: z.number().int().min(0).max(365).default(30),
  overdueBlockDays: z.number().int().min(0).max(3650).default(60),
});
const limitInput = z.union([
  z.object({ dealerId: z.number().int().positive(), limitCents: z.number().int().min(0).max(1e13) }),
  z.object({ dealerId: z.number().int().positive(), temporaryLimitCents: z.number().int().min(0).max(1e13), expiresAt: isoDateTime }),
  z.object({ dealerId: z.number().int().positive(), clearTemporaryLimit: z.literal(true) }),
]);

type Trx = any;

interface CreditEntryData {
  dealerId: number;
  kind: EntryKind;
  amountCents: number;
  idempotencyKey: string;
  [field: string]: unknown;
}

/** The credit ledger: entries move the account's reserved and receivable totals; a release never holds less than nothing. */
export const creditLedger = defineLedger<CreditEntryData, 'reserved_cents' | 'receivable_cents'>({
  entryName: 'credit entry',
  entries: CREDIT_ENTRY,
  balances: { table: ACCOUNTS_TABLE, columns: ['reserved_cents', 'receivable_cents'] },
  effect: (entry) => ({ reserved_cents: reservationEffect(entry), receivable_cents: receivableEffect(entry) }),
  guards: [{ terms: { reserved_cents: 1 } }],
  fingerprint: ['dealerId', 'kind', 'amountCents'],
});

/**
 * Credit enforcement for every plug-in that commits a dealer's money (orders, gifts, ...):
 * reserve, release and post against the dealer's limit. Each call is one transaction that
 * locks the dealer's account row (PostgreSQL: SELECT … FOR UPDATE; SQLite writes one at a time),
 * so concurrent reservations can never together exceed the limit. Every entry carries an
 * idempotency key: repeating a call with the same key returns the first result and writes nothing.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const entries = () => strapi.db.query(CREDIT_ENTRY as any);
  const currencies = new Map<number, string>();

  const ledger = creditLedger.bind(strapi);

  /** Runs `work` with the dealer's account locked; NOT_FOUND when the dealer has no credit account. */
  async function withLockedAccount<T>(dealerId: number, idempotencyKey: string | null, work: (account: Account, trx: Trx) => Promise<T>): Promise<T> {
    return ledger.transaction(async (trx) => {
      // The dealer's status and whether the key was used come along: a reservation is on every order, so one statement, not three.
      const row = await ledger.lock(trx, { 'a.dealer_id': dealerId }, {
        alias: 'a',
        idempotencyKey,
        extend: (query) => query.join('dealers as d', 'd.id', 'a.dealer_id').select('d.code as dealer_code', 'd.lifecycle_status as dealer_status'),
      });
      if (!row) throw notFound('Credit account of dealer', dealerId);
      return work(toAccount(row), trx);
    });
  }

  /** The first call's entry under this key (read with the lock), checked to be the same request. */
  function replayOf(account: Account, key: string, expected: { dealerId: number; kind: EntryKind; amountCents?: number }) {
    return ledger.replayOf({ id: account.replayEntryId, key }, expected);
  }

  async function insertEntry(account: Account, data: CreditEntryData, options: { readBack?: boolean } = { readBack: true }) {
    // Reservations are written on every order: one insert, nothing read back.
    const [created] = await ledger.append([{ currency: account.currency, entryDate: today(), ...data }], options);
    return created ?? null;
  }

  /** Moves the account's totals by the entry; a release that would hold less than nothing is a bug, not a refusal. */
  async function moveAccount(trx: Trx, account: Account, entry: Pick<CreditEntryData, 'kind' | 'amountCents'>) {
    if (!(await ledger.move(trx, { id: account.id }, creditLedger.effectOf(entry as CreditEntryData)))) {
      throw new Error(`credit account ${account.id} cannot take a ${entry.kind} of ${entry.amountCents}`);
    }
  }

  async function ledgerLines(dealerId: number, until?: string): Promise<Array<LedgerLine & { id: number; entry: any }>> {
    const rows = await entries().findMany({
      where: { dealerId, kind: { $notIn: ['reserve', 'release'] }, ...(until ? { entryDate: { $lte: until } } : {}) },
      orderBy: [{ entryDate: 'asc' }, { id: 'asc' }],
    });
    return rows.map((e: any) => ({ id: e.id, entry: e, kind: e.kind, amountCents: toCents(e.amountCents), date: e.entryDate, dueDate: e.dueDate, reference: e.reference }));
  }

  async function assertMayBuy(account: Account) {
    const dealer = account.dealer ?? (await strapi.db.query(DEALER).findOne({ where: { id: account.dealerId } }));
    if (!dealer) throw notFound('Dealer', account.dealerId);
    if (dealer.lifecycleStatus !== 'active') {
      throw new ChannelflowError('DEALER_BLOCKED', `Dealer ${dealer.code} is ${dealer.lifecycleStatus}; only active dealers may use credit`, { dealerCode: dealer.code, status: dealer.lifecycleStatus });
    }
    if (account.receivableCents <= 0) return;
    // The account keeps its oldest open due date, so a good payer's reservation reads no ledger lines.
    if (account.oldestOpenDueDate && daysBetween(account.oldestOpenDueDate, today()) <= account.overdueBlockDays) return;
    const late = overdue(await ledgerLines(account.dealerId), today());
    if (late.overdueCents > 0 && late.oldestDaysLate > account.overdueBlockDays) {
      throw new ChannelflowError(
        'DEALER_BLOCKED',
        `Dealer ${dealer.code} has ${formatCents(late.overdueCents, account.currency)} overdue, the oldest ${late.oldestDaysLate} days late (credit stops after ${account.overdueBlockDays} days)`,
        { dealerCode: dealer.code, overdueCents: late.overdueCents, oldestDaysLate: late.oldestDaysLate, overdueBlockDays: account.overdueBlockDays },
      );
    }
  }

  return {
    /** Opens the dealer's credit account (once; opening it again returns the existing one). */
    async openAccount(raw: z.input<typeof openInput>) {
      const input = parseInput(openInput, raw, 'credit account');
      const existing = await strapi.db.query(CREDIT_ACCOUNT as any).findOne({ where: { dealerId: input.dealerId } });
      if (existing) return toAccount(existing);
      if (!(await strapi.db.query(DEALER).findOne({ where: { id: input.dealerId } }))) throw notFound('Dealer', input.dealerId);
      const created = await strapi.db
        .query(CREDIT_ACCOUNT as any)
        .create({ data: { ...input, dealer: input.dealerId, reservedCents: 0, receivableCents: 0 } })
        .catch(async (error: unknown) => {
          if (isUniqueViolation(error)) return strapi.db.query(CREDIT_ACCOUNT as any).findOne({ where: { dealerId: input.dealerId } });
          throw error;
        });
      return toAccount(created);
    },

    /** A permanent limit, a temporary one with its expiry, or the temporary one removed. */
    async setLimit(raw: z.input<typeof limitInput>) {
      const input = parseInput(limitInput, raw, 'credit limit');
      return withLockedAccount(input.dealerId, null, async (account, trx) => {
        const changes =
          'limitCents' in input
            ? { limit_cents: input.limitCents }
            : 'temporaryLimitCents' in input
              ? { temporary_limit_cents: input.temporaryLimitCents, temporary_limit_expires_at: new Date(input.expiresAt) }
              : { temporary_limit_cents: null, temporary_limit_expires_at: null };
        await trx(ACCOUNTS_TABLE).where({ id: account.id }).update({ ...changes, updated_at: new Date() });
        return this.summary(input.dealerId);
      });
    },

    /**
     * Holds `amountCents` of the dealer's credit (e.g. for a submitted order). Refused with
     * CREDIT_LIMIT_EXCEEDED (with the figures) when it does not fit, DEALER_BLOCKED when the
     * dealer is not active or pays too late.
     */
    async reserve(raw: z.input<typeof reserveInput>) {
      const input = parseInput(reserveInput, raw, 'credit reservation');
      return withLockedAccount(input.dealerId, input.idempotencyKey, async (account, trx) => {
        const replay = await replayOf(account, input.idempotencyKey, { dealerId: input.dealerId, kind: 'reserve', amountCents: input.amountCents });
        if (replay) return { idempotencyKey: input.idempotencyKey, amountCents: input.amountCents, currency: account.currency, replayed: true };
        assertCurrency(account, input.currency);
        await assertMayBuy(account);
        const figures = figuresOf(account, new Date());
        if (input.amountCents > figures.availableCents && !input.overLimitApprovedBy) {
          throw new ChannelflowError(
            'CREDIT_LIMIT_EXCEEDED',
            `${formatCents(input.amountCents, account.currency)} exceeds the available credit of ${formatCents(figures.availableCents, account.currency)} (limit ${formatCents(figures.effectiveLimitCents, account.currency)}, in use ${formatCents(figures.exposureCents, account.currency)})`,
            { requestedCents: input.amountCents, availableCents: figures.availableCents, limitCents: figures.effectiveLimitCents, exposureCents: figures.exposureCents, currency: account.currency },
          );
        }
        const overLimit = input.overLimitApprovedBy && input.amountCents > figures.availableCents;
        await insertEntry(account, {
          dealerId: input.dealerId,
          kind: 'reserve',
          amountCents: input.amountCents,
          idempotencyKey: input.idempotencyKey,
          reference: input.reference,
          actor: input.actor,
          note: overLimit ? `over the limit by ${formatCents(input.amountCents - figures.availableCents, account.currency)}, approved by ${input.overLimitApprovedBy}` : undefined,
        }, { readBack: false });
        await moveAccount(trx, account, { kind: 'reserve', amountCents: input.amountCents });
        return { idempotencyKey: input.idempotencyKey, amountCents: input.amountCents, currency: account.currency, replayed: false };
      });
    },

    /** Gives back what a reservation still holds (or part of it). */
    async release(raw: z.input<typeof releaseInput>) {
      const input = parseInput(releaseInput, raw, 'credit release');
      const reservation = await entries().findOne({ where: { idempotencyKey: input.reservationKey, kind: 'reserve' } });
      if (!reservation) throw notFound('Credit reservation', input.reservationKey);
      return withLockedAccount(reservation.dealerId, input.idempotencyKey, async (account, trx) => {
        const replay = await replayOf(account, input.idempotencyKey, { dealerId: reservation.dealerId, kind: 'release', amountCents: input.amountCents });
        if (replay) return { idempotencyKey: input.idempotencyKey, amountCents: toCents(replay.amountCents), currency: account.currency, replayed: true };
        const released = await entries().findMany({ where: { reservationKey: input.reservationKey, kind: 'release' } });
        const heldCents = toCents(reservation.amountCents) - released.reduce((sum: number, e: any) => sum + toCents(e.amountCents), 0);
        const amountCents = input.amountCents ?? heldCents;
        if (heldCents <= 0) throw conflict(`Reservation ${input.reservationKey} has already been released in full`);
        if (amountCents > heldCents) {
          throw conflict(`Reservation ${input.reservationKey} holds ${formatCents(heldCents, account.currency)}; ${formatCents(amountCents, account.currency)} cannot be released`, { heldCents });
        }
        await insertEntry(account, {
          dealerId: reservation.dealerId,
          kind: 'release',
          amountCents,
          idempotencyKey: input.idempotencyKey,
          reservationKey: input.reservationKey,
          reference: reservation.reference,
          actor: input.actor,
        }, { readBack: false });
        await moveAccount(trx, account, { kind: 'release', amountCents });
        return { idempotencyKey: input.idempotencyKey, amountCents, currency: account.currency, replayed: false };
      });
    },

    /** Books an invoice, payment, credit note or adjustment on the dealer's receivable. */
    async post(raw: z.input<typeof postInput>) {
      const input = parseInput(postInput, raw, 'credit entry');
      return withLockedAccount(input.dealerId, input.idempotencyKey, async (account, trx) => {
        const replay = await replayOf(account, input.idempotencyKey, { dealerId: input.dealerId, kind: input.kind, amountCents: input.amountCents });
        if (replay) return { ...toEntry(replay), replayed: true };
        assertCurrency(account, input.currency);
        const entryDate = input.entryDate ?? today();
        const isDebit = receivableEffect(input) > 0;
        const created = await insertEntry(account, {
          dealerId: input.dealerId,
          kind: input.kind,
          amountCents: input.amountCents,
          idempotencyKey: input.idempotencyKey,
          reference: input.reference,
          entryDate,
          dueDate: isDebit ? (input.dueDate ?? addDays(entryDate, account.paymentTermDays)) : null,
          note: input.note,
          actor: input.actor,
        });
        await moveAccount(trx, account, input);
        const [oldestOpen] = openDebits(await ledgerLines(input.dealerId));
        await trx(ACCOUNTS_TABLE).where({ id: account.id }).update({ oldest_open_due_date: oldestOpen?.dueDate ?? null });
        return { ...toEntry(created), replayed: false };
      });
    },

    /** The currency of the dealer's account, which never changes once it is opened (so it is remembered). */
    async currencyOf(dealerId: number): Promise<string> {
      const known = currencies.get(dealerId);
      if (known) return known;
      const row: any = await withKnex(strapi, (knex) => knex(ACCOUNTS_TABLE).where({ dealer_id: dealerId }).first('currency'));
      if (!row) throw notFound('Credit account of dealer', dealerId);
      currencies.set(dealerId, row.currency);
      return row.currency;
    },

    /** The account's terms and running totals, without reading the ledger. */
    async account(dealerId: number) {
      const row = await strapi.db.query(CREDIT_ACCOUNT as any).findOne({ where: { dealerId } });
      if (!row) throw notFound('Credit account of dealer', dealerId);
      const account = toAccount(row);
      return { ...account, ...figuresOf(account, new Date()) };
    },

    /** Limit, exposure, what is available, and what is overdue, as of now. */
    async summary(dealerId: number) {
      const row = await strapi.db.query(CREDIT_ACCOUNT as any).findOne({ where: { dealerId } });
      if (!row) throw notFound('Credit account of dealer', dealerId);
      const account = toAccount(row);
      const lines = await ledgerLines(dealerId);
      const asOf = today();
      const late = overdue(lines, asOf);
      return { ...account, ...figuresOf(account, new Date()), overdueCents: late.overdueCents, oldestDaysLate: late.oldestDaysLate, ageing: ageing(lines, asOf), asOf };
    },

    /** The account statement (对账单) for [from, to] with running balance and ageing at `to`. */
    async statement(dealerId: number, from: string, to: string) {
      const range = parseInput(z.object({ from: isoDate, to: isoDate }).refine((r) => r.from <= r.to, 'from must not be after to'), { from, to }, 'statement period');
      const row = await strapi.db.query(CREDIT_ACCOUNT as any).findOne({ where: { dealerId } });
      if (!row) throw notFound('Credit account of dealer', dealerId);
      const result = statement(await ledgerLines(dealerId, range.to), range.from, range.to);
      return {
        currency: row.currency,
        from: range.from,
        to: range.to,
        openingCents: result.openingCents,
        closingCents: result.closingCents,
        debitCents: result.debitCents,
        creditCents: result.creditCents,
        ageing: result.ageing,
        lines: result.lines.map((l) => ({ ...toEntry(l.line.entry), debitCents: l.debitCents, creditCents: l.creditCents, balanceCents: l.balanceCents })),
      };
    },

    /** Ledger entries, newest first (staff). */
    async ledger(dealerId: number, filter: { kind?: EntryKind }, page: { page: number; pageSize: number }) {
      const where = { dealerId, ...(filter.kind ? { kind: filter.kind } : {}) };
      const [rows, total] = await Promise.all([
        entries().findMany({ where, orderBy: [{ id: 'desc' }], offset: (page.page - 1) * page.pageSize, limit: page.pageSize }),
        entries().count({ where }),
      ]);
      return { nodes: rows.map(toEntry), total, ...page };
    },
  };
};

interface Account {
  id: number;
  dealerId: number;
  currency: string;
  limitCents: number;
  temporaryLimitCents: number | null;
  temporaryLimitExpiresAt: string | null;
  paymentTermDays: number;
  overdueBlockDays: number;
  reservedCents: number;
  receivableCents: number;
  /** Due date of the oldest debit payments have not settled yet; null when none is open (or before it was kept). */
  oldestOpenDueDate: string | null;
  /** When read together with the account (under its lock). */
  dealer?: { code: string; lifecycleStatus: string };
  /** The entry already written under the caller's idempotency key, when read under the lock. */
  replayEntryId?: number | null;
}

/** Rows come from knex (snake_case) or the query engine (camelCase); bigints may be strings. */
function toAccount(row: any): Account {
  const get = (camel: string, snake: string) => row[camel] ?? row[snake] ?? null;
  const expires = get('temporaryLimitExpiresAt', 'temporary_limit_expires_at');
  return {
    id: row.id,
    dealerId: Number(get('dealerId', 'dealer_id')),
    currency: row.currency,
    limitCents: toCents(get('limitCents', 'limit_cents')),
    temporaryLimitCents: get('temporaryLimitCents', 'temporary_limit_cents') === null ? null : toCents(get('temporaryLimitCents', 'temporary_limit_cents')),
    temporaryLimitExpiresAt: expires === null ? null : new Date(typeof expires === 'number' ? expires : String(expires)).toISOString(),
    paymentTermDays: Number(get('paymentTermDays', 'payment_term_days')),
    overdueBlockDays: Number(get('overdueBlockDays', 'overdue_block_days')),
    reservedCents: toCents(get('reservedCents', 'reserved_cents')),
    receivableCents: toCents(get('receivableCents', 'receivable_cents')),
    oldestOpenDueDate: toDay(get('oldestOpenDueDate', 'oldest_open_due_date')),
    ...(row.dealer_status ? { dealer: { code: row.dealer_code, lifecycleStatus: row.dealer_status } } : {}),
    replayEntryId: row.replay_entry_id === null || row.replay_entry_id === undefined ? null : Number(row.replay_entry_id),
  };
}

/** Raw date columns come back as strings, Date objects (PostgreSQL) or epoch numbers. */
function toDay(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.slice(0, 10);
  // node-postgres reads a date column as local midnight.
  if (value instanceof Date) return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
  return dayOf(Number(value));
}

/** The temporary limit replaces the permanent one until it expires. */
function figuresOf(account: Account, now: Date) {
  const temporaryActive = account.temporaryLimitCents !== null && account.temporaryLimitExpiresAt !== null && new Date(account.temporaryLimitExpiresAt) > now;
  const effectiveLimitCents = temporaryActive ? account.temporaryLimitCents! : account.limitCents;
  const exposureCents = account.reservedCents + account.receivableCents;
  return { effectiveLimitCents, temporaryLimitActive: temporaryActive, exposureCents, availableCents: effectiveLimitCents - exposureCents };
}

function toEntry(e: any) {
  return {
    id: e.id,
    kind: e.kind as EntryKind,
    amountCents: toCents(e.amountCents),
    currency: e.currency,
    idempotencyKey: e.idempotencyKey,
    reservationKey: e.reservationKey ?? null,
    reference: e.reference ?? null,
    entryDate: e.entryDate,
    dueDate: e.dueDate ?? null,
    note: e.note ?? null,
    actor: e.actor ?? null,
    createdAt: e.createdAt ? new Date(e.createdAt).toISOString() : null,
  };
}

function assertCurrency(account: Account, requested: string | undefined) {
  if (requested && requested !== account.currency) {
    throw new ChannelflowError('BAD_INPUT', `This dealer's credit is kept in ${account.currency}, not ${requested}`, { currency: account.currency });
  }
}

export function toCents(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not an amount in cents: ${String(value)}`);
  return n;
}

/** Kept under its old name for the dealers plug-in's callers. */
export const formatCents = formatMinor;

/** Ledger dates are UTC calendar dates (the SDK's); kept here for the plug-in's callers. */
export { today };
