import { defineLedger } from '@channelflow/sdk';

export const ENTRY = 'plugin::__name__.entry';
/** One balance row per dealer (made by the 001 migration): what has been approved for it, in minor units. */
export const BALANCES = '__name_snake___balances';
/** The ledger adds amounts up, so it keeps one currency; every record is in it. */
export const CURRENCY = 'CNY';

export interface __Name__Entry {
  dealerId: number;
  recordId: number;
  kind: 'approval' | 'reversal';
  amountMinor: number;
  idempotencyKey: string;
}

/** Approved amounts move only through this ledger: append-only entries, the dealer's balance moved in the same transaction. */
export const approvalLedger = defineLedger<__Name__Entry, 'approved_minor'>({
  entryName: '__title__ entry',
  entries: ENTRY,
  balances: { table: BALANCES, columns: ['approved_minor'], touch: 'updated_at' },
  effect: (entry) => ({ approved_minor: entry.kind === 'approval' ? entry.amountMinor : -entry.amountMinor }),
  guards: [{ terms: { approved_minor: 1 } }], // never below zero
  fingerprint: ['dealerId', 'recordId', 'kind', 'amountMinor'],
});
