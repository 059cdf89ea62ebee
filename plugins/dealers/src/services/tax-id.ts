/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015) every Chinese company has:
 * 18 characters from a 31-character alphabet, the last a check character over the first 17.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character for the first 17 characters of a code. */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    const value = ALPHABET.indexOf(first17[i]!);
    if (value < 0) throw new Error(`"${first17[i]}" cannot appear in a unified social credit code`);
    sum += value * WEIGHTS[i]!;
  }
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Why `code` is not a valid unified social credit code, or null when it is. */
export function creditCodeProblem(code: string): string | null {
  if (code.length !== 18) return `a unified social credit code has 18 characters, this has ${code.length}`;
  if (!SHAPE.test(code)) return 'a unified social credit code uses digits and upper-case letters except I, O, S, V and Z (characters 3-8 are the region code digits)';
  const expected = creditCodeCheckCharacter(code.slice(0, 17));
  return code[17] === expected ? null : `the check character is wrong (expected ${expected}); please check for a typing error`;
}
