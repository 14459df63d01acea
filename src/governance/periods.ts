/**
 * Durations and budget periods. Calendar periods are aligned in UTC: days at
 * midnight, weeks on Monday, months on the 1st; smaller units on epoch multiples
 * (so `1h` starts on the hour). Rolling periods start at first use.
 */

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'M';

export interface Duration {
  amount: number;
  unit: DurationUnit;
}

export interface Window {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

const UNIT_MS: Record<Exclude<DurationUnit, 'M'>, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DAY = UNIT_MS.d;
const WEEK = UNIT_MS.w;
/** 1970-01-05, the first Monday after the epoch. */
const FIRST_MONDAY = 4 * DAY;
/** What `1M` means where a fixed length is needed (rate-limit windows). */
const MONTH_APPROX_MS = 30 * DAY;

const DURATION_RE = /^([0-9]+)(ms|s|m|h|d|w|M)$/;

/** Parses `500ms`, `30s`, `1m`, `1h`, `1d`, `1w`, `1M` (calendar month). */
export function parseDuration(text: string): Duration {
  const m = DURATION_RE.exec(text);
  if (!m || Number(m[1]) <= 0) throw new Error(`invalid duration "${text}": expected a positive number followed by ms, s, m, h, d, w or M`);
  return { amount: Number(m[1]), unit: m[2] as DurationUnit };
}

/** Fixed length in ms; a month counts as 30 days here. */
export function durationMs(d: Duration): number {
  return d.unit === 'M' ? d.amount * MONTH_APPROX_MS : d.amount * UNIT_MS[d.unit];
}

/** The calendar-aligned (UTC) window containing `now`. */
export function calendarWindow(d: Duration, now: number): Window {
  if (d.unit === 'M') {
    const date = new Date(now);
    const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth();
    const first = Math.floor(monthIndex / d.amount) * d.amount;
    return { start: monthStart(first), end: monthStart(first + d.amount) };
  }
  const len = durationMs(d);
  const origin = d.unit === 'w' ? FIRST_MONDAY : 0;
  const start = Math.floor((now - origin) / len) * len + origin;
  return { start, end: start + len };
}

/** The rolling window that opens at `start`. */
export function rollingWindow(d: Duration, start: number): Window {
  if (d.unit !== 'M') return { start, end: start + durationMs(d) };
  const date = new Date(start);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + d.amount;
  // Clamp the day so Jan 31 + 1M ends on Feb 28/29, not in March.
  const day = Math.min(date.getUTCDate(), daysInMonth(y, m));
  const timeOfDay = start - Date.UTC(y, date.getUTCMonth(), date.getUTCDate());
  return { start, end: Date.UTC(y, m, day) + timeOfDay };
}

function monthStart(monthIndex: number): number {
  return Date.UTC(Math.floor(monthIndex / 12), monthIndex % 12, 1);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}
