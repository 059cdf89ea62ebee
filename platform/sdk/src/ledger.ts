import type { Core } from '@strapi/strapi';
import { ChannelflowError, isUniqueViolation } from './errors';
import { forUpdate } from './sql';

/** How much an entry changes each integer column of its balance row. */
export type Deltas<C extends string> = Partial<Record<C, number>>;

/**
 * An invariant of a balance row: the weighted sum of its columns never falls below `min` (0).
 * `{ terms: { on_hand: 1, reserved: -1 } }` reads "on hand − reserved ≥ 0".
 */
export interface BalanceGuard<C extends string> {
  terms: Partial<Record<C, number>>;
  min?: number;
}

/** One WHERE condition of a guarded UPDATE: `sql` with its one binding. */
export interface GuardCondition {
  sql: string;
  binding: number;
}

export interface LedgerOptions<E extends Record<string, any>, C extends string> {
  /** What one entry is called in messages: "credit entry", "stock movement". */
  entryName: string;
  /** Content-type UID of the entries; give it `appendOnly(...)` lifecycles and a unique idempotency key. */
  entries: string;
  /** The table of balance rows the entries move and the integer columns they change. */
  balances: { table: string; columns: readonly C[]; /** a timestamp column set on every move */ touch?: string };
  /** What one entry does to its balance row. */
  effect: (entry: E) => Deltas<C>;
  /** Invariants every move keeps; a move that would break one changes nothing. */
  guards?: readonly BalanceGuard<C>[];
  /** The fields that make two requests under one idempotency key the same request. */
  fingerprint: readonly (keyof E & string)[];
  /** The attribute holding the idempotency key (unique), `idempotencyKey` unless told. */
  keyField?: keyof E & string;
}

export interface LockOptions {
  /** Also read the id of the entry already written under this key (`replay_entry_id`), in the same statement. */
  idempotencyKey?: string | null;
  /** Alias of the balance table in the query (for joins). */
  alias?: string;
  /** Adds joins and columns to the locking read. */
  extend?: (query: any) => any;
}

export interface PostResult<E> {
  /** The first entry under the key (replayed) or the one just written (when read back). */
  entry: E | null;
  replayed: boolean;
  /** False when a guard refused the move: nothing was written. */
  applied: boolean;
}

/** A ledger bound to one Strapi instance: the writes, in the caller's transaction (`trx`). */
export interface Ledger<E extends Record<string, any>, C extends string> {
  /**
   * Runs `work` in a transaction. On PostgreSQL a key check reads the snapshot from before a lock wait, so a concurrent
   * request with the same key shows only as a unique violation; on our own transaction the work runs once more (then it is a replay).
   */
  transaction<T>(work: (trx: any) => Promise<T>): Promise<T>;
  /** Reads the balance row with a row lock (PostgreSQL `SELECT … FOR UPDATE`; SQLite has one writer). */
  lock(trx: any, where: Record<string, unknown>, options?: LockOptions): Promise<any | undefined>;
  /** The first entry under the key (or with this id), checked against `request`'s fingerprint; null when there is none. */
  replayOf(first: { key: string } | { id: number | null | undefined; key: string }, request: Partial<E>): Promise<any | null>;
  /** Appends entries (one statement unless read back); a key already taken is an {@link IdempotencyKeyTaken}. */
  append(entries: E[], options?: { readBack?: boolean }): Promise<any[]>;
  /** The guarded UPDATE of one balance row; false, changing nothing, when a guard refuses it. */
  move(trx: any, where: Record<string, unknown>, deltas: Deltas<C>): Promise<boolean>;
  /** Replay check, guarded move and append: the whole write of one entry. */
  post(trx: any, where: Record<string, unknown>, entry: E, options?: { readBack?: boolean }): Promise<PostResult<any>>;
}

export interface LedgerDefinition<E extends Record<string, any>, C extends string> {
  readonly options: LedgerOptions<E, C>;
  /** The entry's effect without zero deltas. */
  effectOf(entry: E): Deltas<C>;
  /** The WHERE conditions that keep every guard true after `deltas`. */
  conditionsFor(deltas: Deltas<C>): GuardCondition[];
  /** The guards a balance would break after `deltas` (empty when it may move). */
  violations(balance: Partial<Record<C, number | string>>, deltas: Deltas<C>): BalanceGuard<C>[];
  /** Whether a first entry and a repeated request under its key are the same request. */
  sameRequest(first: Record<string, unknown>, request: Record<string, unknown>): boolean;
  bind(strapi: Core.Strapi): Ledger<E, C>;
}

