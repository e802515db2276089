import { maxWeightMatching } from './blossom.js';
import type { PairModel } from './model.js';
import { candidateNeighbours } from './pairs.js';
import {
  BLOSSOM_MAX,
  FLEXIBLE_SEARCH_BUDGET,
  FLEXIBLE_SEARCH_ITERATIONS,
  FULL_NEIGHBOURHOOD_MAX,
  groupSearch,
  LEFTOVER_WINDOW,
  RANDOM_SWAP_PARTNERS,
  SEARCH_BUDGET,
  SWAP_PASSES,
} from './strategy.js';

/**
 * Group sizes for n people and target size k ≥ 3: as many groups as keeps sizes closest
 * to k (sum of |size − k|), sizes differing by at most one, ties going to more, smaller
 * groups (fewer pairs to repeat, easier to schedule): n=10, k=4 → 4+3+3; n=9 → 5+4;
 * n=7 → 4+3. Never a group below 2.
 */
export function computeGroupSizes(n: number, k: number): number[] {
  if (n < 2) return [];
  if (n <= k) return [n];
  const even = (g: number): number[] => {
    const base = Math.floor(n / g);
    const extra = n - base * g;
    return Array.from({ length: g }, (_, i) => base + (i < extra ? 1 : 0));
  };
  const lo = Math.max(1, Math.floor(n / k));
  const options = [even(lo), even(lo + 1)].filter((s) => s.every((x) => x >= 2));
  const cost = (s: number[]): number => s.reduce((acc, x) => acc + Math.abs(x - k), 0);
  options.sort((a, b) => cost(a) - cost(b) || b.length - a.length);
  return options[0] ?? [n];
}

export interface Grouping {
  groups: number[][];
  /** Vertices no group could take because of avoid constraints. */
  unplaced: number[];
}

/**
 * Groups of size k > 2 minimising repeated pairs (and maximising soft preferences):
 * seed one member per group, fill the groups layer by layer with a bipartite
 * maximum-weight matching of open groups to unassigned members (weight = gain with the
 * group's members so far), then improve by swapping members between groups. With few
 * members, the last search also breaks ties between equally good groupings in favour of
 * the later rounds (keepFutureRoundsOpen).
 */
export function formLargeGroups(model: PairModel, k: number): Grouping {
  const n = model.n;
  const sizes = computeGroupSizes(n, k);
  if (sizes.length === 0) return { groups: [], unplaced: Array.from({ length: n }, (_, i) => i) };
  const { start, adj } = candidateNeighbours(model);
  const neighbours = (v: number): Int32Array => adj.subarray(start[v]!, start[v + 1]!);
  const random = model.random;

  const g = sizes.length;
  const groups: number[][] = Array.from({ length: g }, () => []);
  const where = new Int32Array(n).fill(-1);
  // Seeds: the members with the most history, who are the hardest to place.
  const bySeed = Array.from({ length: n }, (_, i) => i).sort((a, b) => model.pastPartnerCount(b) - model.pastPartnerCount(a) || a - b);
  for (let i = 0; i < g; i++) {
    const v = bySeed[i]!;
    groups[i]!.push(v);
    where[v] = i;
  }

  const groupGain = (v: number, members: readonly number[]): number => {
    let s = 0;
    for (const u of members) {
      const gain = model.allowedGain(u, v);
      if (gain === -Infinity) return gain;
      s += gain;
    }
    return s;
  };

  for (let layer = 1; ; layer++) {
    const open: number[] = [];
    for (let i = 0; i < g; i++) if (groups[i]!.length < sizes[i]! && groups[i]!.length === layer) open.push(i);
    if (open.length === 0) break;
    const unassigned: number[] = [];
    for (let v = 0; v < n; v++) if (where[v] === -1) unassigned.push(v);
    if (unassigned.length === 0) break;
    assignLayer(groups, open, unassigned, where, neighbours, groupGain, random);
  }

  // Anyone left (constraints): a group with a vacancy, possibly after moving someone out
  // of the way; failing that, any group that accepts them one over its size.
  const unplaced: number[] = [];
  for (let v = 0; v < n; v++) {
    if (where[v] !== -1) continue;
    if (placeWithRepair(model, v, groups, sizes, where)) continue;
    let best = -1;
    let bestGain = -Infinity;
    for (let i = 0; i < g; i++) {
      if (groups[i]!.length > sizes[i]!) continue;
      const gg = groupGain(v, groups[i]!);
      if (gg > bestGain) {
        bestGain = gg;
        best = i;
      }
    }
    if (best === -1) unplaced.push(v);
    else {
      groups[best]!.push(v);
      where[v] = best;
    }
  }

  const search = groupSearch(n);
  improveBySwaps(model, groups, where, neighbours, search === 'repeats-tabu');
  if (search === 'flexible') keepFutureRoundsOpen(model, groups, where, k);
  return { groups: groups.filter((grp) => grp.length > 0), unplaced };
}

