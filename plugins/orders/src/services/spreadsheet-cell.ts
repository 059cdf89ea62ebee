/**
 * What an exported cell holds: text that starts like a formula (OWASP's list: = + - @, tab, carriage return) gets a
 * leading apostrophe, so Excel, LibreOffice or Sheets never run a dealer's name or a reference as a formula, not even
 * after someone edits the cell or saves the sheet as CSV. Numbers (negative amounts included) stay numbers.
 */
export function spreadsheetCell<T>(value: T): T | string {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}

const FORMULA_START = /^[=+\-@\t\r]/;
