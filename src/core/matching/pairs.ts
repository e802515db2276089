import { dualCertificate, maxWeightMatching, type Matching } from './blossom.js';
import type { MatchRequest } from '../matching-types.js';
import type { PairModel } from './model.js';
import {
  BEST_PER_MEMBER,
  BUCKET_SAMPLES,
  CERTIFY_ROUNDS,
  FULL_SCAN_MAX,
  LEFTOVER_WINDOW,
  type PairingMethod,
  RANDOM_PER_MEMBER,
  SAMPLED_PER_MEMBER,
  THIN_GRAPH_MEMBERS,
  THIN_GRAPH_ROUNDS,
  TWO_OPT_PASSES,
} from './strategy.js';

/**
 * Who may be left over when the count is odd: nobody (`none`), anyone (`any`: the spare
 * then joins a group), or only the listed vertices (`some`: the sit-out rotation).
 */
export type SpareRule = { kind: 'none' } | { kind: 'any' } | { kind: 'some'; eligible: readonly number[] };

export interface Pairing {
  /** Partner of each vertex, or -1. */
  mate: Int32Array;
  /** The vertex left over by the odd count (sits out / joins a trio), or -1. */
  spare: number;
  /** Total gain of the pairs. */
  gain: number;
  method: PairingMethod;
  /** The pairs are a proven maximum-weight matching of the complete graph (all non-avoided pairs). */
  certified: boolean;
  /** Edges in the sparse graph the matching was computed on. */
  edges: number;
}

/** Odd count: with `sit-out`, only the members first in the rotation may be the one left over. */
export function spareRuleFor(model: PairModel, req: MatchRequest): SpareRule {
  if (model.n % 2 === 0) return { kind: 'none' };
  if (req.odd !== 'sit-out') return { kind: 'any' };
  return { kind: 'some', eligible: sitOutCandidates(model) };
}

/** Fewest sit-outs, then the oldest last sit-out (never sat out first); ties are all eligible. */
function sitOutCandidates(model: PairModel): number[] {
  const rank = (i: number): [number, number] => {
    const c = model.candidate(i);
    return [c.sitOuts ?? 0, c.lastSatOut ?? -Infinity];
  };
  let best: [number, number] | null = null;
  let eligible: number[] = [];
  for (let i = 0; i < model.n; i++) {
    const r = rank(i);
    const cmp = best === null ? -1 : r[0] - best[0] || (r[1] === best[1] ? 0 : r[1] < best[1] ? -1 : 1);
    if (cmp < 0) {
      best = r;
      eligible = [i];
    } else if (cmp === 0) eligible.push(i);
  }
  return eligible;
}

/**
 * Pair up the model's vertices on a sparse candidate graph, by the method the caller chose
 * (strategy.ts decides for pairbot; benchmarks compare both at the threshold).
 */
export function pairUp(model: PairModel, spare: SpareRule, method: PairingMethod): Pairing {
  const graph = new SparseGraph(model, spare);
  selectCandidates(model, graph);
  return method === 'greedy-2opt' ? greedyPairs(model, graph, spare) : blossomPairs(model, graph);
}

/** The sparse candidate graph as adjacency lists (no phantom): each member's best, random and preferred partners. */
export function candidateNeighbours(model: PairModel): { start: Int32Array; adj: Int32Array } {
  const n = model.n;
  const graph = new SparseGraph(model, { kind: 'none' });
  selectCandidates(model, graph);
  const { from, to } = graph.edges();
  return adjacency(n, from, to, from.keys());
}

/**
 * Adjacency lists (compressed: `adj[start[v]..start[v+1]]` are v's neighbours) of the
 * given edge ids, each list in the order the edges are given.
 */
function adjacency(
  n: number,
  from: ArrayLike<number>,
  to: ArrayLike<number>,
  edges: Iterable<number>,
): { start: Int32Array; adj: Int32Array } {
  const ids = [...edges];
  const deg = new Int32Array(n + 1);
  for (const e of ids) {
    deg[from[e]!]!++;
    deg[to[e]!]!++;
  }
  const start = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) start[v + 1] = start[v]! + deg[v]!;
  const adj = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  for (const e of ids) {
    adj[fill[from[e]!]!++] = to[e]!;
    adj[fill[to[e]!]!++] = from[e]!;
  }
  return { start, adj };
}

/**
 * Exact reference: the same problem on the complete graph (every non-avoided pair), cold
 * blossom. Quadratic memory in edges: for benchmarks and tests on small n only.
 */