/**
 * Put v into a group with a vacancy; if v avoids someone in every such group, move one
 * conflicting member y of some group G out of the way: into a vacancy, or in place of a
 * member z of another group H, z then taking a vacancy (possibly G's). Returns whether v was placed.
 */
function placeWithRepair(model: PairModel, v: number, groups: number[][], sizes: number[], where: Int32Array): boolean {
  const g = groups.length;
  const fits = (x: number, gi: number, without: number): boolean => {
    for (const u of groups[gi]!) if (u !== without && model.avoids(u, x)) return false;
    return true;
  };
  const move = (x: number, to: number): void => {
    const from = where[x]!;
    if (from !== -1) groups[from]!.splice(groups[from]!.indexOf(x), 1);
    groups[to]!.push(x);
    where[x] = to;
  };
  const vacancies: number[] = [];
  for (let i = 0; i < g; i++) if (groups[i]!.length < sizes[i]!) vacancies.push(i);
  for (const gi of vacancies)
    if (fits(v, gi, -1)) {
      move(v, gi);
      return true;
    }
  for (let gi = 0; gi < g; gi++) {
    const conflicts = groups[gi]!.filter((u) => model.avoids(u, v));
    if (conflicts.length !== 1) continue;
    const y = conflicts[0]!;
    for (const hi of vacancies)
      if (hi !== gi && fits(y, hi, -1)) {
        move(y, hi);
        move(v, gi);
        return true;
      }
    for (let hi = 0; hi < g; hi++) {
      if (hi === gi) continue;
      for (const z of groups[hi]!) {
        if (!fits(y, hi, z)) continue;
        // z takes a vacancy: elsewhere, or in G itself next to v (G's vacancy outlives the swap of y for v).
        const vi = vacancies.find((x) => x !== hi && (x === gi ? !model.avoids(z, v) && fits(z, gi, y) : fits(z, x, -1)));
        if (vi === undefined) continue;
        move(z, vi);
        move(y, hi);
        move(v, gi);
        return true;
      }
    }
  }
  return false;
}

/** Give each open group one more member: bipartite max-weight matching (greedy when huge). */
function assignLayer(
  groups: number[][],
  open: number[],
  unassigned: number[],
  where: Int32Array,
  neighbours: (v: number) => Int32Array,
  groupGain: (v: number, members: readonly number[]) => number,
  random: () => number,
): void {
  const G = open.length;
  const slot = new Map<number, number>(); // member -> vertex id in the bipartite graph
  unassigned.forEach((v, i) => slot.set(v, G + i));
  const from: number[] = [];
  const to: number[] = [];
  const gains: number[] = [];
  const seen = new Set<number>();
  for (let gi = 0; gi < G; gi++) {
    const members = groups[open[gi]!]!;
    seen.clear();
    const consider = (v: number): void => {
      if (where[v] !== -1 || seen.has(v)) return;
      seen.add(v);
      const gg = groupGain(v, members);
      if (gg === -Infinity) return;
      from.push(gi);
      to.push(slot.get(v)!);
      gains.push(gg);
    };
    for (const x of members) for (const v of neighbours(x)) consider(v);
    for (let r = 0; r < 4; r++) consider(unassigned[Math.floor(random() * unassigned.length)]!);
  }
  const assigned = new Int32Array(G).fill(-1);
  if (G + unassigned.length <= BLOSSOM_MAX) {
    let minGain = 0;
    for (const x of gains) if (x < minGain) minGain = x;
    const offset = 1 - minGain;
    const m = maxWeightMatching(
      {
        n: G + unassigned.length,
        from: Int32Array.from(from),
        to: Int32Array.from(to),
        weight: Float64Array.from(gains, (x) => x + offset),
      },
      { maxCardinality: true, warmStart: true },
    );
    for (let gi = 0; gi < G; gi++) if (m.mate[gi]! >= 0) assigned[gi] = unassigned[m.mate[gi]! - G]!;
  } else {
    const order = gains.map((_, e) => e).sort((a, b) => gains[b]! - gains[a]! || a - b);
    const taken = new Set<number>();
    for (const e of order) {
      const v = unassigned[to[e]! - G]!;
      if (assigned[from[e]!] !== -1 || taken.has(v)) continue;
      assigned[from[e]!] = v;
      taken.add(v);
    }
  }
  // Matched members first, so that the scan below cannot hand one of them to a second group.
  for (let gi = 0; gi < G; gi++) {
    const v = assigned[gi]!;
    if (v === -1) continue;
    groups[open[gi]!]!.push(v);
    where[v] = open[gi]!;
  }
  // Groups the matching left without a member: the best of the next few free members.
  const free = unassigned.filter((u) => where[u] === -1);
  let cursor = 0;
  for (let gi = 0; gi < G && cursor < free.length; gi++) {
    if (assigned[gi] !== -1) continue;
    const members = groups[open[gi]!]!;
    let v = -1;
    let best = -Infinity;
    for (let t = cursor; t < free.length && t < cursor + LEFTOVER_WINDOW; t++) {
      const u = free[t]!;
      if (where[u] !== -1) continue;
      const gg = groupGain(u, members);
      if (gg > best) {
        best = gg;
        v = u;
      }
    }
    if (v === -1) continue;
    members.push(v);
    where[v] = open[gi]!;
    while (cursor < free.length && where[free[cursor]!] !== -1) cursor++;
  }
}

