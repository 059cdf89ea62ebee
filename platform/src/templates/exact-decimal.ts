/** An integer given as a safe-integer number, a bigint or an integer string; null for anything else (floats included). */
export function toExactInteger(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}

/** Moves the decimal point `scale` places left without floating point: (-123456n, 2) → "-1234.56". */
export function shiftDecimalPoint(integer: bigint, scale: number): string {
  const sign = integer < 0n ? '-' : '';
  const digits = (integer < 0n ? -integer : integer).toString().padStart(scale + 1, '0');
  if (scale === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Short description of a value for error messages, e.g. `12.5 (number)`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}" (string)`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (value === null || value === undefined) return String(value);
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${String(value)} (${typeof value})`;
}
