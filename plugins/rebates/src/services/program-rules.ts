import { z } from 'zod';

/**
 * The rules of a rebate program besides its tiers, pure: which periods it runs in, which dealers
 * take part, which invoice lines count, and which version of the program governs a period.
 */

// ---------------------------------------------------------------- periods

export type PeriodKind = 'month' | 'quarter' | 'year' | 'dates';

export interface Period {
  /** Stable key of the period: 2026-03, 2026-Q1, 2026, or 2026-01-15..2026-02-14. */
  key: string;
  /** First and last day, ISO dates, both included. */
  from: string;
  to: string;
}

export interface ProgramCalendar {
  kind: PeriodKind;
  /** The program runs from this day (ISO date)… */
  startsOn: string;
  /** …to this day, included (null: until closed). A 'dates' program is one period from start to end. */
  endsOn: string | null;
}

/** The period of `calendar` a day belongs to, or null when the program does not run then. */
export function periodOf(calendar: ProgramCalendar, day: string): Period | null {
  if (day < calendar.startsOn || (calendar.endsOn !== null && day > calendar.endsOn)) return null;
  const [y, m] = [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
  switch (calendar.kind) {
    case 'month':
      return { key: day.slice(0, 7), from: isoDay(y, m, 1), to: isoDay(y, m, daysIn(y, m)) };
    case 'quarter': {
      const q = Math.floor((m - 1) / 3) + 1;
      return { key: `${y}-Q${q}`, from: isoDay(y, q * 3 - 2, 1), to: isoDay(y, q * 3, daysIn(y, q * 3)) };
    }
    case 'year':
      return { key: String(y), from: isoDay(y, 1, 1), to: isoDay(y, 12, 31) };
    case 'dates':
      if (calendar.endsOn === null) throw new Error('a program over dates needs its end date');
      return { key: `${calendar.startsOn}..${calendar.endsOn}`, from: calendar.startsOn, to: calendar.endsOn };
  }
}

/** The same period a year before (what growth is measured against); a 29 February start becomes the 28th. */
export function yearBefore(period: Period): Period {
  const shift = (day: string) => {
    const y = Number(day.slice(0, 4)) - 1;
    const m = Number(day.slice(5, 7));
    return isoDay(y, m, Math.min(Number(day.slice(8, 10)), daysIn(y, m)));
  };
  const from = shift(period.from);
  const to = shift(period.to);
  const key = /^\d{4}(-|$)/.test(period.key) && !period.key.includes('..') ? `${Number(period.key.slice(0, 4)) - 1}${period.key.slice(4)}` : `${from}..${to}`;
  return { key, from, to };
}

/** The quarters inside a year, for quarterly advances on an annual program. */
export function quartersOf(year: number): Period[] {
  return [1, 2, 3, 4].map((q) => ({ key: `${year}-Q${q}`, from: isoDay(year, q * 3 - 2, 1), to: isoDay(year, q * 3, daysIn(year, q * 3)) }));
}

// ---------------------------------------------------------------- who takes part

export const eligibilitySchema = z.object({
  /** Empty: every value. */
  tiers: z.array(z.string().min(1)).default([]),
  regions: z.array(z.string().min(1)).default([]),
  dealerTypes: z.array(z.string().min(1)).default([]),
  /** Dealers named by code take part whatever the rules above say. */
  dealers: z.array(z.string().min(1)).default([]),
  /** Dealers named by code never take part. */
  excluded: z.array(z.string().min(1)).default([]),
});
export type Eligibility = z.infer<typeof eligibilitySchema>;

export interface DealerFacts {
  code: string;
  tier: string | null;
  regionCode: string | null;
  dealerType: string | null;
}

/** Whether a dealer takes part: exclusions first, then named dealers, then every rule given. */
export function isEligible(rules: Eligibility, dealer: DealerFacts): boolean {
  if (rules.excluded.includes(dealer.code)) return false;
  if (rules.dealers.includes(dealer.code)) return true;
  const matches = (allowed: string[], value: string | null) => !allowed.length || (value !== null && allowed.includes(value));
  const anyRule = rules.tiers.length || rules.regions.length || rules.dealerTypes.length;
  // A program naming only dealers is for those dealers alone.
  if (!anyRule && rules.dealers.length) return false;
  return matches(rules.tiers, dealer.tier) && matches(rules.regions, dealer.regionCode) && matches(rules.dealerTypes, dealer.dealerType);
}

// ---------------------------------------------------------------- what counts

export const qualifyingSchema = z.object({
  /** Empty: every product. Otherwise a line counts when its SKU, category or brand is named. */
  include: z.object({ skus: z.array(z.string().min(1)).default([]), categories: z.array(z.string().min(1)).default([]), brands: z.array(z.string().min(1)).default([]) }).default({ skus: [], categories: [], brands: [] }),
  /** Never counts, even when included. */
  exclude: z.object({ skus: z.array(z.string().min(1)).default([]), categories: z.array(z.string().min(1)).default([]), brands: z.array(z.string().min(1)).default([]) }).default({ skus: [], categories: [], brands: [] }),
});
export type Qualifying = z.infer<typeof qualifyingSchema>;

export interface LineFacts {
  sku: string;
  category: string | null;
  brand: string | null;
}

export function lineCounts(rules: Qualifying, line: LineFacts): boolean {
  const named = (set: Qualifying['include']) => set.skus.includes(line.sku) || (line.category !== null && set.categories.includes(line.category)) || (line.brand !== null && set.brands.includes(line.brand));
  if (named(rules.exclude)) return false;
  const { skus, categories, brands } = rules.include;
  return !(skus.length || categories.length || brands.length) || named(rules.include);
}

// ---------------------------------------------------------------- versions

export interface ProgramVersion {
  version: number;
  /** This version governs periods that start on or after this day. */
  effectiveFrom: string;
}

/**
 * The version that governs a period: the latest that took effect on or before the period's first
 * day, so changing an active program never rewrites a period already under way or settled.
 */
export function versionFor<V extends ProgramVersion>(versions: V[], period: Period): V | null {
  let chosen: V | null = null;
  for (const v of versions) if (v.effectiveFrom <= period.from && (!chosen || v.version > chosen.version)) chosen = v;
  return chosen;
}

function isoDay(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}