/**
 * Swap members between groups while the total gain improves; with `tabu`, a tabu search
 * continues from local optima while repeated pairs remain. Bounded effort.
 */
function improveBySwaps(
  model: PairModel,
  groups: number[][],
  where: Int32Array,
  neighbours: (v: number) => Int32Array,
  tabu: boolean,
): void {
  const n = model.n;
  const g = groups.length;
  if (g < 2) return;
  let evals = 0;
  const gain = (a: number, b: number): number => {
    evals++;
    return model.allowedGain(a, b);
  };
  /** Gain of v with the members of group gi, leaving out `skip`. */
  const withGroup = (v: number, gi: number, skip: number): number => {
    let s = 0;
    for (const u of groups[gi]!) if (u !== v && u !== skip) s += gain(v, u);
    return s;
  };
  const swapDelta = (x: number, y: number): number => {
    const a = where[x]!;
    const b = where[y]!;
    const after = withGroup(y, a, x) + withGroup(x, b, y);
    if (after === -Infinity) return -Infinity;
    return after - withGroup(x, a, -1) - withGroup(y, b, -1);
  };
  const doSwap = (x: number, y: number): void => {
    const a = where[x]!;
    const b = where[y]!;
    const ga = groups[a]!;
    const gb = groups[b]!;
    ga[ga.indexOf(x)] = y;
    gb[gb.indexOf(y)] = x;
    where[x] = b;
    where[y] = a;
  };
  /** Does v share its group with someone it met (negative gain)? */
  const conflicted = (v: number): boolean => {
    for (const u of groups[where[v]!]!) if (u !== v && model.haveMet(u, v)) return true;
    return false;
  };
  const fullScan = n <= FULL_NEIGHBOURHOOD_MAX;
  const partnersOf = (x: number, out: number[]): void => {
    out.length = 0;
    if (fullScan) {
      for (let y = 0; y < n; y++) if (where[y] !== where[x]) out.push(y);
      return;
    }
    for (const c of neighbours(x)) if (where[c] !== -1) for (const y of groups[where[c]!]!) if (where[y] !== where[x]) out.push(y);
    for (let r = 0; r < RANDOM_SWAP_PARTNERS; r++) {
      const y = Math.floor(model.random() * n);
      if (where[y] !== where[x]) out.push(y);
    }
  };

  // Descent: every member tries its swap partners; first improvement wins.
  const partners: number[] = [];
  for (let pass = 0; pass < SWAP_PASSES && evals < SEARCH_BUDGET; pass++) {
    let improved = false;
    for (let x = 0; x < n && evals < SEARCH_BUDGET; x++) {
      if (where[x] === -1) continue;
      // Members without a repeat only look at their sparse neighbours' groups.
      if (fullScan && !conflicted(x)) {
        partners.length = 0;
        for (const c of neighbours(x)) if (where[c] !== -1) for (const y of groups[where[c]!]!) if (where[y] !== where[x]) partners.push(y);
      } else partnersOf(x, partners);
      let bestY = -1;
      let bestD = 0;
      for (const y of partners) {
        if (where[y] === -1) continue;
        const d = swapDelta(x, y);
        if (d > bestD) {
          bestD = d;
          bestY = y;
        }
      }
      if (bestY >= 0) {
        doSwap(x, bestY);
        improved = true;
      }
    }
    if (!improved) break;
  }
  if (!tabu) return;

  // Tabu search on the members still in a repeated pair.
  let current = 0;
  for (let gi = 0; gi < g; gi++) {
    const grp = groups[gi]!;
    for (let i = 0; i < grp.length; i++) for (let j = i + 1; j < grp.length; j++) current += gain(grp[i]!, grp[j]!);
  }
  let best = current;
  let bestWhere = Int32Array.from(where);
  const tabuUntil = new Int32Array(n);
  for (let iter = 1; evals < SEARCH_BUDGET; iter++) {
    const hot: number[] = [];
    for (let v = 0; v < n; v++) if (where[v] !== -1 && conflicted(v)) hot.push(v);
    if (hot.length === 0) break;
    let mx = -1;
    let my = -1;
    let md = -Infinity;
    for (const x of hot) {
      for (let y = 0; y < n; y++) {
        if (where[y] === -1 || where[y] === where[x]) continue;
        const d = swapDelta(x, y);
        if (d === -Infinity) continue;
        const allowed = (tabuUntil[x]! < iter && tabuUntil[y]! < iter) || current + d > best;
        if (allowed && d > md) {
          md = d;
          mx = x;
          my = y;
        }
      }
    }
    if (mx < 0) break;
    doSwap(mx, my);
    current += md;
    const tenure = 4 + Math.floor(model.random() * 6);
    tabuUntil[mx] = iter + tenure;
    tabuUntil[my] = iter + tenure;
    if (current > best) {
      best = current;
      bestWhere = Int32Array.from(where);
    }
  }
  restoreGrouping(groups, where, bestWhere);
}

