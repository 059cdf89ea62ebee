import type { Knex } from 'knex';

// Zeebe encodes the partition in the top bits of every key; partition 1 keys start at 2^51.
const PARTITION_1 = 2 ** 51;

/** Allocates `count` keys inside the caller's transaction; unique across every kind of record. */
export async function allocateKeys(trx: Knex.Transaction, count: number): Promise<number[]> {
  await trx('wf_sequence').where({ name: 'key' }).increment('value', count);
  const row = await trx('wf_sequence').where({ name: 'key' }).first('value');
  const last = Number(row.value);
  return Array.from({ length: count }, (_, i) => PARTITION_1 + last - count + 1 + i);
}
