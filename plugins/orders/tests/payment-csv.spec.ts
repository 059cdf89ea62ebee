import { describe, expect, it } from 'vitest';
import { MAX_PAYMENT_ROWS, parsePaymentCsv } from '../src/services/payment-csv';

const HEADER = 'invoice_number,amount,currency,paid_on,reference';
/** One data row under the standard header; the amount is quoted so "1,234.50" stays one field. */
const one = (cells: { invoice?: string; amount?: string; currency?: string; paidOn?: string; reference?: string }) =>
  parsePaymentCsv(`${HEADER}\n${cells.invoice ?? 'INV-1'},"${cells.amount ?? '100.00'}",${cells.currency ?? 'CNY'},${cells.paidOn ?? '2026-03-15'},${cells.reference ?? ''}\n`);

describe('payment CSV: amounts become minor units exactly', () => {
  it.each([
    // amount cell,            minor units,          why
    ['1234.50', 123_450, 'plain decimal'],
    ['1,234.50', 123_450, 'thousands separator'],
    ['1,234,567.89', 123_456_789, 'several separators'],
    ['1234', 123_400, 'no decimals'],
    ['1234.5', 123_450, 'one decimal'],
    ['0.01', 1, 'one cent'],
    ['19.99', 1_999, '19.99 × 100 is 1998.999… in floating point; exact here'],
    ['  42.00 ', 4_200, 'surrounding spaces are trimmed'],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER, 'the largest amount that fits'],
  ])('%s → %i (%s)', (amount, minor) => {
    const parsed = one({ amount: amount as string });
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows[0]?.amountMinor).toBe(minor);
  });

  it.each([
    // amount cell,            error,                            why
    ['1.005', /more than 2 decimals/, 'a third decimal cannot be a minor unit'],
    ['1.500', /more than 2 decimals/, 'counted as written: may mean 1500 in some locales'],
    ['0', /greater than zero/, 'zero'],
    ['0.00', /greater than zero/, 'zero with decimals'],
    ['-5.00', /greater than zero/, 'negative'],
    ['12,34.50', /not a number/, 'separators not in groups of three'],
    ['1,2345.00', /not a number/, 'a group of four'],
    ['¥100', /not a number/, 'a currency sign'],
    ['1e3', /not a number/, 'exponent notation'],
    ['.50', /not a number/, 'no whole part'],
    ['', /amount is empty/, 'empty'],
    ['99999999999999.99', /too large/, 'beyond a safe integer of minor units'],
  ])('%s is refused: %s (%s)', (amount, error) => {
    const parsed = one({ amount: amount as string });
    expect(parsed.rows).toEqual([]);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatchObject({ line: 2, message: expect.stringMatching(error as RegExp) });
  });
});

describe('payment CSV: currency, date, invoice number', () => {
  it.each([
    // cells,                                 currency / error
    [{ currency: '' }, 'CNY'],
    [{ currency: 'usd' }, 'USD'],
    [{ currency: 'US' }, /ISO 4217/],
    [{ currency: 'RMB1' }, /ISO 4217/],
    [{ paidOn: '2024-02-29' }, 'CNY'],
    [{ paidOn: '2026-02-29' }, /paid_on "2026-02-29" is not a date/],
    [{ paidOn: '2026-04-31' }, /paid_on "2026-04-31" is not a date/],
    [{ paidOn: '2026/03/15' }, /not a date/],
    [{ paidOn: '15.03.2026' }, /not a date/],
    [{ paidOn: '' }, /paid_on is empty/],
    [{ invoice: '   ' }, /invoice_number is empty/],
  ])('%j → %s', (cells, expected) => {
    const parsed = one(cells);
    if (typeof expected === 'string') {
      expect(parsed.errors).toEqual([]);
      expect(parsed.rows[0]?.currency).toBe(expected);
    } else {
      expect(parsed.rows).toEqual([]);
      expect(parsed.errors).toEqual([{ line: 2, message: expect.stringMatching(expected) }]);
    }
  });

  it('reports every problem of a row, and keeps the good rows beside the bad', () => {
    const parsed = parsePaymentCsv(`${HEADER}\nINV-1,10.00,CNY,2026-03-15,ok\n,abc,XX,2026-13-01,\nINV-3,30.00,,2026-03-16,\n`);
    expect(parsed.rows.map((r) => [r.line, r.invoiceNumber, r.amountMinor, r.currency, r.reference])).toEqual([
      [2, 'INV-1', 1_000, 'CNY', 'ok'],
      [4, 'INV-3', 3_000, 'CNY', null],
    ]);
    expect(parsed.errors.map((e) => e.line)).toEqual([3, 3, 3, 3]);
    expect(parsed.errors.map((e) => e.message).join(' | ')).toMatch(/invoice_number.*amount.*currency.*paid_on/);
  });
});