/** Set the groups (and `where`) to the grouping `saved` records: the best a search saw. */
function restoreGrouping(groups: number[][], where: Int32Array, saved: Int32Array): void {
  for (const grp of groups) grp.length = 0;
  for (let v = 0; v < where.length; v++) {
    where[v] = saved[v]!;
    if (where[v] !== -1) groups[where[v]!]!.push(v);
  }
}

/**
 * What grouping a pair takes from later rounds: the groups of min(k, 4) that could still
 * hold the pair without a repeat, i.e. the cliques through it in the graph of pairs that
 * neither met nor avoid each other (k = 3: the partners both have yet to meet; k ≥ 4: the
 * unmet pairs among those). 0 for a pair that met or avoids each other.
 */
function futureValues(model: PairModel, k: number): Int32Array {
  const n = model.n;
  const words = (n + 31) >>> 5;
  // Row v: the members v may still meet without a repeat, as a bitset.
  const open = new Uint32Array(n * words);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (!model.haveMet(i, j) && !model.avoids(i, j)) {
        open[i * words + (j >>> 5)]! |= 1 << (j & 31);
        open[j * words + (i >>> 5)]! |= 1 << (i & 31);
      }
  const value = new Int32Array(n * n);
  const common = new Uint32Array(words);
  for (let x = 0; x < n; x++)
    for (let y = x + 1; y < n; y++) {
      if (((open[x * words + (y >>> 5)]! >>> (y & 31)) & 1) === 0) continue;
      let v = 0;
      for (let w = 0; w < words; w++) {
        common[w] = open[x * words + w]! & open[y * words + w]!;
        v += bitCount(common[w]!);
      }
      if (k >= 4) {
        let twice = 0; // unmet pairs among the common partners, each seen from both ends
        for (let w = 0; w < words; w++)
          for (let bits = common[w]!; bits !== 0; bits &= bits - 1) {
            const z = (w << 5) | (31 - Math.clz32(bits & -bits));
            for (let u = 0; u < words; u++) twice += bitCount(open[z * words + u]! & common[u]!);
          }
        v = twice / 2;
      }
      value[x * n + y] = value[y * n + x] = v;
    }
  return value;
}

function bitCount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Tabu search over swaps of any two members, comparing groupings by gain first and, at
 * equal gain, by what they take from later rounds (futureValues, least first). Chosen one
 * round at a time, a grouping that spends the pairs with few groups left in them leaves
 * the next rounds repeat-free for longer. Keeps the best grouping seen, so the gain never
 * falls below what the earlier steps found.
 */