/**
 * An append-only ledger with a maintained balance: the one primitive behind the credit ledger, stock movements,
 * gift movements and rebate accruals. Every entry carries an idempotency key; a repeat with the same content returns
 * the first entry and writes nothing, one with different content is a CONFLICT naming the key. Balances move by
 * guarded UPDATEs (or under a row lock), in the same transaction as their entries, so concurrent writers cannot
 * overdraw them.
 */
export function defineLedger<E extends Record<string, any>, C extends string>(options: LedgerOptions<E, C>): LedgerDefinition<E, C> {
  const identifier = /^[a-z_][a-z0-9_]*$/;
  for (const name of [options.balances.table, ...options.balances.columns, ...(options.balances.touch ? [options.balances.touch] : [])]) {
    if (!identifier.test(name)) throw new Error(`defineLedger(${options.entryName}): "${name}" is not a plain SQL identifier`);
  }
  for (const guard of options.guards ?? []) {
    for (const column of Object.keys(guard.terms)) {
      if (!options.balances.columns.includes(column as C)) throw new Error(`defineLedger(${options.entryName}): guard column "${column}" is not a balance column`);
    }
  }
  const keyField = options.keyField ?? 'idempotencyKey';
  const guards = options.guards ?? [];

  const definition: LedgerDefinition<E, C> = {
    options,
    effectOf: (entry) => nonZero(options.effect(entry)),
    conditionsFor: (deltas) => guardConditions(guards, deltas),
    violations: (balance, deltas) => violatedGuards(guards, balance, deltas),
    sameRequest: (first, request) => sameRequest(first, request, options.fingerprint),
    bind(strapi) {
      const entries = () => strapi.db.query(options.entries as any);
      const entriesTable = () => strapi.db.metadata.get(options.entries as any).tableName;
      const keyColumn = () => (strapi.db.metadata.get(options.entries as any).attributes as any)[keyField]?.columnName ?? snakeCase(keyField);

      const ledger: Ledger<E, C> = {
        async transaction(work) {
          const own = !strapi.db.inTransaction();
          const once = async () => (await strapi.db.transaction(({ trx }: { trx: any }) => work(trx))) as Awaited<ReturnType<typeof work>>;
          try {
            return await once();
          } catch (error) {
            if (!own || !(error instanceof IdempotencyKeyTaken)) throw error;
            return once();
          }
        },

        async lock(trx, where, lockOptions = {}) {
          const alias = lockOptions.alias ?? 'b';
          let query = trx(`${options.balances.table} as ${alias}`).where(where).select(`${alias}.*`);
          if (lockOptions.idempotencyKey !== undefined) {
            query = query.select(trx.raw(`(select e.id from ${entriesTable()} e where e.${keyColumn()} = ?) as replay_entry_id`, [lockOptions.idempotencyKey ?? '']));
          }
          if (lockOptions.extend) query = lockOptions.extend(query);
          return forUpdate(strapi, query, alias).first();
        },

        async replayOf(first, request) {
          const key = first.key;
          const where = 'id' in first ? (first.id ? { id: first.id } : null) : { [keyField]: key };
          if (!where) return null;
          const found = await entries().findOne({ where });
          if (!found) return null;
          if (!sameRequest(found, request, options.fingerprint)) throw differentRequest(options.entryName, key);
          return found;
        },

        async append(list, appendOptions = {}) {
          if (!list.length) return [];
          try {
            if (appendOptions.readBack) return await Promise.all(list.map((data) => entries().create({ data })));
            await entries().createMany({ data: list });
            return [];
          } catch (error) {
            if (isUniqueViolation(error)) throw new IdempotencyKeyTaken(options.entryName, list.map((e) => String(e[keyField])));
            throw error;
          }
        },

        async move(trx, where, deltas) {
          const effect = nonZero(deltas);
          const columns = Object.keys(effect) as C[];
          if (!columns.length) return true;
          let update = trx(options.balances.table).where(where);
          for (const condition of guardConditions(guards, effect)) update = update.whereRaw(condition.sql, [condition.binding]);
          const changes: Record<string, unknown> = {};
          for (const column of columns) changes[column] = trx.raw(`${column} + ?`, [effect[column]]);
          if (options.balances.touch) changes[options.balances.touch] = new Date();
          return Boolean(await update.update(changes));
        },

        async post(trx, where, entry, postOptions = {}) {
          const replay = await ledger.replayOf({ key: String(entry[keyField]) }, entry);
          if (replay) return { entry: replay, replayed: true, applied: true };
          if (!(await ledger.move(trx, where, options.effect(entry)))) return { entry: null, replayed: false, applied: false };
          const [created] = await ledger.append([entry], postOptions);
          return { entry: created ?? null, replayed: false, applied: true };
        },
      };
      return ledger;
    },
  };
  return definition;
}

