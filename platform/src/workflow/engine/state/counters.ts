import type { Knex } from 'knex';

/** Engine statistics (instances started, jobs completed, …), added to in bulk. */
export async function addToCounters(trx: Knex.Transaction, totals: Map<string, number>): Promise<void> {
  for (const [name, by] of totals) {
    const updated = await trx('wf_counters').where({ name }).increment('value', by);
    if (!updated) await trx('wf_counters').insert({ name, value: by });
  }
}

export async function readCounters(knex: Knex): Promise<Record<string, number>> {
  const rows = await knex('wf_counters').select('name', 'value');
  return Object.fromEntries(rows.map((r: any) => [r.name, Number(r.value)]));
}
