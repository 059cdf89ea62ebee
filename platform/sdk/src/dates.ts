import { z } from 'zod';

/** A calendar date argument as the ledgers keep them: YYYY-MM-DD. */
export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates look like 2026-11-23');

/** The UTC calendar date (YYYY-MM-DD) of an instant. */
export function dayOf(instant: Date | number | string): string {
  return (instant instanceof Date ? instant : new Date(instant)).toISOString().slice(0, 10);
}

/** Today as a UTC calendar date. */
export function today(): string {
  return dayOf(Date.now());
}

/** The calendar date `days` after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000);
}

/** Whether `value` is a real calendar date (not 2026-02-30). */
export function isCalendarDay(value: string): boolean {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  return Number.isFinite(ms) && dayOf(ms) === value;
}
