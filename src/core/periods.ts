import { TZDate } from '@date-fns/tz';

export type Cadence = 'daily' | 'weekly' | 'monthly';

/** One round's period: `2026-W48`, `2026-11-23` or `2026-11`. */
export interface Period {
  key: string;
  /** Consecutive integer per cadence, so "N periods have passed" is a subtraction. */
  index: number;
  /** First local day of the period, YYYY-MM-DD. */
  start: string;
}

/** The cadence a round's key is written in: `2026-W48` weekly, `2026-11-23` daily, `2026-11` monthly. */
export function cadenceOfKey(key: string): Cadence | undefined {
  if (/^\d{4}-W\d{2}$/.test(key)) return 'weekly';
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return 'daily';
  if (/^\d{4}-\d{2}$/.test(key)) return 'monthly';
  return undefined;
}

const DAY_MS = 86_400_000;
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The calendar date of an instant in a time zone, YYYY-MM-DD. */
export function localDate(now: Date, timeZone: string): string {
  const d = new TZDate(now.getTime(), timeZone);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The period containing a local date. */
export function periodOfDate(date: string, cadence: Cadence): Period {
  const day = dayNumber(date);
  switch (cadence) {
    case 'daily':
      return periodFromIndex(day, cadence);
    case 'weekly':
      // 1970-01-01 was a Thursday; ISO weeks start on Monday (day -3).
      return periodFromIndex(Math.floor((day + 3) / 7), cadence);
    case 'monthly': {
      const [y, m] = date.split('-').map(Number) as [number, number];
      return periodFromIndex(y * 12 + (m - 1), cadence);
    }
  }
}

/** The period containing an instant, in the program's time zone. */
export function periodOf(now: Date, cadence: Cadence, timeZone: string): Period {
  return periodOfDate(localDate(now, timeZone), cadence);
}

export function periodFromIndex(index: number, cadence: Cadence): Period {
  switch (cadence) {
    case 'daily': {
      const start = dateOfDay(index);
      return { key: start, index, start };
    }
    case 'weekly': {
      const monday = index * 7 - 3;
      // The ISO week-numbering year is the year of the week's Thursday.
      const thursday = new Date((monday + 3) * DAY_MS);
      const year = thursday.getUTCFullYear();
      const week = Math.floor((monday + 3 - Math.round(Date.UTC(year, 0, 1) / DAY_MS)) / 7) + 1;
      return { key: `${year}-W${pad(week)}`, index, start: dateOfDay(monday) };
    }
    case 'monthly': {
      const year = Math.floor(index / 12);
      const month = (index % 12) + 1;
      return { key: `${year}-${pad(month)}`, index, start: `${year}-${pad(month)}-01` };
    }
  }
}

export function nextPeriod(period: Period, cadence: Cadence): Period {
  return periodFromIndex(period.index + 1, cadence);
}

/** Whole periods between a past local date and the current period (0 = same period). */
export function periodsSince(date: string, current: Period, cadence: Cadence): number {
  return Math.max(0, current.index - periodOfDate(date, cadence).index);
}

/**
 * The due rule: due when `frequency` or more periods have passed since the
 * member's last group, or never grouped. No parity offsets.
 */
export function isDue(lastGroupedIndex: number | undefined, frequency: number, current: Period): boolean {
  return lastGroupedIndex === undefined || current.index - lastGroupedIndex >= frequency;
}

/** Is `value` a real calendar date written YYYY-MM-DD? */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** The local date `days` after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  return dateOfDay(dayNumber(date) + days);
}

/** The same day `months` later, or the month's last day when it has fewer days. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const lastDay = new Date(Date.UTC(Math.floor(total / 12), (total % 12) + 1, 0)).getUTCDate();
  return `${Math.floor(total / 12)}-${pad((total % 12) + 1)}-${pad(Math.min(d, lastDay))}`;
}