/** A unique violation on an entry's idempotency key: a CONFLICT to callers, a reason to look again to `transaction`. */
export class IdempotencyKeyTaken extends ChannelflowError {
  constructor(entryName: string, keys: string[]) {
    super(
      'CONFLICT',
      keys.length === 1 ? `Idempotency key ${keys[0]} was already used for a different ${entryName}` : `An idempotency key of these ${entryName}s was already used for a different one`,
      keys.length === 1 ? { idempotencyKey: keys[0] } : { idempotencyKeys: keys },
    );
  }
}

function differentRequest(entryName: string, key: string): ChannelflowError {
  return new ChannelflowError('CONFLICT', `Idempotency key ${key} was already used for a different ${entryName}`, { idempotencyKey: key });
}

/**
 * A request's fingerprint: its `fields` in order, values normalised (bigint columns read back as strings),
 * fields the request leaves out skipped. Two requests are the same when their fingerprints are equal.
 */
export function fingerprint(entry: Record<string, unknown>, fields: readonly string[]): string {
  return fields
    .filter((field) => entry[field] !== undefined)
    .map((field) => `${field}=${normalise(entry[field])}`)
    .join('&');
}

/** A first entry and a repeated request match on every fingerprint field the request gives. */
export function sameRequest(first: Record<string, unknown>, request: Record<string, unknown>, fields: readonly string[]): boolean {
  const given = fields.filter((field) => request[field] !== undefined);
  return fingerprint(first, given) === fingerprint(request, given);
}

/**
 * The WHERE conditions of a guarded UPDATE by `deltas`: for each guard the move lowers, the row's current sum must
 * cover the drop (a guard the move does not lower stays true). Sums are written as `a - b`, weights as `3 * a`.
 */
export function guardConditions<C extends string>(guards: readonly BalanceGuard<C>[], deltas: Deltas<C>): GuardCondition[] {
  const conditions: GuardCondition[] = [];
  for (const guard of guards) {
    const change = weightedSum(guard.terms, deltas);
    if (change >= 0) continue;
    const sql = (Object.entries(guard.terms) as Array<[string, number]>)
      .filter(([, weight]) => weight !== 0)
      .map(([column, weight], i) => {
        const sign = weight < 0 ? '-' : '+';
        const magnitude = Math.abs(weight) === 1 ? column : `${Math.abs(weight)} * ${column}`;
        return i === 0 ? (weight < 0 ? `-${magnitude}` : magnitude) : `${sign} ${magnitude}`;
      })
      .join(' ');
    conditions.push({ sql: `${sql} >= ?`, binding: (guard.min ?? 0) - change });
  }
  return conditions;
}

/** The guards `balance` would break after `deltas` (read under a lock, checked in memory). */
export function violatedGuards<C extends string>(guards: readonly BalanceGuard<C>[], balance: Partial<Record<C, number | string>>, deltas: Deltas<C>): BalanceGuard<C>[] {
  return guards.filter((guard) => {
    const after = (Object.entries(guard.terms) as Array<[C, number]>).reduce((sum, [column, weight]) => sum + weight * (Number(balance[column] ?? 0) + (deltas[column] ?? 0)), 0);
    return after < (guard.min ?? 0);
  });
}

function weightedSum<C extends string>(terms: Partial<Record<C, number>>, deltas: Deltas<C>): number {
  return (Object.entries(terms) as Array<[C, number]>).reduce((sum, [column, weight]) => sum + weight * (deltas[column] ?? 0), 0);
}

function nonZero<C extends string>(deltas: Deltas<C>): Deltas<C> {
  return Object.fromEntries(Object.entries(deltas).filter(([, value]) => value !== 0 && value !== undefined)) as Deltas<C>;
}

function normalise(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return String(Number(value));
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
