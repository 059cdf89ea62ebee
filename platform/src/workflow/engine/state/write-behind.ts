import type { Knex } from 'knex';
import { writesBehind } from './sqlite';

/**
 * PostgreSQL: every statement is a round trip, so rows an engine batch writes to its busiest
 * tables (jobs, element instances, process instances) wait in memory and go in one statement per
 * table, before anything reads that table and at the end of the batch (the engine calls
 * `flushWrites` before it commits). A row changed again before then is sent once, as it ended;
 * one deleted before then is never sent. Outside an engine batch, and on SQLite (statements
 * there are calls into the same process), everything is written at once.
 */
type Row = Record<string, unknown>;

interface Pending {
  upserts: Map<number, Row>;
  deletes: Set<number>;
}

const pendingByTrx = new WeakMap<Knex.Transaction, Map<string, Pending>>();

function pendingOf(trx: Knex.Transaction, table: string): Pending {
  let tables = pendingByTrx.get(trx);
  if (!tables) pendingByTrx.set(trx, (tables = new Map()));
  let pending = tables.get(table);
  if (!pending) tables.set(table, (pending = { upserts: new Map(), deletes: new Set() }));
  return pending;
}

/** Inserts or replaces the row with `row.key`; false when it must be written now (not deferred). */
export function deferUpsert(trx: Knex.Transaction, table: string, row: Row): boolean {
  if (!writesBehind(trx)) return false;
  pendingOf(trx, table).upserts.set(Number(row.key), row);
  return true;
}

/** Deletes the row with `key` (dropped from what waits, if it waits); false when it must be deleted now. */
export function deferDelete(trx: Knex.Transaction, table: string, key: number): boolean {
  if (!writesBehind(trx)) return false;
  const pending = pendingOf(trx, table);
  if (!pending.upserts.delete(key)) pending.deletes.add(key);
  return true;
}

/** Sends what waits for `table` (every table when none is given). */
export async function flushWrites(trx: Knex | Knex.Transaction, table?: string): Promise<void> {
  const tables = pendingByTrx.get(trx as Knex.Transaction);
  if (!tables) return;
  for (const [name, pending] of tables) {
    if (table !== undefined && name !== table) continue;
    const deletes = [...pending.deletes];
    const upserts = [...pending.upserts.values()];
    pending.deletes.clear();
    pending.upserts.clear();
    for (let i = 0; i < deletes.length; i += 1000) await trx(name).whereIn('key', deletes.slice(i, i + 1000)).delete();
    for (let i = 0; i < upserts.length; i += 500) await trx(name).insert(upserts.slice(i, i + 500)).onConflict('key').merge();
  }
}
