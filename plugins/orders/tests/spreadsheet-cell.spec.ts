import { describe, expect, it } from 'vitest';
import { spreadsheetCell } from '../src/services/spreadsheet-cell';

describe('spreadsheet cells: text that would start a formula is neutralised, everything else is kept', () => {
  it.each([
    // value written,                  cell value
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['=1+1', `'=1+1`],
    ['+86 21 5555 0100', `'+86 21 5555 0100`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1:A9)', `'@SUM(A1:A9)`],
    ['\t=cmd', `'\t=cmd`],
    ['\r=cmd', `'\r=cmd`],
    ["'already quoted", "'already quoted"],
    ['Acme Trading (=HYPERLINK inside)', 'Acme Trading (=HYPERLINK inside)'],
    [' =leading space', ' =leading space'],
    ['华东经销商', '华东经销商'],
    ['', ''],
    ['transfer 40 from WH-HQ', 'transfer 40 from WH-HQ'],
  ])('text %j becomes %j', (value, expected) => {
    expect(spreadsheetCell(value)).toBe(expected);
  });

  it.each([
    // Negative amounts are the common case on a receivables sheet: they must stay numbers that add up.
    [-123.45],
    [-1],
    [0],
    [1234.56],
    [null],
    [undefined],
  ])('%j is not text and is kept as it is', (value) => {
    expect(spreadsheetCell(value)).toBe(value);
  });
});