function keepFutureRoundsOpen(model: PairModel, groups: number[][], where: Int32Array, k: number): void {
  const n = model.n;
  const g = groups.length;
  if (g < 2) return;
  const gain = new Float64Array(n * n);
  const avoid = new Uint8Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (model.avoids(i, j)) avoid[i * n + j] = avoid[j * n + i] = 1;
      else gain[i * n + j] = gain[j * n + i] = model.gain(i, j);
    }
  const future = futureValues(model, k);
  // Per member and group: its gain and future value with the group's members, and how many of them it avoids.
  const gainWith = new Float64Array(n * g);
  const futureWith = new Float64Array(n * g);
  const avoidsIn = new Int32Array(n * g);
  const join = (v: number, gi: number, sign: number): void => {
    for (let u = 0; u < n; u++) {
      gainWith[u * g + gi]! += sign * gain[u * n + v]!;
      futureWith[u * g + gi]! += sign * future[u * n + v]!;
      avoidsIn[u * g + gi]! += sign * avoid[u * n + v]!;
    }
  };
  const members: number[] = [];
  for (let v = 0; v < n; v++)
    if (where[v] !== -1) {
      members.push(v);
      join(v, where[v]!, 1);
    }
  let gainNow = 0;
  let usedNow = 0;
  for (const v of members) {
    gainNow += gainWith[v * g + where[v]!]! / 2;
    usedNow += futureWith[v * g + where[v]!]! / 2;
  }
  let bestGain = gainNow;
  let bestUsed = usedNow;
  let bestWhere = Int32Array.from(where);
  const better = (g1: number, u1: number, g2: number, u2: number): boolean => g1 > g2 || (g1 === g2 && u1 < u2);
  const tabuUntil = new Int32Array(n * g);
  const random = model.random;
  const swaps = (members.length * (members.length - 1)) / 2;
  const iterations = Math.min(FLEXIBLE_SEARCH_ITERATIONS, Math.floor(FLEXIBLE_SEARCH_BUDGET / swaps));
  for (let iter = 1; iter <= iterations; iter++) {
    let mx = -1;
    let my = -1;
    let mg = -Infinity;
    let mu = 0;
    let ties = 0;
    for (let xi = 0; xi < members.length; xi++) {
      const x = members[xi]!;
      const a = where[x]!;
      const xa = x * g + a;
      for (let yi = xi + 1; yi < members.length; yi++) {
        const y = members[yi]!;
        const b = where[y]!;
        if (a === b) continue;
        const xb = x * g + b;
        const ya = y * g + a;
        const xy = x * n + y;
        if (avoidsIn[ya]! - avoid[xy]! > 0 || avoidsIn[xb]! - avoid[xy]! > 0) continue;
        const yb = y * g + b;
        const dg = gainWith[ya]! + gainWith[xb]! - 2 * gain[xy]! - gainWith[xa]! - gainWith[yb]!;
        const du = futureWith[ya]! + futureWith[xb]! - 2 * future[xy]! - futureWith[xa]! - futureWith[yb]!;
        if ((tabuUntil[xb]! >= iter || tabuUntil[ya]! >= iter) && !better(gainNow + dg, usedNow + du, bestGain, bestUsed)) continue;
        if (better(dg, du, mg, mu)) {
          mg = dg;
          mu = du;
          mx = x;
          my = y;
          ties = 1;
        } else if (dg === mg && du === mu && random() * ++ties < 1) {
          mx = x;
          my = y;
        }
      }
    }
    if (mx < 0) break;
    const a = where[mx]!;
    const b = where[my]!;
    join(mx, a, -1);
    join(my, b, -1);
    groups[a]![groups[a]!.indexOf(mx)] = my;
    groups[b]![groups[b]!.indexOf(my)] = mx;
    where[mx] = b;
    where[my] = a;
    join(mx, b, 1);
    join(my, a, 1);
    tabuUntil[mx * g + a] = iter + 3 + Math.floor(random() * 8);
    tabuUntil[my * g + b] = iter + 3 + Math.floor(random() * 8);
    gainNow += mg;
    usedNow += mu;
    if (better(gainNow, usedNow, bestGain, bestUsed)) {
      bestGain = gainNow;
      bestUsed = usedNow;
      bestWhere = Int32Array.from(where);
    }
  }
  restoreGrouping(groups, where, bestWhere);
}
