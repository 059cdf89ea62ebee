/** ISO 8601 timers as Camunda 8 models use them: dates, durations and repeating cycles. */

export interface TimerSchedule {
  dueAt: number;
  /** Remaining repetitions after this one; -1 repeats forever. */
  repetitions: number;
  /** Duration between repetitions (ISO), null for one-shot timers. */
  interval: string | null;
}

const DURATION = /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Adds an ISO 8601 duration to an instant; years and months follow the calendar (UTC). */
export function addDuration(from: number, iso: string): number {
  const m = DURATION.exec(iso.trim());
  if (!m || iso.trim() === 'P' || iso.trim().endsWith('T')) throw new Error(`'${iso}' is not an ISO 8601 duration (e.g. PT10M, P1D)`);
  const n = (i: number) => (m[i] ? Number(m[i]!.replace(',', '.')) : 0);
  const sign = m[1] ? -1 : 1;
  const date = new Date(from);
  if (n(2) || n(3)) date.setUTCMonth(date.getUTCMonth() + sign * (Math.trunc(n(2)) * 12 + Math.trunc(n(3))));
  const ms = ((n(4) * 7 + n(5)) * 86400 + n(6) * 3600 + n(7) * 60 + n(8)) * 1000;
  return date.getTime() + sign * Math.round(ms);
}

export function parseDate(iso: string): number {
  const text = iso.trim().replace(/\[[^\]]+\]$/, '');
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw new Error(`'${iso}' is not an ISO 8601 date-time (e.g. 2026-12-01T09:00:00Z)`);
  return at;
}

/** First due time of a timer definition whose FEEL (if any) has already been evaluated. */
export function scheduleTimer(kind: 'date' | 'duration' | 'cycle', value: string, now: number): TimerSchedule {
  if (kind === 'date') return { dueAt: parseDate(value), repetitions: 0, interval: null };
  if (kind === 'duration') return { dueAt: addDuration(now, value), repetitions: 0, interval: null };
  const parts = value.trim().split('/');
  const repeat = /^R(\d*)$/.exec(parts[0] ?? '');
  if (!repeat || parts.length < 2 || parts.length > 3) throw new Error(`'${value}' is not an ISO 8601 repeating interval (e.g. R3/PT10M)`);
  const total = repeat[1] === '' ? -1 : Number(repeat[1]);
  if (total === 0) throw new Error(`'${value}' repeats zero times`);
  const interval = parts[parts.length - 1]!;
  const dueAt = parts.length === 3 ? parseDate(parts[1]!) : addDuration(now, interval);
  addDuration(now, interval); // validates
  return { dueAt, repetitions: total === -1 ? -1 : total - 1, interval };
}

/** The next occurrence of a cycle after one fired, or null when it has no repetitions left. */
export function nextOccurrence(timer: { dueAt: number; repetitions: number; interval: string | null }, now: number): TimerSchedule | null {
  if (!timer.interval || timer.repetitions === 0) return null;
  let dueAt = addDuration(timer.dueAt, timer.interval);
  // A platform that was down skips the occurrences it missed instead of firing them in a burst.
  while (dueAt < now - 1000) dueAt = addDuration(dueAt, timer.interval);
  return { dueAt, repetitions: timer.repetitions === -1 ? -1 : timer.repetitions - 1, interval: timer.interval };
}
