import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WORKING_HOURS,
  dayRange,
  offsetLabel,
  parseWorkingHours,
  suggestMeetingTime,
  type MeetingSuggestion,
} from '../../src/core/meeting-time.js';

const hours = DEFAULT_WORKING_HOURS;
const at = (date: string): Date => new Date(`${date}T12:00:00Z`);
const suggest = (zones: string[], date: string, h = hours): MeetingSuggestion =>
  suggestMeetingTime(
    zones.map((z) => ({ key: z, timezone: z })),
    h,
    at(date),
  )!;
/** Each member's window as "Mon–Fri 09:00-10:00" in minutes, for compact assertions. */
const windows = (s: MeetingSuggestion): [number[], number, number][] => s.members.map((m) => [m.days, m.start, m.end]);
const hm = (h: number, m = 0): number => h * 60 + m;
const weekdays = [0, 1, 2, 3, 4];

describe('meeting time', () => {
  it('reads working hours and refuses what is not a window', () => {
    expect(parseWorkingHours('09:00-18:00')).toEqual({ start: 540, end: 1080 });
    expect(parseWorkingHours(' 8:30 – 17:15 ')).toEqual({ start: 510, end: 1035 });
    expect(parseWorkingHours('10:00-24:00')).toEqual({ start: 600, end: 1440 });
    for (const bad of ['18:00-09:00', '09:00-09:00', '9-5', '25:00-26:00', '09:60-10:00', ''])
      expect(parseWorkingHours(bad)).toBeUndefined();
  });

  it('needs two members with a time zone', () => {
    expect(suggestMeetingTime([{ key: 'a', timezone: 'UTC' }], hours, at('2026-11-23'))).toBeUndefined();
  });

  it('finds the shared hour of Berlin and Tokyo in each local time', () => {
    const s = suggest(['Europe/Berlin', 'Asia/Tokyo'], '2026-11-23');
    expect(s.overlap).toBe(true);
    expect(s.minutes).toBe(60);
    expect(windows(s)).toEqual([
      [weekdays, hm(9), hm(10)],
      [weekdays, hm(17), hm(18)],
    ]);
  });

  it('crosses the date line: Los Angeles afternoons are Tokyo mornings of the next day', () => {
    const s = suggest(['America/Los_Angeles', 'Asia/Tokyo'], '2026-11-23');
    expect(s.minutes).toBe(120);
    // A Friday afternoon in LA is Saturday in Tokyo: not a working day there.
    expect(windows(s)).toEqual([
      [[0, 1, 2, 3], hm(16), hm(18)],
      [[1, 2, 3, 4], hm(9), hm(11)],
    ]);
  });

  it('follows daylight saving time: the US changes clocks three weeks before Europe', () => {
    const before = suggest(['America/New_York', 'Europe/Berlin'], '2026-03-02');
    const between = suggest(['America/New_York', 'Europe/Berlin'], '2026-03-09');
    const after = suggest(['America/New_York', 'Europe/Berlin'], '2026-03-30');
    expect(windows(before)).toEqual([
      [weekdays, hm(9), hm(12)],
      [weekdays, hm(15), hm(18)],
    ]);
    expect(between.minutes).toBe(240);
    expect(windows(between)[1]).toEqual([weekdays, hm(14), hm(18)]);
    expect(after.minutes).toBe(180);
    expect(before.members.map((m) => m.offset)).toEqual([-300, 60]);
    expect(between.members.map((m) => m.offset)).toEqual([-240, 60]);
  });

  it('handles half-hour offsets and the southern summer (Asia/Kolkata, Australia/Adelaide)', () => {
    const summer = suggest(['Asia/Kolkata', 'Australia/Adelaide'], '2026-11-23');
    expect(summer.members.map((m) => offsetLabel(m.offset))).toEqual(['UTC+5:30', 'UTC+10:30']);
    expect(windows(summer)).toEqual([
      [weekdays, hm(9), hm(13)],
      [weekdays, hm(14), hm(18)],
    ]);
    const winter = suggest(['Asia/Kolkata', 'Australia/Adelaide'], '2026-06-01');
    expect(winter.minutes).toBe(300);
    expect(windows(winter)[1]).toEqual([weekdays, hm(13), hm(18)]);
  });

  it('says when there is no overlap and offers the slot that strains nobody much more than the other', () => {
    const s = suggest(['America/Los_Angeles', 'Asia/Kolkata'], '2026-11-23');
    expect(s.overlap).toBe(false);
    expect(s.minutes).toBe(60);
    expect(windows(s)).toEqual([
      [[0, 1, 2, 3], hm(18, 15), hm(19, 15)],
      [[1, 2, 3, 4], hm(7, 45), hm(8, 45)],
    ]);
    expect(s.members.map((m) => m.outside)).toEqual([75, -75]);
  });

  it('measures a least-bad slot from the nearer working day: 02:00 is 4 h after a 22:00–23:00 evening, not 20 h before the next', () => {
    const s = suggest(['America/Los_Angeles', 'Asia/Tokyo'], '2026-03-09', parseWorkingHours('22:00-23:00')!);
    expect(s.overlap).toBe(false);
    expect(windows(s)).toEqual([
      [[1, 2, 3, 4], hm(2), hm(3)],
      [[1, 2, 3, 4], hm(18), hm(19)],
    ]);
    // Tue–Fri 02:00 in Los Angeles follows a working evening (Mon–Thu); Tokyo's 18:00 is 4 h before its 22:00.
    expect(s.members.map((m) => m.outside)).toEqual([240, -240]);
  });

  it('says an overlap is inside everyone’s working hours, also one that spans days (00:00–24:00)', () => {
    const s = suggest(['America/Los_Angeles', 'Asia/Tokyo'], '2026-11-23', parseWorkingHours('00:00-24:00')!);
    expect(s.overlap).toBe(true);
    expect(s.minutes).toBeGreaterThan(24 * 60);
    expect(s.members.map((m) => m.outside)).toEqual([0, 0]);
  });

  it('takes the window all members of a trio share', () => {
    const s = suggest(['Europe/London', 'America/New_York', 'Europe/Warsaw'], '2026-11-23');
    expect(s.minutes).toBe(180);
    expect(windows(s)).toEqual([
      [weekdays, hm(14), hm(17)],
      [weekdays, hm(9), hm(12)],
      [weekdays, hm(15), hm(18)],
    ]);
  });

  it('uses the configured working hours', () => {
    const s = suggest(['Europe/Berlin', 'Asia/Tokyo'], '2026-11-23', parseWorkingHours('07:00-20:00')!);
    expect(windows(s)[0]).toEqual([weekdays, hm(7), hm(12)]);
  });

  it('names days compactly', () => {
    expect(dayRange([0, 1, 2, 3, 4])).toBe('Mon–Fri');
    expect(dayRange([1, 4])).toBe('Tue and Fri');
    expect(dayRange([0, 2, 4])).toBe('Mon, Wed and Fri');
    expect(dayRange([3])).toBe('Thu');
  });
});
