import type { Knex } from 'knex';

/**
 * The better-sqlite3 connection under an engine transaction (SQLite only). The hottest
 * statements of the state modules run on it directly, prepared once (config/database.ts keeps
 * prepared statements), instead of being built by knex for every command: same connection, same
 * transaction, a tenth of the CPU. PostgreSQL goes through knex as before.
 */
export interface SqliteConnection {
  prepare(sql: string): { run(...params: unknown[]): { changes: number }; all(...params: unknown[]): any[]; get(...params: unknown[]): any };
}

const connections = new WeakMap<Knex.Transaction, SqliteConnection>();
const batches = new WeakSet<Knex.Transaction>();

/**
 * Called once when the engine's writer opens a batch's transaction; afterwards `sqliteOf(trx)`
 * answers synchronously, and on PostgreSQL `writesBehind(trx)` says that rows may wait for the
 * end of the batch (state/write-behind).
 */
export async function bindBatch(trx: Knex.Transaction): Promise<void> {
  batches.add(trx);
  if ((trx.client as any).driverName !== 'better-sqlite3') return;
  connections.set(trx, (await trx.client.acquireConnection()) as SqliteConnection);
}

/** Whether writes in `trx` may be held until the end of its batch (an engine batch on PostgreSQL). */
export function writesBehind(trx: Knex | Knex.Transaction): boolean {
  return batches.has(trx as Knex.Transaction) && !connections.has(trx as Knex.Transaction);
}

/** The transaction's SQLite connection, or null (PostgreSQL, or a transaction not bound). */
export function sqliteOf(trx: Knex | Knex.Transaction): SqliteConnection | null {
  return connections.get(trx as Knex.Transaction) ?? null;
}

const insertStatements = new Map<string, string>();

/** Inserts `row`'s `columns` into `table` with a statement prepared once. */
export function sqliteInsert(db: SqliteConnection, table: string, columns: readonly string[], row: Record<string, unknown>): void {
  const id = `${table}(${columns.join(',')})`;
  let sql = insertStatements.get(id);
  if (!sql) insertStatements.set(id, (sql = `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`));
  db.prepare(sql).run(...columns.map((c) => row[c]));
}