export function exactPairs(model: PairModel, spare: SpareRule): Pairing {
  const graph = new SparseGraph(model, spare);
  for (let i = 0; i < model.n; i++) for (let j = i + 1; j < model.n; j++) if (!model.avoids(i, j)) graph.add(i, j);
  const m = graph.solve(false);
  return graph.toPairing(m, 'blossom', false);
}

/** Edge set over the model's vertices plus, when needed, a phantom vertex that takes the spare. */
class SparseGraph {
  readonly n: number;
  readonly phantom: number;
  readonly size: number;
  readonly offset: number;
  private keys: number[] = [];
  private sorted = true;

  constructor(
    private readonly model: PairModel,
    spare: SpareRule,
  ) {
    this.n = model.n;
    const usePhantom = spare.kind !== 'none' && this.n % 2 === 1;
    this.phantom = usePhantom ? this.n : -1;
    this.size = this.n + (usePhantom ? 1 : 0);
    // Every real edge weighs offset + gain > 0; the phantom's edges weigh offset (gain 0).
    this.offset = 1 - model.gainFloor;
    if (usePhantom) {
      const eligible = spare.kind === 'some' ? spare.eligible : Array.from({ length: this.n }, (_, i) => i);
      for (const v of eligible) this.add(v, this.phantom);
    }
  }

  add(i: number, j: number): void {
    if (i === j) return;
    const k = i < j ? i * this.size + j : j * this.size + i;
    this.keys.push(k);
    this.sorted = false;
  }

  /** Deduplicated edges, ordered by key. */
  edges(): { from: Int32Array; to: Int32Array; weight: Float64Array } {
    if (!this.sorted) {
      const sorted = Float64Array.from(this.keys).sort();
      const unique: number[] = [];
      for (let e = 0; e < sorted.length; e++) if (e === 0 || sorted[e] !== sorted[e - 1]) unique.push(sorted[e]!);
      this.keys = unique;
      this.sorted = true;
    }
    const m = this.keys.length;
    const from = new Int32Array(m);
    const to = new Int32Array(m);
    const weight = new Float64Array(m);
    for (let e = 0; e < m; e++) {
      const k = this.keys[e]!;
      const i = Math.floor(k / this.size);
      const j = k - i * this.size;
      from[e] = i;
      to[e] = j;
      weight[e] = this.weightOf(i, j);
    }
    return { from, to, weight };
  }

  weightOf(i: number, j: number): number {
    if (i === this.phantom || j === this.phantom) return this.offset;
    return this.offset + this.model.gain(i, j);
  }

  solve(warm: boolean): Matching {
    const e = this.edges();
    return maxWeightMatching({ n: this.size, from: e.from, to: e.to, weight: e.weight }, { maxCardinality: true, warmStart: warm });
  }

  get edgeCount(): number {
    return this.keys.length;
  }

  toPairing(m: Matching, method: Pairing['method'], certified: boolean): Pairing {
    const mate = new Int32Array(this.n).fill(-1);
    let spare = -1;
    let gain = 0;
    for (let v = 0; v < this.n; v++) {
      const u = m.mate[v]!;
      if (u === -1) continue;
      if (u === this.phantom) spare = v;
      else {
        mate[v] = u;
        if (v < u) gain += this.model.gain(v, u);
      }
    }
    return { mate, spare, gain, method, certified, edges: this.edgeCount };
  }
}

