import type { Knex } from 'knex';
import { sqliteInsert, sqliteOf } from './sqlite';

const COLUMNS = ['process_instance_key', 'element_instance_key', 'element_id', 'element_type', 'intent', 'at'] as const;

/** What happened to element instances and flows, appended in batches at the end of a command batch. */
export async function appendHistory(trx: Knex.Transaction, rows: Array<Record<string, unknown>>): Promise<void> {
  const db = sqliteOf(trx);
  if (db) {
    for (const row of rows) sqliteInsert(db, 'wf_history', COLUMNS, row);
    return;
  }
  for (let i = 0; i < rows.length; i += 100) await trx('wf_history').insert(rows.slice(i, i + 100));
}
