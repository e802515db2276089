/**
 * Re-implementations of the pairing algorithms other bots use, for side-by-side
 * simulation with pairbot. Each one sees the same due members and only the history
 * its own program recorded (as those bots do), and handles odd counts its own way.
 */

import type { Meeting } from '../src/core/matching-types.js';

export interface RoundInput {
  /** Members to group this round (due, not opted out), in the order the platform listed them. */
  ids: readonly string[];
  round: number;
  groupSize: number;
  odd: 'triad' | 'sit-out';
  random: () => number;
  /** Round of the last meeting of a and b this algorithm knows of, if any. */
  lastMet(a: string, b: string): number | undefined;
  /** How many times a and b met, as far as this algorithm knows. */
  timesMet(a: string, b: string): number;
  /** The program's whole roster in a fixed order (for the circle method). */
  roster: readonly string[];
  /** What pairbot's database would hold about a member. */
  member(id: string): { sitOuts: number; lastSatOut?: number; utcOffsetMinutes?: number; attributes?: Record<string, string> };
  /** Past meetings as pairbot reads them: every program of the platform, aged in rounds. */
  history(): Meeting[];
}

export interface RoundOutput {
  groups: string[][];
  satOut: string[];
}

export interface Pairer {
  name: string;
  /** null when the algorithm has no notion of this round's shape (e.g. groups of 4). */
  form(input: RoundInput): RoundOutput | null;
}

function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Chunk into groups of k; the remainder joins the last group (triad) or sits out. */
function chunk(order: string[], k: number, odd: 'triad' | 'sit-out'): RoundOutput {
  const groups: string[][] = [];
  const satOut: string[] = [];
  let i = 0;
  for (; i + k <= order.length; i += k) groups.push(order.slice(i, i + k));
  const rest = order.slice(i);
  if (rest.length > 0) {
    if (k === 2 && odd === 'sit-out') satOut.push(...rest);
    else if (groups.length > 0) groups[groups.length - 1]!.push(...rest);
    else if (rest.length >= 2) groups.push(rest);
    else satOut.push(...rest);
  }
  return { groups, satOut };
}

function repeatsIn(groups: string[][], input: RoundInput): number {
  let r = 0;
  for (const g of groups)
    for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) if (input.lastMet(g[i]!, g[j]!) !== undefined) r++;
  return r;
}

/** Most bots: shuffle, cut into groups, reshuffle (up to 100 times) while a group repeats a pair; keep the best try. */
const shuffleRetry: Pairer = {
  name: 'shuffle-retry',
  form(input) {
    let best: RoundOutput | null = null;
    let bestRepeats = Infinity;
    for (let attempt = 0; attempt < 100; attempt++) {
      const out = chunk(shuffled(input.ids, input.random), input.groupSize, input.odd);
      const r = repeatsIn(out.groups, input);
      if (r < bestRepeats) {
        best = out;
        bestRepeats = r;
      }
      if (r === 0) break;
    }
    return best ?? { groups: [], satOut: [] };
  },
};

/**
 * Mattermost coffeebot: shuffle; take the first unpaired member and give them the
 * partner they were paired with the fewest times (first such in list order); repeat.
 * An odd member out is simply not paired. Groups of k: add members one by one by the
 * lowest total pair count with the group.
 */
const lowestCount: Pairer = {
  name: 'coffeebot',
  form(input) {
    const left = shuffled(input.ids, input.random);
    const groups: string[][] = [];
    const k = input.groupSize;
    while (left.length >= 2) {
      const group = [left.shift()!];
      while (group.length < k && left.length > 0) {
        let bestI = 0;
        let bestC = Infinity;
        for (let i = 0; i < left.length; i++) {
          let c = 0;
          for (const m of group) c += input.timesMet(m, left[i]!);
          if (c < bestC) {
            bestC = c;
            bestI = i;
          }
        }
        group.push(left.splice(bestI, 1)[0]!);
      }
      if (group.length === 1) left.push(group[0]!);
      else groups.push(group);
      if (k > 2 && left.length > 0 && left.length < k - 1) {
        groups[groups.length - 1]!.push(...left.splice(0));
      }
    }
    return { groups, satOut: left };
  },
};

/**
 * 1on1 Bot (Discord): score every pair by weeks since they last met (never met: round
 * + 1000), sort descending (stable over a shuffled list), take pairs greedily; an odd
 * member out is not paired. Groups of k: seed with the best-scoring free pair, add the
 * member whose worst score with the group is best.
 */
const weeksSinceMet: Pairer = {
  name: '1on1-bot',
  form(input) {
    const ids = shuffled(input.ids, input.random);
    const score = (a: string, b: string): number => {
      const last = input.lastMet(a, b);
      return last === undefined ? input.round + 1000 : input.round - last;
    };
    const scored: { u: string; v: string; s: number }[] = [];
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) scored.push({ u: ids[i]!, v: ids[j]!, s: score(ids[i]!, ids[j]!) });
    scored.sort((a, b) => b.s - a.s);
    const used = new Set<string>();
    const groups: string[][] = [];
    for (const { u, v } of scored) {
      if (used.has(u) || used.has(v)) continue;
      used.add(u);
      used.add(v);
      groups.push([u, v]);
    }
    if (input.groupSize > 2) {
      // grow pairs into groups: keep the first pairs as seeds, distribute the others' members
      const target = Math.max(1, Math.floor(ids.length / input.groupSize));
      const seeds = groups.slice(0, target);
      const pool = groups.slice(target).flat();
      for (const x of [...pool, ...ids.filter((id) => !used.has(id))]) {
        let best = seeds[0]!;
        let bestS = -Infinity;
        for (const g of seeds) {
          if (g.length >= input.groupSize + (pool.length > 0 ? 0 : 1)) continue;
          const s = Math.min(...g.map((m) => score(m, x)));
          if (s > bestS) {
            bestS = s;
            best = g;
          }
        }
        best.push(x);
      }
      return { groups: seeds, satOut: [] };
    }
    return { groups, satOut: ids.filter((id) => !used.has(id)) };
  },
};

/**
 * Circle method (round robin) over the fixed roster: member 0 stays, the others rotate
 * one seat per round; a bye for odd rosters. Pairs whose two members are both present
 * are kept; members whose scheduled partner is absent are paired in roster order.
 * Perfect for static rosters, blind to history, absences and time zones. Pairs only.
 */
const circleMethod: Pairer = {
  name: 'circle',
  form(input) {
    if (input.groupSize !== 2) return null;
    const seats = [...input.roster];
    if (seats.length % 2 === 1) seats.push('');
    const m = seats.length;
    const present = new Set(input.ids);
    const rot = (i: number): string => (i === 0 ? seats[0]! : seats[1 + ((i - 1 + input.round) % (m - 1))]!);
    const groups: string[][] = [];
    const placed = new Set<string>();
    for (let i = 0; i < m / 2; i++) {
      const a = rot(i);
      const b = rot(m - 1 - i);
      if (present.has(a) && present.has(b)) {
        groups.push([a, b]);
        placed.add(a);
        placed.add(b);
      }
    }
    const rest = input.ids.filter((id) => !placed.has(id));
    const tail = chunk(rest, 2, input.odd);
    if (tail.groups.length === 0 && tail.satOut.length === 1 && input.odd === 'triad' && groups.length > 0) {
      groups[groups.length - 1]!.push(tail.satOut[0]!);
      return { groups, satOut: [] };
    }
    return { groups: [...groups, ...tail.groups], satOut: tail.satOut };
  },
};

export const baselines: Pairer[] = [shuffleRetry, lowestCount, weeksSinceMet, circleMethod];
