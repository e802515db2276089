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

export const DAY = 24 * 60;
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
  /** Minutes the window lies outside this member's working hours, from the nearer working day: before it starts (<0) or after it ends (>0); 0 inside. */
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
  return { overlap, minutes, members: describe(attendees, offsets, starts, minutes, hours, overlap) };
}

/** The window of a set of offsets, in minutes of the week (UTC): its length and the starts it recurs at. */
interface Window {
  overlap: boolean;
  minutes: number;
  starts: number[];
}

/** A window depends on the set of offsets, not their order: it is worked out once per set. */
const windows = new Memo<Window>();
const offsetsAt = new Memo<number>();

function offsetAt(timezone: string, reference: Date): number {
  return offsetsAt.get(`${timezone} ${reference.getTime()}`, () => tzOffset(timezone, reference));
}

function windowFor(offsets: readonly number[], hours: WorkingHours): Window {
  const key = `${hours.start}-${hours.end}:${[...offsets].sort((a, b) => a - b).join(',')}`;
  return windows.get(key, () => computeWindow(offsets, hours));
}

/** A stretch of minutes of the week (UTC), `start` included, `end` excluded; `start < end`. */
interface Interval {
  start: number;
  end: number;
}

/**
 * The window of a set of offsets: the longest stretch of the week when all members
 * work, at the starts where it recurs at the same time of day; when there is none,
 * the least-bad slot on the STEP grid.
 */
export function computeWindow(offsets: readonly number[], hours: WorkingHours): Window {
  // Minute t of the week is Monday 00:00 UTC + t; member i works at local minute t + offset.
  const working = offsets.map((offset) => workingIntervals(offset, hours));
  const runs = circularRuns(working.reduce(intersect));
  if (runs.length > 0) {
    const longest = Math.max(...runs.map((r) => r.end - r.start));
    return { overlap: true, minutes: longest, starts: recurring(runs.filter((r) => r.end - r.start === longest).map((r) => r.start)) };
  }

  const slot = Math.min(FALLBACK_SLOT, hours.end - hours.start);
  // Each member's gaps, and the first that does not end before the slot: slots only move forward.
  const members = working.map((w) => ({ gaps: gapsAround(w), first: 0 }));
  // Any slot is better than none; plain loops below, as this runs cold (interpreted) in a short CLI process.
  let best = { worst: Infinity, total: Infinity };
  let bestStarts: number[] = [];
  for (let start = 0; start < WEEK; start += STEP) {
    // A slot on someone's weekend is no slot at all.
    if (!onWeekdays(start, offsets)) continue;
    let worst = 0;
    let total = 0;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      while (m.gaps[m.first]!.end <= start) m.first++;
      const bad = worstDistance(m.gaps, m.first, start, start + slot);
      worst = Math.max(worst, bad);
      total += bad;
    }
    // Fairness first (nobody far outside their day), then the least total strain.
    const cmp = worst - best.worst || total - best.total;
    if (cmp < 0) {
      best = { worst, total };
      bestStarts = [start];
    } else if (cmp === 0) bestStarts.push(start);
  }
  return { overlap: false, minutes: slot, starts: recurring(bestStarts) };
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/** Is minute `start` of the UTC week a weekday (Monday to Friday) in every member's time zone? */
function onWeekdays(start: number, offsets: readonly number[]): boolean {
  for (let i = 0; i < offsets.length; i++) if (mod(start + offsets[i]!, WEEK) >= 5 * DAY) return false;
  return true;
}

/** A member's working hours Monday to Friday in their time zone, as sorted intervals of the UTC week; one that crosses Monday 00:00 UTC is cut in two. */
function workingIntervals(offset: number, hours: WorkingHours): Interval[] {
  const intervals: Interval[] = [];
  for (let day = 0; day < 5; day++) {
    const start = mod(day * DAY + hours.start - offset, WEEK);
    const end = start + hours.end - hours.start;
    if (end <= WEEK) intervals.push({ start, end });
    else intervals.push({ start, end: WEEK }, { start: 0, end: end - WEEK });
  }
  return intervals.sort((a, b) => a.start - b.start);
}

/** The minutes in both sorted lists of disjoint intervals, as such a list (neighbours may touch). */
function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const both: Interval[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const start = Math.max(a[i]!.start, b[j]!.start);
    const end = Math.min(a[i]!.end, b[j]!.end);
    if (start < end) both.push({ start, end });
    // The interval that ends first meets nothing further in the other list.
    if (a[i]!.end < b[j]!.end) i++;
    else j++;
  }
  return both;
}

