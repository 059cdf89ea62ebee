/** Default credit limit by tier (cents) for a new credit account: ¥5,000,000 / ¥2,000,000 / ¥500,000. */
export const TIER_LIMIT_CENTS = { gold: 500_000_000, silver: 200_000_000, bronze: 50_000_000 } as const;
export type Tier = keyof typeof TIER_LIMIT_CENTS;
