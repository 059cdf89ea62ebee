import type { Knex } from 'knex';

/** Reserves `size` keys; returns the highest one reserved (keys are handed out below it). */
export async function reserveKeyBlock(trx: Knex.Transaction, size: number): Promise<number> {
  await trx('wf_sequence').where({ name: 'key' }).increment('value', size);
  const row = await trx('wf_sequence').where({ name: 'key' }).first('value');
  return Number(row.value);
}