/** Each member's best partners by gain (seeded tie-break), a few random ones, and preferred partners. */
function selectCandidates(model: PairModel, graph: SparseGraph): void {
  const n = model.n;
  const random = model.random;
  const bestJ = new Int32Array(BEST_PER_MEMBER);
  const bestG = new Float64Array(BEST_PER_MEMBER);
  const bestT = new Float64Array(BEST_PER_MEMBER);
  let count = 0;
  // Keep the BEST_PER_MEMBER largest (gain, tie) in descending order.
  const offer = (j: number, g: number, t: number): void => {
    if (count === BEST_PER_MEMBER) {
      const last = count - 1;
      if (g < bestG[last]! || (g === bestG[last]! && t <= bestT[last]!)) return;
      count--;
    }
    let pos = count;
    while (pos > 0 && (bestG[pos - 1]! < g || (bestG[pos - 1]! === g && bestT[pos - 1]! < t))) {
      bestJ[pos] = bestJ[pos - 1]!;
      bestG[pos] = bestG[pos - 1]!;
      bestT[pos] = bestT[pos - 1]!;
      pos--;
    }
    bestJ[pos] = j;
    bestG[pos] = g;
    bestT[pos] = t;
    count++;
  };
  const addRandom = (i: number): void => {
    for (let r = 0; r < RANDOM_PER_MEMBER; r++) {
      for (let attempt = 0; attempt < 4; attempt++) {
        const j = Math.floor(random() * n);
        if (j !== i && !model.avoids(i, j)) {
          graph.add(i, j);
          break;
        }
      }
    }
  };

  if (n <= FULL_SCAN_MAX) {
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      model.gainRow(i, row);
      count = 0;
      for (let j = 0; j < n; j++) {
        const g = row[j]!;
        if (g === -Infinity) continue;
        offer(j, g, model.tieBreak(i, j));
      }
      for (let c = 0; c < count; c++) graph.add(i, bestJ[c]!);
      addRandom(i);
    }
  } else {
    // Sample: random members, members sharing working hours, members sharing the attribute value.
    const byHours = groupBy(n, (v) => model.hoursBucket(v));
    const byAttribute = groupBy(n, (v) => model.attributeValue(v));
    const consider = (i: number, j: number): void => {
      if (j !== i && !model.avoids(i, j)) offer(j, model.gain(i, j), model.tieBreak(i, j));
    };
    const sampleBucket = (i: number, bucket: number[] | undefined): void => {
      if (!bucket || bucket.length < 2) return;
      for (let s = 0; s < BUCKET_SAMPLES; s++) consider(i, bucket[Math.floor(random() * bucket.length)]!);
    };
    for (let i = 0; i < n; i++) {
      count = 0;
      for (let s = 0; s < SAMPLED_PER_MEMBER; s++) consider(i, Math.floor(random() * n));
      sampleBucket(i, byHours.get(model.hoursBucket(i)));
      sampleBucket(i, byAttribute.get(model.attributeValue(i)));
      for (let c = 0; c < count; c++) graph.add(i, bestJ[c]!);
      addRandom(i);
    }
  }
  for (const [i, j] of model.preferredPairs()) graph.add(i, j);
}

function groupBy(n: number, keyOf: (i: number) => number): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    if (k < 0) continue;
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(i);
  }
  return map;
}

function unmatchedOf(m: Matching): number[] {
  const out: number[] = [];
  for (let v = 0; v < m.mate.length; v++) if (m.mate[v] === -1) out.push(v);
  return out;
}

function blossomPairs(model: PairModel, graph: SparseGraph): Pairing {
  const n = model.n;
  let m = graph.solve(true);
  // Sparse graph too thin for someone (constraints, history): give the unmatched all their partners.
  for (let round = 0; round < THIN_GRAPH_ROUNDS; round++) {
    const unmatched = unmatchedOf(m);
    if (unmatched.length <= 1) break;
    for (const v of unmatched.slice(0, THIN_GRAPH_MEMBERS)) {
      if (v >= n) continue;
      for (let u = 0; u < n; u++) if (u !== v && !model.avoids(v, u)) graph.add(v, u);
    }
    m = graph.solve(true);
  }
  const perfect = m.size * 2 === graph.size;
  if (!perfect) {
    // Hard constraints leave people out: the cold start is exact among maximum matchings.
    m = graph.solve(false);
    return graph.toPairing(m, 'blossom', false);
  }
  if (n > FULL_SCAN_MAX) return graph.toPairing(m, 'blossom', false);

  // Certificate: with the final duals, no pair outside the sparse graph may have negative slack.
  const row = new Float64Array(n);
  for (let round = 0; round < CERTIFY_ROUNDS; round++) {
    let violations = 0;
    const certificate = dualCertificate(m);
    const dual = m.dual;
    const { top, topDual } = certificate;
    const twiceOffset = 2 * graph.offset;
    for (let i = 0; i < n; i++) {
      model.gainRow(i, row);
      const di = dual[i]! - twiceOffset;
      const ti = top[i]!;
      const zi = ti === -1 ? 0 : topDual[i]!;
      for (let j = i + 1; j < n; j++) {
        const g = row[j]!;
        // fast paths: vertex duals (plus a shared outermost blossom's) cover the pair; avoided pairs are -Infinity
        const s = di + dual[j]! - 2 * g;
        if (s >= 0 || (ti !== -1 && top[j] === ti && s + zi >= 0)) continue;
        if (g === -Infinity) continue;
        if (certificate.slack(i, j, graph.offset + g) < 0) {
          graph.add(i, j);
          violations++;
        }
      }
    }
    if (violations === 0) return graph.toPairing(m, 'blossom', true);
    m = graph.solve(true);
  }
  return graph.toPairing(m, 'blossom', false);
}

