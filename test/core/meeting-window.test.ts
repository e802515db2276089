/**
 * computeWindow works on intervals; the oracle below is the earlier minute-by-minute
 * version it replaced (one flag per minute of the week and member). Both must give the
 * same window, starts and order for every group: all pairs and many larger groups of
 * offsets from UTC−12 to UTC+14 in 15-minute steps, under working hours that overlap
 * for some offsets and not others, and offsets off the 15-minute grid.
 */
import { describe, expect, it } from 'vitest';
import { computeWindow, type WorkingHours } from '../../src/core/meeting-time.js';

const DAY = 24 * 60;
const WEEK = 7 * DAY;
const FALLBACK_SLOT = 60;
const STEP = 15;

interface Window {
  overlap: boolean;
  minutes: number;
  starts: number[];
}

function oracle(offsets: readonly number[], hours: WorkingHours): Window {
  const working = offsets.map((offset) => {
    const at = new Uint8Array(WEEK);
    for (let day = 0; day < 5; day++) {
      for (let local = day * DAY + hours.start; local < day * DAY + hours.end; local++) at[mod(local - offset, WEEK)] = 1;
    }
    return at;
  });
  const together = new Uint8Array(WEEK);
  for (let t = 0; t < WEEK; t++) together[t] = working.every((w) => w[t] === 1) ? 1 : 0;

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
    if (offsets.some((o) => Math.floor(mod(start + o, WEEK) / DAY) >= 5)) continue;
    const bad = distance.map((d) => {
      let worst = 0;
      for (let t = start; t < start + slot; t++) worst = Math.max(worst, d[mod(t, WEEK)]!);
      return worst;
    });
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

function distanceToWork(working: Uint8Array): Int32Array {
  const d = new Int32Array(WEEK).fill(WEEK);
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

/** Every offset in use today, UTC−12:00 to UTC+14:00 (with the :30 and :45 zones), and more. */
const OFFSETS = Array.from({ length: (26 * 60) / STEP + 1 }, (_, i) => -12 * 60 + i * STEP);
const HOURS: [string, WorkingHours][] = [
  ['09:00-18:00', { start: 9 * 60, end: 18 * 60 }],
  ['08:30-17:15', { start: 8 * 60 + 30, end: 17 * 60 + 15 }],
  ['00:00-24:00', { start: 0, end: DAY }],
  ['22:00-23:00', { start: 22 * 60, end: 23 * 60 }],
  ['09:10-09:40', { start: 9 * 60 + 10, end: 9 * 60 + 40 }],
  ['12:00-13:00', { start: 12 * 60, end: 13 * 60 }],
  ['09:10-17:50', { start: 9 * 60 + 10, end: 17 * 60 + 50 }],
];

/** A seeded generator (mulberry32), so a failure names a group that fails again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Groups whose window differs from the oracle's (empty when all agree), with both answers. */
function disagreements(groups: readonly (readonly number[])[], hours: WorkingHours): unknown[] {
  const wrong: unknown[] = [];
  for (const offsets of groups) {
    const got = computeWindow(offsets, hours);
    const want = oracle(offsets, hours);
    if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push({ offsets, got, want });
  }
  return wrong.slice(0, 3);
}

describe('meeting window on intervals', () => {
  for (const [name, hours] of HOURS) {
    it(`agrees with the minute-by-minute window for every pair of offsets, ${name}`, () => {
      const pairs = OFFSETS.flatMap((a, i) => OFFSETS.slice(i).map((b) => [a, b]));
      expect(disagreements(pairs, hours)).toEqual([]);
    });

    it(`agrees for groups of 3 to 5 offsets, ${name}`, () => {
      const next = random(name.length * 7919 + hours.start);
      const pick = (): number => OFFSETS[Math.floor(next() * OFFSETS.length)]!;
      const groups = Array.from({ length: 500 }, (_, i) => Array.from({ length: 3 + (i % 3) }, pick));
      expect(disagreements(groups, hours)).toEqual([]);
    });
  }

  it('agrees for offsets off the 15-minute grid and random working hours', () => {
    const next = random(42);
    const groups = Array.from({ length: 500 }, (_, i) => {
      const start = Math.floor(next() * DAY);
      const hours = { start, end: start + 1 + Math.floor(next() * (DAY - start)) };
      const offsets = Array.from({ length: 2 + (i % 4) }, () => Math.floor(next() * 26 * 60) - 12 * 60);
      return { hours, offsets };
    });
    const wrong = groups.flatMap(({ hours, offsets }) => disagreements([offsets], hours).map((w) => ({ hours, w })));
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});
