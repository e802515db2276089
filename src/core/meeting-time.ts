/**
 * When a group should meet: the weekday window where its members' working hours
 * overlap most, in each member's local time. Pure: offsets are read for one instant
 * (the round's first day), so a window stays put for the whole round even when a
 * clock changes mid-week, and the same round always gets the same suggestion.
 */

import { tzOffset } from '@date-fns/tz';
import { Memo } from './memo.js';

/** Local working hours, minutes after midnight; `start < end`. */
export interface WorkingHours {
  start: number;
  end: number;
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { start: 9 * 60, end: 18 * 60 };

const DAY = 24 * 60;
const WEEK = 7 * DAY;
/** Length of the least-bad slot offered when working hours do not overlap. */
const FALLBACK_SLOT = 60;
/** The least-bad slot is looked for on this grid (every offset in use is a multiple of 15 minutes). */
const STEP = 15;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** "09:00-18:00" → minutes; undefined when it is not two times with the first earlier. */
export function parseWorkingHours(text: string): WorkingHours | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return undefined;
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 > 0)) return undefined;
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  return start < end ? { start, end } : undefined;
}

export interface Attendee {
  /** Anything the caller identifies the member by (a mention); passed through. */
  key: string;
  timezone: string;
}

/** One member's view of the suggested window. */
interface LocalWindow {
  key: string;
  timezone: string;
  /** UTC offset in minutes on the round's first day. */
  offset: number;
  /** Local weekdays the window falls on, 0 = Monday. */
  days: number[];
  /** Local start and end, minutes after midnight (end may be 1440). */
  start: number;
  end: number;
  /** Minutes the window lies outside this member's working hours: before their day starts (<0) or after it ends (>0); 0 inside. */
  outside: number;
}

export interface MeetingSuggestion {
  /** Do everyone's working hours overlap? When not, the window is the least-bad slot. */
  overlap: boolean;
  /** Length of the window in minutes. */
  minutes: number;
  members: LocalWindow[];
}

/**
 * The window for a group, or undefined when fewer than two members have a known time zone.
 * `reference` is an instant of the round's first day: offsets are read there.
 */
export function suggestMeetingTime(attendees: readonly Attendee[], hours: WorkingHours, reference: Date): MeetingSuggestion | undefined {
  // A time zone this Node does not know gives no offset: that member is left out.
  const known = attendees.map((a) => ({ a, offset: offsetAt(a.timezone, reference) })).filter((k) => Number.isFinite(k.offset));
  if (known.length < 2) return undefined;
  attendees = known.map((k) => k.a);
  const offsets = known.map((k) => k.offset);
  const { overlap, minutes, starts } = windowFor(offsets, hours);
  return { overlap, minutes, members: describe(attendees, offsets, starts, minutes, hours) };
}

/** The window of a set of offsets, in minutes of the week (UTC): its length and the starts it recurs at. */
interface Window {
  overlap: boolean;
  minutes: number;
  starts: number[];
}

/** Working out a window takes about a millisecond; it depends on the set of offsets, not their order. */
const windows = new Memo<Window>();
const offsetsAt = new Memo<number>();

function offsetAt(timezone: string, reference: Date): number {
  return offsetsAt.get(`${timezone} ${reference.getTime()}`, () => tzOffset(timezone, reference));
}

function windowFor(offsets: readonly number[], hours: WorkingHours): Window {
  const key = `${hours.start}-${hours.end}:${[...offsets].sort((a, b) => a - b).join(',')}`;
  return windows.get(key, () => computeWindow(offsets, hours));
}

