/**
 * Round-by-round simulation of a community, shared by pairbot and the baselines: the
 * due rule, opt-outs and sit-out bookkeeping are applied here, identically for every
 * algorithm; the algorithm only forms the groups of the members it is given.
 */
import { formGroups } from '../src/core/matching/index.js';
import type { Candidate, Meeting } from '../src/core/matching-types.js';
import type { Pairer, RoundInput, RoundOutput } from './baselines.js';
import { seededRandom } from '../src/core/random.js';

const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Who met whom in which rounds, per program. */
export class MeetingLog {
  private readonly rounds = new Map<string, number[]>();
  record(a: string, b: string, round: number): void {
    const k = pairKey(a, b);
    const list = this.rounds.get(k);
    if (list) list.push(round);
    else this.rounds.set(k, [round]);
  }
  lastMet(a: string, b: string): number | undefined {
    const list = this.rounds.get(pairKey(a, b));
    return list ? list[list.length - 1] : undefined;
  }
  timesMet(a: string, b: string): number {
    return this.rounds.get(pairKey(a, b))?.length ?? 0;
  }
  /** As engine history: one Meeting per past meeting, aged relative to `round`. */
  toHistory(round: number, ids: ReadonlySet<string>): Meeting[] {
    const out: Meeting[] = [];
    for (const [k, list] of this.rounds) {
      const sep = k.indexOf('|');
      const a = k.slice(0, sep);
      const b = k.slice(sep + 1);
      if (!ids.has(a) && !ids.has(b)) continue;
      for (const r of list) out.push({ a, b, age: round - r });
    }
    return out;
  }
}

export interface MemberState {
  id: string;
  frequency: number;
  lastGrouped?: number;
  sitOuts: number;
  lastSatOut?: number;
  utcOffsetMinutes?: number;
  attributes?: Record<string, string>;
}

/** pairbot as a Pairer: the engine, fed what the database would give it. */
export const pairbot: Pairer = {
  name: 'pairbot',
  form(input: RoundInput): RoundOutput {
    const candidates: Candidate[] = input.ids.map((id) => ({ id, ...input.member(id) }));
    const res = formGroups({
      candidates,
      history: input.history(),
      avoid: [],
      prefer: [],
      groupSize: input.groupSize,
      odd: input.odd,
      random: input.random,
    });
    return { groups: res.groups, satOut: [...res.satOut, ...res.unpaired] };
  },
};

export interface SimOptions {
  members: MemberState[];
  rounds: number;
  groupSize: number;
  odd: 'triad' | 'sit-out';
  /** Probability that a due member opts out of a round. */
  skipRate?: number;
  seed: number;
}

export interface SimResult {
  /** Pairs placed in a group (every pair inside a group counts). */
  pairs: number;
  /** Pairs that had met before in this simulation (each repeated meeting counts). */
  repeats: number;
  /** Distinct pairs that met more than once. */
  repeatedPairs: number;
  /** Smallest number of rounds between two meetings of the same pair (Infinity without repeats). */
  minGap: number;
  /** Most trios (groups above k) in one round. */
  maxOversized: number;
  /** Members grouped although not due or opted out, plus due members neither grouped nor sat out. */
  dueViolations: number;
  /** Rounds in which the algorithm had nothing to offer (unsupported shape). */
  unsupported: boolean;
  /** Most sit-outs of one member. */
  maxSitOuts: number;
  /** Repeats per round, for "first ⌊n/2⌋−1 rounds" questions. */
  repeatsByRound: number[];
  seconds: number;
}

/** Run an algorithm for `rounds` rounds on a community and measure what it did. */
export function simulate(pairer: Pairer, opts: SimOptions): SimResult {
  const random = seededRandom(opts.seed);
  const skipRandom = seededRandom(opts.seed ^ 0x5bd1e995);
  const members = new Map(opts.members.map((m) => [m.id, { ...m }]));
  const roster = opts.members.map((m) => m.id);
  const log = new MeetingLog();
  const repeated = new Set<string>();
  const result: SimResult = {
    pairs: 0,
    repeats: 0,
    repeatedPairs: 0,
    minGap: Infinity,
    maxOversized: 0,
    dueViolations: 0,
    unsupported: false,
    maxSitOuts: 0,
    repeatsByRound: [],
    seconds: 0,
  };
  const started = performance.now();
  for (let round = 0; round < opts.rounds; round++) {
    const due: string[] = [];
    for (const id of roster) {
      const m = members.get(id)!;
      const isDue = m.lastGrouped === undefined || round - m.lastGrouped >= m.frequency;
      if (!isDue) continue;
      if (opts.skipRate && skipRandom() < opts.skipRate) continue;
      due.push(id);
    }
    const input: RoundInput = {
      ids: due,
      round,
      groupSize: opts.groupSize,
      odd: opts.odd,
      random,
      lastMet: (a, b) => log.lastMet(a, b),
      timesMet: (a, b) => log.timesMet(a, b),
      roster,
      member: (id) => memberView(members.get(id)!),
      history: () => log.toHistory(round, new Set(due)),
    };
    const out = pairer.form(input);
    if (!out) {
      result.unsupported = true;
      break;
    }
    const dueSet = new Set(due);
    const seen = new Set<string>();
    let roundRepeats = 0;
    let oversized = 0;
    for (const g of out.groups) {
      if (g.length > opts.groupSize) oversized++;
      for (const id of g) {
        if (!dueSet.has(id) || seen.has(id)) result.dueViolations++;
        seen.add(id);
      }
      for (let i = 0; i < g.length; i++)
        for (let j = i + 1; j < g.length; j++) {
          result.pairs++;
          const last = log.lastMet(g[i]!, g[j]!);
          if (last !== undefined) {
            roundRepeats++;
            repeated.add(pairKey(g[i]!, g[j]!));
            result.minGap = Math.min(result.minGap, round - last);
          }
        }
    }
    for (const id of out.satOut) seen.add(id);
    for (const id of due) if (!seen.has(id)) result.dueViolations++;
    for (const g of out.groups) {
      for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) log.record(g[i]!, g[j]!, round);
      for (const id of g) members.get(id)!.lastGrouped = round;
    }
    for (const id of out.satOut) {
      const m = members.get(id)!;
      m.sitOuts++;
      m.lastSatOut = round;
      result.maxSitOuts = Math.max(result.maxSitOuts, m.sitOuts);
    }
    result.repeats += roundRepeats;
    result.repeatsByRound.push(roundRepeats);
    result.maxOversized = Math.max(result.maxOversized, oversized);
  }
  result.repeatedPairs = repeated.size;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

export function memberView(m: MemberState): ReturnType<RoundInput['member']> {
  return { sitOuts: m.sitOuts, lastSatOut: m.lastSatOut, utcOffsetMinutes: m.utcOffsetMinutes, attributes: m.attributes };
}

export function staticMembers(n: number, prefix = 'm'): MemberState[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, frequency: 1, sitOuts: 0 }));
}
