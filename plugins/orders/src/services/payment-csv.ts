import { isCalendarDay } from '@channelflow/sdk';
import Decimal from 'decimal.js';

/**
 * Payments exported by a bank or by finance, read for import (pure; amounts become integer minor units).
 *
 * The file is CSV (RFC 4180: quoted fields may hold commas, line breaks and doubled quotes; CRLF or LF;
 * a UTF-8 BOM, as spreadsheet exports add, is skipped). The first non-blank line is the header; column
 * names are matched case-insensitively, unknown columns are ignored:
 *   invoice_number (required), amount (required, major units: 1234.50 or 1,234.50),
 *   currency (optional, ISO 4217, CNY when empty), paid_on (required, YYYY-MM-DD), reference (optional).
 * Every row is checked on its own, so one import shows every problem at once: good rows in `rows`,
 * each problem in `errors` with the line it starts on. Problems with the file itself (no header, a
 * required column missing, too many rows) are a single error on line 1 and no rows.
 * Blank lines, and lines whose every field is empty (",,,," from spreadsheets), are skipped; a row may
 * have fewer fields than the header (the missing ones are empty) but not more.
 */
export const MAX_PAYMENT_ROWS = 5_000;

export interface PaymentRow {
  /** The line of the file the row starts on (the first line of the file is 1). */
  line: number;
  invoiceNumber: string;
  amountMinor: number;
  currency: string;
  paidOn: string;
  reference: string | null;
}

export interface PaymentCsvError {
  line: number;
  message: string;
}

export interface ParsedPaymentCsv {
  rows: PaymentRow[];
  errors: PaymentCsvError[];
}

const REQUIRED = ['invoice_number', 'amount', 'paid_on'] as const;
const OPTIONAL = ['currency', 'reference'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

export function parsePaymentCsv(text: string): ParsedPaymentCsv {
  const records = csvRecords(text);
  // Read by hand: breaking out of a for…of would close the generator before the data rows.
  let next = records.next();
  while (!next.done && isBlank(next.value)) next = records.next();
  const header = next.done ? undefined : next.value;
  if (!header) return refuse('the file is empty: a header row naming invoice_number, amount and paid_on is required');
  if (header.error) return refuse(`the header row cannot be read: ${header.error}`);

  const index = new Map<Column, number>();
  const known: readonly string[] = [...REQUIRED, ...OPTIONAL];
  for (const [position, raw] of header.fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (!known.includes(name)) continue;
    // Two amount columns would leave it unclear which one was paid.
    if (index.has(name as Column)) return refuse(`the column ${name} appears twice in the header`);
    index.set(name as Column, position);
  }
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length > 0) return refuse(`the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);

  const rows: PaymentRow[] = [];
  const errors: PaymentCsvError[] = [];
  let dataRows = 0;
  for (const record of records) {
    if (isBlank(record)) continue;
    dataRows += 1;
    // Stop reading at once: a runaway file should not be parsed to the end just to be refused.
    if (dataRows > MAX_PAYMENT_ROWS) return refuse(`the file has more than ${MAX_PAYMENT_ROWS.toLocaleString('en-US')} payment rows; import at most ${MAX_PAYMENT_ROWS.toLocaleString('en-US')} at a time (split the file)`);
    const { line } = record;
    if (record.error) {
      errors.push({ line, message: record.error });
      continue;
    }
    // Even an empty extra cell: "1,234.50" unquoted with no reference after it looks just like that.
    if (record.fields.length > header.fields.length) {
      errors.push({ line, message: `the row has ${record.fields.length} fields but the header names ${header.fields.length} (an unquoted comma in a value?)` });
      continue;
    }
    const cell = (column: Column) => {
      const position = index.get(column);
      return position === undefined ? '' : (record.fields[position] ?? '').trim();
    };
    const before = errors.length;
    const fail = (message: string) => errors.push({ line, message });

    const invoiceNumber = cell('invoice_number');
    if (invoiceNumber === '') fail('invoice_number is empty');
    const amount = parseAmountMinor(cell('amount'));
    if (typeof amount === 'string') fail(amount);
    const currency = (cell('currency') || 'CNY').toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) fail(`currency "${cell('currency')}" is not an ISO 4217 code such as CNY`);
    const paidOn = cell('paid_on');
    if (paidOn === '') fail('paid_on is empty');
    else if (!isCalendarDay(paidOn)) fail(`paid_on "${paidOn}" is not a date written YYYY-MM-DD`);
    const reference = cell('reference');

    if (errors.length === before && typeof amount === 'number') rows.push({ line, invoiceNumber, amountMinor: amount, currency, paidOn, reference: reference === '' ? null : reference });
  }
  return { rows, errors };
}

/** Minor units for an amount in major units, or why it is not one. */
function parseAmountMinor(raw: string): number | string {
  if (raw === '') return 'amount is empty';
  if (/^-/.test(raw)) return `amount ${raw} must be greater than zero`;
  // Thousands separators only in groups of three, so "12,34" is refused rather than read as 1234.
  const match = /^(\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d+))?$/.exec(raw);
  if (!match) return `amount "${raw}" is not a number such as 1234.50 or 1,234.50`;
  // Counted as written: "1.500" is refused, since in some locales it means one thousand five hundred.
  if ((match[2] ?? '').length > 2) return `amount ${raw} has more than 2 decimals`;
  const minor = new Decimal(`${match[1]!.replaceAll(',', '')}.${match[2] ?? '0'}`).times(100);
  if (minor.lte(0)) return `amount ${raw} must be greater than zero`;
  if (!minor.lte(Number.MAX_SAFE_INTEGER)) return `amount ${raw} is too large`;
  return minor.toNumber();
}


function refuse(message: string): ParsedPaymentCsv {
  return { rows: [], errors: [{ line: 1, message }] };
}

interface CsvRecord {
  /** The line the record starts on. */
  line: number;
  fields: string[];
  /** Why the record's quoting cannot be read; its fields are then unreliable. */
  error?: string;
}

function isBlank(record: CsvRecord): boolean {
  return !record.error && record.fields.every((f) => f.trim() === '');
}

/**
 * RFC 4180 records, one at a time (a generator, so reading can stop at the row limit). Line breaks are
 * CRLF, LF or a lone CR; inside quotes they belong to the value. A quote inside an unquoted field is
 * kept as text; anything but spaces between a closing quote and the next comma is an error for that record.
 */
function* csvRecords(text: string): Generator<CsvRecord, void, undefined> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const atEndOfField = () => i >= text.length || text[i] === ',' || text[i] === '\n' || text[i] === '\r';
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i += 1;
        let closed = false;
        while (i < text.length) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i += 1;
            closed = true;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line += 1;
          value += c;
          i += 1;
        }
        if (!closed) {
          // Everything after an unclosed quote is inside it, so nothing further can be trusted.
          yield { line: start, fields: [...fields, value], error: 'a quoted field opened on this line is never closed, so the rest of the file cannot be read' };
          return;
        }
        while (text[i] === ' ' || text[i] === '\t') i += 1;
        if (!atEndOfField()) {
          error ??= 'text follows a closing quote (a quote inside a quoted value must be doubled: "")';
          while (!atEndOfField()) i += 1;
        }
      } else {
        while (!atEndOfField()) {
          value += text[i];
          i += 1;
        }
      }
      fields.push(value);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === '\r') i += 1;
      if (text[i] === '\n') i += 1;
      line += 1;
      break;
    }
    yield error ? { line: start, fields, error } : { line: start, fields };
  }
}
