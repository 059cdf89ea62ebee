import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { equalizeFailure, notePasswordWork } from '../src';

// The hashing library users-permissions checks passwords with, at its cost of 10 rounds.
const bcrypt = createRequire(import.meta.url)('bcryptjs') as { hashSync(s: string, rounds: number): string; compare(s: string, hash: string): Promise<boolean> };
const realHash = bcrypt.hashSync('the right password', 10);
const dummyHash = bcrypt.hashSync('nobody knows this', 10);
const spend = () => bcrypt.compare('anything', dummyHash);

/** A sign-in as users-permissions does it: an unknown account is refused before any hash is checked. */
async function signIn(accountExists: boolean, password: string) {
  if (!accountExists) throw new Error('Invalid identifier or password');
  notePasswordWork();
  if (!(await bcrypt.compare(password, realHash))) throw new Error('Invalid identifier or password');
  return 'jwt';
}

async function elapsed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run().catch(() => undefined);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Timings of the two paths, interleaved so a slow moment of the machine hits both alike. */
async function sample(a: () => Promise<unknown>, b: () => Promise<unknown>, rounds = 25) {
  const times = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i += 1) {
    times.a.push(await elapsed(a));
    times.b.push(await elapsed(b));
  }
  return times;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
};

/**
 * Mann-Whitney U as the probability that a random time of `a` exceeds one of `b`: 0.5 when the
 * two paths are indistinguishable, near 0 or 1 when an observer can tell them apart.
 */
function superiority(a: number[], b: number[]): number {
  let wins = 0;
  for (const x of a) for (const y of b) wins += x > y ? 1 : x === y ? 0.5 : 0;
  return wins / (a.length * b.length);
}

describe('equalizeFailure: refusals cost the same whether the account exists or not', { timeout: 60_000 }, () => {
  it('without it, an unknown account is refused measurably faster (the leak this closes)', async () => {
    const { a: unknown, b: wrongPassword } = await sample(
      () => signIn(false, 'guess'),
      () => signIn(true, 'guess'),
    );
    expect(superiority(unknown, wrongPassword)).toBeLessThan(0.1);
    expect(median(unknown) * 5).toBeLessThan(median(wrongPassword));
  });

  it('with it, unknown account and wrong password are statistically indistinguishable', async () => {
    const { a: unknown, b: wrongPassword } = await sample(
      () => equalizeFailure(() => signIn(false, 'guess'), spend),
      () => equalizeFailure(() => signIn(true, 'guess'), spend),
    );
    const p = superiority(unknown, wrongPassword);
    expect(p).toBeGreaterThan(0.2);
    expect(p).toBeLessThan(0.8);
    const ratio = median(unknown) / median(wrongPassword);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.4);
  });

  it('spends nothing extra when the password was checked, and passes results and errors through', async () => {
    let spent = 0;
    const counting = async () => {
      spent += 1;
    };
    await expect(equalizeFailure(() => signIn(true, 'the right password'), counting)).resolves.toBe('jwt');
    await expect(equalizeFailure(() => signIn(true, 'guess'), counting)).rejects.toThrow('Invalid identifier or password');
    expect(spent).toBe(0);
    await expect(equalizeFailure(() => signIn(false, 'guess'), counting)).rejects.toThrow('Invalid identifier or password');
    expect(spent).toBe(1);
  });
});
