import type { Knex } from 'knex';

/** What happened to element instances and flows, appended in batches at the end of a command batch. */
export async function appendHistory(trx: Knex.Transaction, rows: Array<Record<string, unknown>>): Promise<void> {
  for (let i = 0; i < rows.length; i += 100) await trx('wf_history').insert(rows.slice(i, i + 100));
}