describe('payment CSV: RFC 4180 reading', () => {
  it('reads quoted commas, doubled quotes and line breaks inside quotes, numbering lines as the file has them', () => {
    const text = [HEADER, 'INV-1,"1,234.50",CNY,2026-03-15,"Transfer, ""urgent"" per call"', 'INV-2,5.00,CNY,2026-03-15,"two', 'lines"', 'INV-3,6.00,CNY,2026-03-15,'].join('\n');
    const parsed = parsePaymentCsv(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows).toEqual([
      { line: 2, invoiceNumber: 'INV-1', amountMinor: 123_450, currency: 'CNY', paidOn: '2026-03-15', reference: 'Transfer, "urgent" per call' },
      { line: 3, invoiceNumber: 'INV-2', amountMinor: 500, currency: 'CNY', paidOn: '2026-03-15', reference: 'two\nlines' },
      { line: 5, invoiceNumber: 'INV-3', amountMinor: 600, currency: 'CNY', paidOn: '2026-03-15', reference: null },
    ]);
  });

  it.each([
    // why,                                   text
    ['CRLF and a UTF-8 BOM', `\uFEFF${HEADER}\r\nINV-1,10.00,CNY,2026-03-15,\r\n\r\nINV-2,20.00,CNY,2026-03-15,\r\n`],
    ['LF without a final line break', `${HEADER}\nINV-1,10.00,CNY,2026-03-15,\n\nINV-2,20.00,CNY,2026-03-15,`],
    ['old Mac CR line breaks', `${HEADER}\rINV-1,10.00,CNY,2026-03-15,\r\rINV-2,20.00,CNY,2026-03-15,\r`],
    ['a spreadsheet row of empty cells', `${HEADER}\nINV-1,10.00,CNY,2026-03-15,\n , ,,,\nINV-2,20.00,CNY,2026-03-15,\n`],
    ['leading blank lines before the header move every line down', `\n${HEADER}\nINV-1,10.00,CNY,2026-03-15,\nINV-2,20.00,CNY,2026-03-15,\n`],
  ])('%s', (why, text) => {
    const parsed = parsePaymentCsv(text as string);
    expect(parsed.errors).toEqual([]);
    const lines = why === 'leading blank lines before the header move every line down' ? [3, 4] : [2, 4];
    expect(parsed.rows.map((r) => [r.line, r.invoiceNumber, r.amountMinor])).toEqual([
      [lines[0], 'INV-1', 1_000],
      [lines[1], 'INV-2', 2_000],
    ]);
  });

  it('counts a lone CR inside a quoted value as a line, and skips a BOM before a quoted header', () => {
    const parsed = parsePaymentCsv(`\uFEFF"invoice_number",amount,paid_on,reference\rINV-1,10.00,2026-03-15,"a\rb"\rINV-2,20.00,2026-03-15,\r`);
    expect(parsed.errors).toEqual([]);
    expect(parsed.rows.map((r) => [r.line, r.invoiceNumber, r.reference])).toEqual([
      [2, 'INV-1', 'a\rb'],
      [4, 'INV-2', null],
    ]);
  });

  it('matches header names case-insensitively, in any order, ignoring unknown columns; currency and reference are optional', () => {
    const parsed = parsePaymentCsv(' Paid_On ,Bank Memo,AMOUNT,Invoice_Number\n2026-03-15,ignored,10.00,INV-1\n');
    expect(parsed).toEqual({ rows: [{ line: 2, invoiceNumber: 'INV-1', amountMinor: 1_000, currency: 'CNY', paidOn: '2026-03-15', reference: null }], errors: [] });
  });

  it('refuses a row with more fields than the header (an unquoted "1,234.50"), and fills short rows with empty cells', () => {
    const parsed = parsePaymentCsv(`${HEADER}\nINV-1,10.00,CNY,2026-03-15\nINV-2,1,234.50,CNY,2026-03-15,\nINV-3,30.00\n`);
    expect(parsed.rows.map((r) => [r.invoiceNumber, r.reference])).toEqual([['INV-1', null]]);
    expect(parsed.errors).toEqual([
      { line: 3, message: expect.stringMatching(/6 fields but the header names 5/) },
      { line: 4, message: 'paid_on is empty' },
    ]);
  });

  it('refuses a row with text after a closing quote and goes on with the next', () => {
    const parsed = parsePaymentCsv(`${HEADER}\nINV-1,"10.00"x,CNY,2026-03-15,\nINV-2,"20.00" ,CNY,2026-03-15,\n`);
    expect(parsed.errors).toEqual([{ line: 2, message: expect.stringMatching(/closing quote/) }]);
    expect(parsed.rows.map((r) => [r.line, r.amountMinor])).toEqual([[3, 2_000]]);
  });

  it('stops at a quote that is never closed, keeping the rows before it', () => {
    const parsed = parsePaymentCsv(`${HEADER}\nINV-1,10.00,CNY,2026-03-15,\nINV-2,20.00,CNY,2026-03-15,"open\nINV-3,30.00,CNY,2026-03-15,\n`);
    expect(parsed.rows.map((r) => r.invoiceNumber)).toEqual(['INV-1']);
    expect(parsed.errors).toEqual([{ line: 3, message: expect.stringMatching(/never closed/) }]);
  });
});

