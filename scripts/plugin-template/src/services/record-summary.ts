/** Pure domain logic: no Strapi here, so it is unit-tested with a table. */
export interface RecordSummary {
  recordCount: number;
  totalMinor: number;
}

export function summarizeRecords(records: ReadonlyArray<{ amountMinor: number }>): RecordSummary {
  let totalMinor = 0;
  for (const r of records) {
    if (!Number.isSafeInteger(r.amountMinor) || r.amountMinor < 0) throw new Error(`amounts are whole minor units ≥ 0, got ${r.amountMinor}`);
    totalMinor += r.amountMinor;
  }
  if (!Number.isSafeInteger(totalMinor)) throw new Error('the total is too large to count safely');
  return { recordCount: records.length, totalMinor };
}
