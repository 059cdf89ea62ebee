import { z } from 'zod';

/*
 * The one reading of dates for every argument of the platform and its plug-ins: a calendar day
 * (YYYY-MM-DD) or an instant (RFC 3339 date-time with Z or an offset), both naming a day that
 * exists. Date.parse alone accepts 2026-02-30 (as 2 March) and a bare regex accepts 2026-13-01.
 */

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/i;

/** Whether `value` is a real calendar date written YYYY-MM-DD (not 2026-02-30, not 2026-13-01). */
export function isCalendarDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether `value` is an instant: 2026-11-23T09:00:00Z or 2026-11-23T17:00:00+08:00, on a real day. */
export function isInstant(value: string): boolean {
  const m = INSTANT.exec(value);
  return m !== null && isCalendarDay(m[1]!);
}

/** A calendar date argument as the ledgers keep them: YYYY-MM-DD, a day that exists. */
export const isoDate = z.string().refine(isCalendarDay, 'dates look like 2026-11-23 (year-month-day, a day that exists)');

/** An instant argument: an RFC 3339 date-time with Z or an offset, on a day that exists. */
export const isoDateTime = z.string().refine(isInstant, 'instants look like 2026-11-23T09:00:00Z or 2026-11-23T17:00:00+08:00 (a day and time that exist, with Z or an offset)');

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