describe('payment CSV: problems with the whole file', () => {
  it.each([
    // why,                                 text,                                                              error
    ['empty', '', /empty/],
    ['only a BOM and blank lines', '\uFEFF\r\n\r\n', /empty/],
    ['amount missing', 'invoice_number,currency,paid_on\nINV-1,CNY,2026-03-15\n', /required column amount$/],
    ['two missing', 'invoice,amount,date\nINV-1,10.00,2026-03-15\n', /required columns invoice_number, paid_on$/],
    ['a column twice', 'invoice_number,amount,paid_on,Amount\nINV-1,10.00,2026-03-15,20.00\n', /amount appears twice/],
    ['a header that cannot be read', '"invoice_number"x,amount,paid_on\nINV-1,10.00,2026-03-15\n', /header row cannot be read/],
  ])('%s: one error on line 1 and no rows', (_why, text, error) => {
    expect(parsePaymentCsv(text as string)).toEqual({ rows: [], errors: [{ line: 1, message: expect.stringMatching(error as RegExp) }] });
  });

  it(`takes ${MAX_PAYMENT_ROWS} rows and refuses ${MAX_PAYMENT_ROWS + 1}`, () => {
    const file = (n: number) => `${HEADER}\n${Array.from({ length: n }, (_, i) => `INV-${i + 1},1.00,CNY,2026-03-15,`).join('\n')}\n\n`;
    const full = parsePaymentCsv(file(MAX_PAYMENT_ROWS));
    expect(full.errors).toEqual([]);
    expect(full.rows).toHaveLength(5_000);
    expect(full.rows.at(-1)).toMatchObject({ line: 5_001, invoiceNumber: 'INV-5000' });
    expect(parsePaymentCsv(file(MAX_PAYMENT_ROWS + 1))).toEqual({ rows: [], errors: [{ line: 1, message: expect.stringMatching(/more than 5,000 payment rows/) }] });
  });
});
