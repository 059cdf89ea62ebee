import type Handlebars from 'handlebars';
import { isCalendarDay, isInstant } from '@channelflow/sdk';
import { describeValue, shiftDecimalPoint, toExactInteger } from './exact-decimal';
import type { Translate } from './i18n';

type HandlebarsInstance = typeof Handlebars;

/** The per-render values helpers read from Handlebars' `@data` frame. */
export interface RenderFrame {
  locale: string;
  timeZone: string;
  /** Shared by every frame of one render: whether `{{secret}}` was used, and whether to print it. */
  secrets?: SecretsFrame;
}

export interface SecretsFrame {
  /** Set by the `secret` helper: this e-mail carries a secret. */
  used: boolean;
  /** The stored copy's render: secrets print as REDACTED. */
  redact: boolean;
}

/** What a stored copy shows instead of a secret (a one-time link, a code). */
export const REDACTED = '[redacted]';

const dateStyles = {
  // A calendar date as documents print it in every locale: 2026-01-02 (never 1/2/26).
  iso: { year: 'numeric', month: '2-digit', day: '2-digit' },
  short: { dateStyle: 'short' },
  medium: { dateStyle: 'medium' },
  long: { dateStyle: 'long' },
  datetime: { dateStyle: 'medium', timeStyle: 'short' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

/** Registers money, date, number, percent, t and eq on an isolated Handlebars instance. */
export function registerHelpers(hb: HandlebarsInstance, translate: Translate): void {
  const helper = (name: string, arities: number[], run: (params: unknown[], frame: RenderFrame, hash: Record<string, unknown>) => unknown) => {
    hb.registerHelper(name, (...args: unknown[]) => {
      const options = args.pop() as Handlebars.HelperOptions;
      if (!arities.includes(args.length)) {
        throw new Error(`${name} expects ${arities.join(' or ')} argument(s), got ${args.length}`);
      }
      return run(args, renderFrame(name, options), options.hash ?? {});
    });
  };

  helper('money', [2], ([amountMinor, currency], { locale }) => formatMoney(amountMinor, currency, locale));
  helper('date', [1, 2], ([value, style = 'medium'], { locale, timeZone }) => formatDate(value, style, locale, timeZone));
  helper('number', [1], ([value], { locale }) => formatNumber(value, locale));
  helper('percent', [1], ([basisPoints], { locale }) => formatPercent(basisPoints, locale));
  helper('t', [1], ([key], { locale }, hash) => {
    if (typeof key !== 'string' || key === '') throw new Error(`t: the key must be a non-empty string, got ${describeValue(key)}`);
    return translate(locale, key, hash);
  });
  helper('eq', [2], ([a, b]) => a === b);
  // A one-time link or code: delivered as is, but the outbox's readable copy shows REDACTED.
  helper('secret', [1], ([value], frame) => {
    if (typeof value !== 'string' || value === '') throw new Error(`secret: expected a non-empty string, got ${describeValue(value)}`);
    if (!frame.secrets) throw new Error('secret: no secrets in the render\'s @data frame');
    frame.secrets.used = true;
    return frame.secrets.redact ? REDACTED : value;
  });
}

/** Formats an integer count of minor units exactly: the integer becomes a decimal string and never a float. */
export function formatMoney(amountMinor: unknown, currency: unknown, locale: string): string {
  const minor = toExactInteger(amountMinor);
  if (minor === null) {
    throw new Error(`money: the amount must be an integer count of minor units (safe integer, bigint or integer string), got ${describeValue(amountMinor)}`);
  }
  const code = typeof currency === 'string' ? currency.toUpperCase() : '';
  // Intl accepts any three letters (XYZ) and would print them; only ISO codes it knows are allowed.
  if (!knownCurrencies().has(code)) throw new Error(`money: unknown currency ${describeValue(currency)}`);
  const formatter = cachedNumberFormat(locale, { style: 'currency', currency: code });
  // The currency's own minor-unit digits (JPY 0, CNY 2, KWD 3), so no rounding ever happens.
  const digits = formatter.resolvedOptions().maximumFractionDigits;
  if (digits === undefined) throw new Error(`money: Intl reports no fraction digits for ${code}`);
  return formatDecimalString(formatter, shiftDecimalPoint(minor, digits));
}

/** Formats basis points (1234 → 12.34%) exactly, in the locale's percent style. */
export function formatPercent(basisPoints: unknown, locale: string): string {
  const points = toExactInteger(basisPoints);
  if (points === null) throw new Error(`percent: basis points must be an integer, got ${describeValue(basisPoints)}`);
  const formatter = cachedNumberFormat(locale, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: 2 });
  return formatDecimalString(formatter, shiftDecimalPoint(points, 4));
}

export function formatNumber(value: unknown, locale: string): string {
  const formatter = cachedNumberFormat(locale, {});
  if (typeof value === 'number' && Number.isFinite(value)) return formatter.format(value);
  if (typeof value === 'bigint') return formatter.format(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return formatDecimalString(formatter, value);
  throw new Error(`number: expected a finite number, bigint or decimal string, got ${describeValue(value)}`);
}

/**
 * Formats an instant (Date, or ISO string with Z or an offset) in the renderer's time zone.
 * A date-only string ('2024-03-05') is a calendar date, so it is formatted in UTC and never shifts a day.
 */
export function formatDate(value: unknown, style: unknown, locale: string, timeZone: string): string {
  if (typeof style !== 'string' || !Object.prototype.hasOwnProperty.call(dateStyles, style)) {
    throw new Error(`date: style must be one of ${Object.keys(dateStyles).join(', ')}, got ${describeValue(style)}`);
  }
  const { instant, dateOnly } = toInstant(value);
  if (dateOnly && style === 'datetime') throw new Error(`date: ${describeValue(value)} has no time of day, so it cannot be shown as "datetime"`);
  const options = dateStyles[style as keyof typeof dateStyles];
  // en-CA formats year-month-day with hyphens; the digits are the same in every locale.
  return cachedDateFormat(style === 'iso' ? 'en-CA' : locale, { ...options, timeZone: dateOnly ? 'UTC' : timeZone }).format(instant);
}

function toInstant(value: unknown): { instant: Date; dateOnly: boolean } {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return { instant: value, dateOnly: false };
  if (typeof value === 'string') {
    const dateOnly = isCalendarDay(value);
    // A time without Z or an offset would be read in the server's zone, which is a silent guess.
    if (dateOnly || isInstant(value)) return { instant: new Date(value), dateOnly };
  }
  throw new Error(`date: expected a Date or an ISO 8601 string (date, or date-time with Z or an offset), got ${describeValue(value)}`);
}


function renderFrame(helperName: string, options: Handlebars.HelperOptions): RenderFrame {
  const data = options?.data as Partial<RenderFrame> | undefined;
  if (typeof data?.locale !== 'string' || typeof data.timeZone !== 'string') {
    throw new Error(`${helperName}: no locale/timeZone in the render's @data frame`);
  }
  return { locale: data.locale, timeZone: data.timeZone, secrets: data.secrets };
}

// lib ES2022's types only admit number | bigint, but Node 20's ICU formats numeric strings exactly (Intl.NumberFormat v3).
function formatDecimalString(formatter: Intl.NumberFormat, decimal: string): string {
  return (formatter.format as unknown as (value: string) => string)(decimal);
}

let currencies: Set<string> | undefined;
function knownCurrencies(): Set<string> {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies;
}

const numberFormats = new Map<string, Intl.NumberFormat>();
function cachedNumberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let formatter = numberFormats.get(key);
  if (!formatter) numberFormats.set(key, (formatter = new Intl.NumberFormat(locale, options)));
  return formatter;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function cachedDateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let formatter = dateFormats.get(key);
  if (!formatter) dateFormats.set(key, (formatter = new Intl.DateTimeFormat(locale, options)));
  return formatter;
}