/**
 * Fallback for very large communities: greedy by weight on the sparse graph, short
 * augmenting paths for the leftovers, then 2-opt exchanges between pairs.
 */
function greedyPairs(model: PairModel, graph: SparseGraph, spare: SpareRule): Pairing {
  const n = model.n;
  const { from, to } = graph.edges();
  const mate = new Int32Array(n).fill(-1);
  let sitter = -1;
  if (n % 2 === 1 && spare.kind === 'some' && spare.eligible.length > 0) {
    sitter = Math.min(...spare.eligible);
    mate[sitter] = sitter; // parked
  }
  // Real edges only, heaviest first; equal gains in seeded order.
  const real: number[] = [];
  const gains = new Float64Array(from.length);
  for (let e = 0; e < from.length; e++) {
    if (from[e]! >= n || to[e]! >= n) continue;
    gains[e] = model.gain(from[e]!, to[e]!);
    real.push(e);
  }
  const tie = (e: number): number => model.tieBreak(from[e]!, to[e]!);
  real.sort((a, b) => gains[b]! - gains[a]! || tie(b) - tie(a));
  for (const e of real) {
    const i = from[e]!;
    const j = to[e]!;
    if (mate[i] === -1 && mate[j] === -1) {
      mate[i] = j;
      mate[j] = i;
    }
  }
  // Adjacency of the sparse graph for the repairs below.
  const { start, adj } = adjacency(n, from, to, real);
  // Augmenting paths of length 3: v - u = w - x  becomes  v = u - w = x.
  for (let v = 0; v < n; v++) {
    if (mate[v] !== -1) continue;
    outer: for (let a = start[v]!; a < start[v + 1]!; a++) {
      const u = adj[a]!;
      const w = mate[u]!;
      if (w < 0 || w === u || u === sitter) continue;
      for (let b = start[w]!; b < start[w + 1]!; b++) {
        const x = adj[b]!;
        if (x !== v && mate[x] === -1) {
          mate[v] = u;
          mate[u] = v;
          mate[w] = x;
          mate[x] = w;
          break outer;
        }
      }
    }
  }
  // Whoever is still single: pair them among themselves, best of a few probes.
  const single: number[] = [];
  for (let v = 0; v < n; v++) if (mate[v] === -1) single.push(v);
  for (let s = 0; s < single.length; s++) {
    const v = single[s]!;
    if (mate[v] !== -1) continue;
    let best = -1;
    let bestGain = -Infinity;
    for (let t = s + 1; t < single.length; t++) {
      const u = single[t]!;
      if (mate[u] !== -1 || model.avoids(v, u)) continue;
      const g = model.gain(v, u);
      if (g > bestGain) {
        bestGain = g;
        best = u;
      }
      if (t - s > LEFTOVER_WINDOW) break;
    }
    if (best >= 0) {
      mate[v] = best;
      mate[best] = v;
    }
  }
  if (sitter >= 0) mate[sitter] = -1;

  // 2-opt: (a,b)(c,d) -> (a,c)(b,d) when it gains, for c among a's sparse neighbours.
  const pairGain = new Float64Array(n);
  for (let v = 0; v < n; v++) pairGain[v] = mate[v]! >= 0 ? model.gain(v, mate[v]!) : 0;
  for (let pass = 0; pass < TWO_OPT_PASSES; pass++) {
    let improved = 0;
    for (let a = 0; a < n; a++) {
      const b = mate[a]!;
      if (b < 0) continue;
      for (let e = start[a]!; e < start[a + 1]!; e++) {
        const c = adj[e]!;
        const d = mate[c]!;
        if (c === b || d < 0 || d === a || model.avoids(b, d)) continue;
        const gac = model.gain(a, c);
        const gbd = model.gain(b, d);
        if (gac + gbd > pairGain[a]! + pairGain[c]!) {
          mate[a] = c;
          mate[c] = a;
          mate[b] = d;
          mate[d] = b;
          pairGain[a] = pairGain[c] = gac;
          pairGain[b] = pairGain[d] = gbd;
          improved++;
          break;
        }
      }
    }
    if (improved === 0) break;
  }

  let spareV = -1;
  let gain = 0;
  for (let v = 0; v < n; v++) {
    if (mate[v] === -1) {
      if (spareV === -1 && spare.kind !== 'none' && n % 2 === 1) spareV = v;
    } else if (v < mate[v]!) gain += pairGain[v]!;
  }
  if (sitter >= 0) spareV = sitter;
  return { mate, spare: spareV, gain, method: 'greedy-2opt', certified: false, edges: graph.edgeCount };
}