/**
 * Maximal runs of a sorted list of disjoint intervals on the week's circle: touching
 * intervals are joined, and a run through Monday 00:00 UTC starts at its start in the
 * week before and ends past WEEK. (Nobody works the weekend, so no run is the whole week.)
 */
function circularRuns(intervals: readonly Interval[]): Interval[] {
  const runs: Interval[] = [];
  for (const { start, end } of intervals) {
    const last = runs[runs.length - 1];
    if (last && last.end === start) last.end = end;
    else runs.push({ start, end });
  }
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (runs.length > 1 && first!.start === 0 && last!.end === WEEK) {
    runs.shift();
    last!.end = WEEK + first!.end;
  }
  return runs;
}

/**
 * The gaps between a member's working intervals, each from the end of one to the start
 * of the next, sorted. A slot starts in this week and may run past its end, so the
 * intervals are laid out over this week and the ones before and after: each minute of
 * a slot then has working minutes on both sides.
 */
function gapsAround(working: readonly Interval[]): Interval[] {
  const around = [-WEEK, 0, WEEK].flatMap((shift) => working.map((w) => ({ start: w.start + shift, end: w.end + shift })));
  const gaps: Interval[] = [];
  for (let i = 1; i < around.length; i++) {
    if (around[i - 1]!.end < around[i]!.start) gaps.push({ start: around[i - 1]!.end, end: around[i]!.start });
  }
  return gaps;
}

/**
 * The largest distance, over the minutes from..to-1, to the member's nearest working
 * minute (0 for a working minute), looking at `gaps` from index `first` on. A minute t
 * of a gap is t - gap.start + 1 after the last working minute and gap.end - t before
 * the next one, and its distance is the smaller: over the part lo..hi of the gap inside
 * the slot the largest is at most the rising side's value at hi, the falling side's at
 * lo, and half of the gap's length + 1 (rounded down, at its middle); the smallest of
 * the three is reached.
 */
function worstDistance(gaps: readonly Interval[], first: number, from: number, to: number): number {
  let worst = 0;
  for (let i = first; i < gaps.length; i++) {
    const gap = gaps[i]!;
    if (gap.start >= to) break;
    const lo = Math.max(from, gap.start);
    const hi = Math.min(to, gap.end) - 1;
    if (lo > hi) continue;
    worst = Math.max(worst, Math.min(hi - gap.start + 1, gap.end - lo, Math.floor((gap.end - gap.start + 1) / 2)));
  }
  return worst;
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

function describe(
  attendees: readonly Attendee[],
  offsets: readonly number[],
  starts: readonly number[],
  length: number,
  hours: WorkingHours,
  overlap: boolean,
): LocalWindow[] {
  return attendees.map((a, i) => {
    const offset = offsets[i]!;
    const locals = starts.map((s) => mod(s + offset, WEEK));
    const start = locals[0]! % DAY;
    const end = start + length;
    const days = [...new Set(locals.map((l) => Math.floor(l / DAY)))].sort((x, y) => x - y);
    // An overlap lies in everyone's working hours, however long it is (with 00:00–24:00 it spans days).
    return { key: a.key, timezone: a.timezone, offset, days, start, end, outside: overlap ? 0 : outside(start, end, days, hours) };
  });
}

/**
 * How far the window start..end lies outside working hours, from the nearer working day:
 * a slot before the day starts may be nearer the end of the day before (02:00 is 4 h after
 * a 22:00–23:00 evening, not 20 h before the next), and one after it ends nearer the start
 * of the next, when that day is a weekday on each of `days`.
 */
function outside(start: number, end: number, days: readonly number[], hours: WorkingHours): number {
  if (start < hours.start) {
    const before = start - hours.start;
    const afterDayBefore = end + DAY - hours.end;
    return days.every((d) => d >= 1 && d <= 5) && afterDayBefore < -before ? afterDayBefore : before;
  }
  if (end > hours.end) {
    const after = end - hours.end;
    const beforeDayAfter = start - DAY - hours.start;
    return days.every((d) => d <= 3) && -beforeDayAfter < after ? beforeDayAfter : after;
  }
  return 0;
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