function computeWindow(offsets: readonly number[], hours: WorkingHours): Window {
  // Minute t of the week is Monday 00:00 UTC + t; member i works at local minute t + offset.
  const working = offsets.map((offset) => {
    const at = new Uint8Array(WEEK);
    for (let day = 0; day < 5; day++) {
      for (let local = day * DAY + hours.start; local < day * DAY + hours.end; local++) at[mod(local - offset, WEEK)] = 1;
    }
    return at;
  });
  const together = new Uint8Array(WEEK);
  for (let t = 0; t < WEEK; t++) {
    let all = 1;
    for (const w of working) all &= w[t]!;
    together[t] = all;
  }

  const runs = maximalRuns(together);
  if (runs.length > 0) {
    const longest = Math.max(...runs.map((r) => r.length));
    return { overlap: true, minutes: longest, starts: recurring(runs.filter((r) => r.length === longest).map((r) => r.start)) };
  }

  const slot = Math.min(FALLBACK_SLOT, hours.end - hours.start);
  const distance = working.map(distanceToWork);
  let bestScore: [number, number] | undefined;
  let bestStarts: number[] = [];
  for (let start = 0; start < WEEK; start += STEP) {
    // A slot on someone's weekend is no slot at all.
    if (offsets.some((o) => Math.floor(mod(start + o, WEEK) / DAY) >= 5)) continue;
    const bad = distance.map((d) => {
      let worst = 0;
      for (let t = start; t < start + slot; t++) worst = Math.max(worst, d[mod(t, WEEK)]!);
      return worst;
    });
    // Fairness first (nobody far outside their day), then the least total strain.
    const score: [number, number] = [Math.max(...bad), bad.reduce((a, b) => a + b, 0)];
    const cmp = bestScore ? score[0] - bestScore[0] || score[1] - bestScore[1] : -1;
    if (cmp < 0) {
      bestScore = score;
      bestStarts = [start];
    } else if (cmp === 0) bestStarts.push(start);
  }
  return { overlap: false, minutes: slot, starts: recurring(bestStarts) };
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/** Maximal runs of 1s on the week's circle. */
function maximalRuns(on: Uint8Array): { start: number; length: number }[] {
  const off = on.indexOf(0);
  if (off === -1) return [{ start: 0, length: WEEK }];
  const runs: { start: number; length: number }[] = [];
  let start = -1;
  for (let i = 1; i <= WEEK; i++) {
    const t = mod(off + i, WEEK);
    if (on[t] === 1 && start === -1) start = t;
    if (on[t] !== 1 && start !== -1) {
      runs.push({ start, length: mod(t - start, WEEK) });
      start = -1;
    }
  }
  return runs;
}

/** The starts that recur at the same time of day most often (earliest such time on ties): one window on several days. */
function recurring(starts: readonly number[]): number[] {
  const byTime = new Map<number, number[]>();
  for (const s of [...starts].sort((a, b) => a - b)) {
    const list = byTime.get(s % DAY) ?? [];
    list.push(s);
    byTime.set(s % DAY, list);
  }
  let best: number[] = [];
  for (const list of byTime.values()) if (list.length > best.length) best = list;
  return best;
}

/** Minutes from each minute of the week to the nearest working minute, on the circle. */
function distanceToWork(working: Uint8Array): Int32Array {
  const d = new Int32Array(WEEK).fill(WEEK);
  // Two turns of the circle each way, so a gap that wraps past Monday 00:00 is measured too.
  for (let i = 0, last = WEEK; i < 2 * WEEK; i++) {
    const t = i % WEEK;
    last = working[t] ? 0 : last + 1;
    d[t] = Math.min(d[t]!, last);
  }
  for (let i = 2 * WEEK - 1, last = WEEK; i >= 0; i--) {
    const t = i % WEEK;
    last = working[t] ? 0 : last + 1;
    d[t] = Math.min(d[t]!, last);
  }
  return d;
}

function describe(
  attendees: readonly Attendee[],
  offsets: readonly number[],
  starts: readonly number[],
  length: number,
  hours: WorkingHours,
): LocalWindow[] {
  return attendees.map((a, i) => {
    const offset = offsets[i]!;
    const locals = starts.map((s) => mod(s + offset, WEEK));
    const start = locals[0]! % DAY;
    const end = start + length;
    const outside = start < hours.start ? start - hours.start : end > hours.end ? end - hours.end : 0;
    return {
      key: a.key,
      timezone: a.timezone,
      offset,
      days: [...new Set(locals.map((l) => Math.floor(l / DAY)))].sort((x, y) => x - y),
      start,
      end,
      outside,
    };
  });
}

/** "09:30" */
export function clock(minutes: number): string {
  const m = mod(minutes, DAY) === 0 && minutes > 0 ? DAY : mod(minutes, DAY);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** "UTC+5:30", "UTC−8", "UTC" */
export function offsetLabel(offset: number): string {
  if (offset === 0) return 'UTC';
  const abs = Math.abs(offset);
  return `UTC${offset < 0 ? '−' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
}

/** "Mon–Thu", "Tue and Fri", "Mon, Wed and Fri" */
export function dayRange(days: readonly number[]): string {
  if (days.length === 0) return '';
  const consecutive = days.every((d, i) => i === 0 || d === days[i - 1]! + 1);
  if (consecutive && days.length >= 3) return `${WEEKDAYS[days[0]!]}–${WEEKDAYS[days[days.length - 1]!]}`;
  const names = days.map((d) => WEEKDAYS[d]!);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** "2 h", "1 h 30 min", "45 min" */
export function duration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}
