/**
 * Maximum-weight matching in a general (non-bipartite) graph: Edmonds' blossom
 * algorithm with the primal-dual bookkeeping of Galil ("Efficient algorithms for
 * finding maximum matching in graphs", ACM Computing Surveys, 1986).
 *
 * The code follows Joris van Rantwijk's mwmatching.py (2008,
 * http://jorisvr.nl/article/maximum-matching, also the origin of NetworkX's
 * max_weight_matching): the same steps (assignLabel, scanBlossom, addBlossom,
 * expandBlossom, augmentBlossom, augmentMatching, the four kinds of dual change) under
 * the same names, so his comments and Galil's paper explain this file. Its arrays keep
 * his names in camel case: `adj` (neighbend, flattened), `labelEnd` (labelend), `inBlossom` (inblossom), `parent`
 * (blossomparent), `childs` / `endps` (blossomchilds / blossomendps), `base`
 * (blossombase), `bestEdge` (bestedge), `blossomBest` (blossombestedges), `unused`
 * (unusedblossoms), `dual` (dualvar), `allowed` (allowedge); `trick` is his endptrick
 * and `BREADCRUMB` the label bit he sets while scanning for a blossom's base. What
 * differs: adjacency in typed arrays, per-stage resets from lists of what was touched,
 * an optional warm start, and work lists instead of recursion.
 *
 * The graph is given as an edge list and stored as adjacency arrays, so memory is
 * O(n + m): the engine only ever hands it a sparse candidate graph.
 *
 * Conventions used throughout:
 * - edge k has endpoints `2k` (at `from[k]`) and `2k + 1` (at `to[k]`); `p ^ 1` is
 *   the other end of endpoint p, `p >> 1` its edge;
 * - `dual[v]` holds twice the dual of vertex v, `dual[b]` (b ≥ n) the dual of blossom
 *   b, so that the slack of edge k is `dual[i] + dual[j] - 2 w[k]` (plus twice the
 *   duals of blossoms containing both ends) and stays an integer for integer weights;
 * - `mate[v]` is the endpoint at v's partner, or -1.
 *
 * Work per stage is proportional to the part of the graph the stage explores (labels,
 * best edges and allowed edges are reset from lists of what was touched), which keeps
 * the many short stages of a warm-started run cheap.
 */

export interface WeightedGraph {
  /** Number of vertices, numbered 0..n-1. */
  n: number;
  from: Int32Array;
  to: Int32Array;
  /** Integer weights (exact doubles); fractional weights may break the exactness of the dual arithmetic. */
  weight: Float64Array;
}

export interface MatchingOptions {
  /** Find a maximum-cardinality matching, and among those one of maximum weight. Default true. */
  maxCardinality?: boolean;
  /**
   * Start from a greedy matching on tight edges with per-vertex duals instead of the
   * empty matching: far fewer stages on large sparse graphs. Exact whenever the result
   * is a perfect matching (any feasible dual start is valid for perfect matching) and
   * always of maximum cardinality; if the result is not perfect its weight may fall short
   * of the best among maximum matchings — re-run without it when that matters.
   * Only with `maxCardinality`.
   */
  warmStart?: boolean;
}

export interface Matching {
  /** mate[v] = the vertex matched to v, or -1. */
  mate: Int32Array;
  /** Number of matched edges. */
  size: number;
  /** Sum of the weights of the matched edges. */
  weight: number;
  /** Twice the vertex duals (0..n-1) and the blossom duals (n..2n-1): an optimality certificate. */
  dual: Float64Array;
  /** Parent blossom of each vertex / blossom at the end, or -1. */
  blossomParent: Int32Array;
}

/** Maximum-weight matching of `graph`. Deterministic: depends only on the edge order. */
export function maxWeightMatching(graph: WeightedGraph, options: MatchingOptions = {}): Matching {
  return new BlossomSolver(graph, options.maxCardinality ?? true, options.warmStart ?? false).solve();
}

/**
 * Doubled slack of edge (i, j, w) under a final dual solution, counting the duals of
 * blossoms that contain both ends. Non-negative for every edge of the graph the matching
 * was computed on; checking it for edges outside that graph certifies optimality there.
 */
export function certifiedSlack(m: Matching, i: number, j: number, w: number): number {
  return dualCertificate(m).slack(i, j, w);
}

/**
 * Slack checker for many pairs: each vertex's chain of enclosing blossoms is listed top
 * down with running sums of their duals, so the blossoms two vertices share are a common
 * prefix of their chains.
 */
export function dualCertificate(m: Matching): {
  slack(i: number, j: number, w: number): number;
  /** Outermost blossom around each vertex, or -1. */
  top: Int32Array;
  /** Twice the dual of that blossom (0 if none). */
  topDual: Float64Array;
} {
  const n = m.mate.length;
  const parent = m.blossomParent;
  const chains: (Int32Array | null)[] = new Array<Int32Array | null>(n).fill(null);
  const sums: (Float64Array | null)[] = new Array<Float64Array | null>(n).fill(null);
  const up: number[] = [];
  const top = new Int32Array(n).fill(-1);
  const topDual = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    if (parent[v] === -1) continue;
    up.length = 0;
    for (let b = parent[v]!; b !== -1; b = parent[b]!) up.push(b);
    const chain = new Int32Array(up.length);
    const sum = new Float64Array(up.length);
    let acc = 0;
    for (let d = 0; d < up.length; d++) {
      const b = up[up.length - 1 - d]!;
      chain[d] = b;
      acc += 2 * m.dual[b]!;
      sum[d] = acc;
    }
    chains[v] = chain;
    sums[v] = sum;
    top[v] = chain[0]!;
    topDual[v] = sum[0]!;
  }
  return {
    top,
    topDual,
    slack(i: number, j: number, w: number): number {
      let s = m.dual[i]! + m.dual[j]! - 2 * w;
      const ci = chains[i] ?? null;
      const cj = chains[j] ?? null;
      if (s >= 0 || ci === null || cj === null) return s;
      let d = 0;
      const len = Math.min(ci.length, cj.length);
      while (d < len && ci[d] === cj[d]) d++;
      if (d > 0) s += sums[i]![d - 1]!;
      return s;
    },
  };
}

const FREE = 0;
const S_LABEL = 1;
const T_LABEL = 2;
const BREADCRUMB = 4;

class BlossomSolver {
  private readonly n: number;
  private readonly m: number;
  private readonly endpoint: Int32Array;
  private readonly w: Float64Array;
  private readonly adjStart: Int32Array;
  /** Remote endpoints of the edges incident to each vertex. */
  private readonly adj: Int32Array;

  private readonly mate: Int32Array;
  private readonly label: Int8Array;
  private readonly labelEnd: Int32Array;
  private readonly inBlossom: Int32Array;
  private readonly parent: Int32Array;
  private readonly childs: (number[] | null)[];
  private readonly endps: (number[] | null)[];
  private readonly base: Int32Array;
  private readonly bestEdge: Int32Array;
  private readonly blossomBest: (number[] | null)[];
  private readonly unused: number[] = [];
  private readonly dual: Float64Array;
  private readonly allowed: Uint8Array;

  private queue: number[] = [];
  /** Vertices / blossoms whose label or best edge changed this stage. */
  private dirty: number[] = [];
  private readonly dirtyStamp: Int32Array;
  private allowedList: number[] = [];
  /** Blossoms (trivial or not) that received a label this stage; may hold stale entries. */
  private tops: number[] = [];
  /** Vertices whose bestEdge was set this stage. */
  private bestV: number[] = [];
  private stage = 0;
  private readonly seen: Int32Array;
  private seenPass = 0;
  private readonly bestTo: Int32Array;
  private readonly leafStack: number[] = [];
  private freeVerts: number[] = [];

  constructor(
    graph: WeightedGraph,
    private readonly maxCardinality: boolean,
    private readonly warmStart: boolean,
  ) {
    const n = graph.n;
    const m = graph.from.length;
    this.n = n;
    this.m = m;
    this.w = graph.weight;
    this.endpoint = new Int32Array(2 * m);
    const degree = new Int32Array(n + 1);
    for (let k = 0; k < m; k++) {
      const i = graph.from[k]!;
      const j = graph.to[k]!;
      if (i === j || i < 0 || j < 0 || i >= n || j >= n) throw new RangeError(`blossom: bad edge ${k} (${i}, ${j})`);
      this.endpoint[2 * k] = i;
      this.endpoint[2 * k + 1] = j;
      degree[i]!++;
      degree[j]!++;
    }
    this.adjStart = new Int32Array(n + 1);
    for (let v = 0; v < n; v++) this.adjStart[v + 1] = this.adjStart[v]! + degree[v]!;
    this.adj = new Int32Array(2 * m);
    const fill = this.adjStart.slice(0, n);
    for (let k = 0; k < m; k++) {
      const i = this.endpoint[2 * k]!;
      const j = this.endpoint[2 * k + 1]!;
      this.adj[fill[i]!++] = 2 * k + 1;
      this.adj[fill[j]!++] = 2 * k;
    }

    this.mate = new Int32Array(n).fill(-1);
    this.label = new Int8Array(2 * n);
    this.labelEnd = new Int32Array(2 * n).fill(-1);
    this.inBlossom = new Int32Array(n);
    for (let v = 0; v < n; v++) this.inBlossom[v] = v;
    this.parent = new Int32Array(2 * n).fill(-1);
    this.childs = new Array<number[] | null>(2 * n).fill(null);
    this.endps = new Array<number[] | null>(2 * n).fill(null);
    this.base = new Int32Array(2 * n).fill(-1);
    for (let v = 0; v < n; v++) this.base[v] = v;
    for (let b = 2 * n - 1; b >= n; b--) this.unused.push(b);
    this.bestEdge = new Int32Array(2 * n).fill(-1);
    this.blossomBest = new Array<number[] | null>(2 * n).fill(null);
    this.dual = new Float64Array(2 * n);
    this.allowed = new Uint8Array(m);
    this.dirtyStamp = new Int32Array(2 * n).fill(-1);
    this.seen = new Int32Array(2 * n);
    this.bestTo = new Int32Array(2 * n).fill(-1);
  }

  solve(): Matching {
    const { n } = this;
    let maxW = 0;
    for (let k = 0; k < this.m; k++) if (this.w[k]! > maxW) maxW = this.w[k]!;
    if (this.warmStart && this.maxCardinality) this.greedyStart();
    else for (let v = 0; v < n; v++) this.dual[v] = maxW;
    for (let v = 0; v < n; v++) if (this.mate[v] === -1) this.freeVerts.push(v);

    while (this.runStage()) {
      // one augmentation per stage
    }

    const mateV = new Int32Array(n).fill(-1);
    let size = 0;
    let weight = 0;
    for (let v = 0; v < n; v++) {
      const p = this.mate[v]!;
      if (p < 0) continue;
      mateV[v] = this.endpoint[p]!;
      if (v < mateV[v]!) {
        size++;
        weight += this.w[p >> 1]!;
      }
    }
    return { mate: mateV, size, weight, dual: this.dual, blossomParent: this.parent };
  }

  /**
   * Duals = heaviest incident edge, then each free vertex lowers its dual to make its
   * cheapest edge tight and takes it when the other end is free. Free vertices end with
   * even duals so that the S-S slacks stay even (integer arithmetic).
   */
  private greedyStart(): void {
    const { n, adj, adjStart, endpoint, dual, w, mate } = this;
    for (let v = 0; v < n; v++) {
      let best = -Infinity;
      for (let a = adjStart[v]!; a < adjStart[v + 1]!; a++) {
        const wk = w[adj[a]! >> 1]!;
        if (wk > best) best = wk;
      }
      dual[v] = best === -Infinity ? 0 : best;
    }
    for (let v = 0; v < n; v++) {
      if (mate[v] !== -1) continue;
      let minSlack = Infinity;
      for (let a = adjStart[v]!; a < adjStart[v + 1]!; a++) {
        const p = adj[a]!;
        const s = dual[v]! + dual[endpoint[p]!]! - 2 * w[p >> 1]!;
        if (s < minSlack) minSlack = s;
      }
      if (minSlack === Infinity) continue;
      dual[v] = dual[v]! - minSlack;
      for (let a = adjStart[v]!; a < adjStart[v + 1]!; a++) {
        const p = adj[a]!;
        const u = endpoint[p]!;
        if (mate[u] === -1 && dual[v]! + dual[u]! - 2 * w[p >> 1]! === 0) {
          mate[v] = p;
          mate[u] = p ^ 1;
          break;
        }
      }
    }
    // Short augmenting paths over tight edges keep every invariant and cost little.
    const stamp = new Int32Array(n).fill(-1);
    for (let v = 0; v < n; v++) if (mate[v] === -1) this.augmentTight(v, v, 3, stamp);
    for (let v = 0; v < n; v++) if (mate[v] === -1 && dual[v]! % 2 !== 0) dual[v] = dual[v]! + 1;
  }

  /**
   * Depth-limited search from free vertex v for an alternating path of tight edges ending
   * at another free vertex; flips it when found. Only simple paths (no blossoms): a cheap
   * pre-pass, the stages do the rest.
   */
  private augmentTight(v: number, root: number, depth: number, stamp: Int32Array): boolean {
    const { adj, adjStart, endpoint, dual, w, mate } = this;
    stamp[v] = root;
    for (let a = adjStart[v]!; a < adjStart[v + 1]!; a++) {
      const p = adj[a]!;
      const u = endpoint[p]!;
      if (stamp[u] === root || dual[v]! + dual[u]! - 2 * w[p >> 1]! !== 0) continue;
      if (mate[u] === -1) {
        mate[v] = p;
        mate[u] = p ^ 1;
        return true;
      }
      if (depth === 0) continue;
      const q = mate[u]!;
      const u2 = endpoint[q]!;
      if (stamp[u2] === root) continue;
      stamp[u] = root;
      if (this.augmentTight(u2, root, depth - 1, stamp)) {
        mate[v] = p;
        mate[u] = p ^ 1;
        return true;
      }
    }
    return false;
  }

  private slack(k: number): number {
    return this.dual[this.endpoint[2 * k]!]! + this.dual[this.endpoint[2 * k + 1]!]! - 2 * this.w[k]!;
  }

  private markDirty(x: number): void {
    if (this.dirtyStamp[x] !== this.stage) {
      this.dirtyStamp[x] = this.stage;
      this.dirty.push(x);
    }
  }

  private allow(k: number): void {
    if (!this.allowed[k]) {
      this.allowed[k] = 1;
      this.allowedList.push(k);
    }
  }

  /** Push the vertices of blossom b onto out. */
  private leaves(b: number, out: number[]): void {
    if (b < this.n) {
      out.push(b);
      return;
    }
    const stack = this.leafStack;
    stack.length = 0;
    stack.push(b);
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x < this.n) out.push(x);
      else for (const c of this.childs[x]!) stack.push(c);
    }
  }

  private assignLabel(v: number, t: number, p: number): void {
    const b = this.inBlossom[v]!;
    this.label[v] = t;
    this.label[b] = t;
    this.labelEnd[v] = p;
    this.labelEnd[b] = p;
    this.bestEdge[v] = -1;
    this.bestEdge[b] = -1;
    this.markDirty(v);
    this.markDirty(b);
    this.tops.push(b);
    if (t === S_LABEL) {
      this.leaves(b, this.queue);
    } else {
      // A T-blossom is always matched through its base; its mate becomes S.
      const mp = this.mate[this.base[b]!]!;
      this.assignLabel(this.endpoint[mp]!, S_LABEL, mp ^ 1);
    }
  }

  /**
   * Walk up the alternating trees from v and w together. Returns the base of the new
   * blossom if they meet, or -1 if they are in different trees (augmenting path).
   */
  private scanBlossom(v: number, w: number): number {
    const { label, labelEnd, inBlossom, endpoint } = this;
    const path: number[] = [];
    let found = -1;
    while (v !== -1 || w !== -1) {
      let b = inBlossom[v]!;
      if (label[b]! & BREADCRUMB) {
        found = this.base[b]!;
        break;
      }
      path.push(b);
      label[b] = S_LABEL | BREADCRUMB;
      if (labelEnd[b] === -1) {
        v = -1; // reached a root
      } else {
        v = endpoint[labelEnd[b]!]!;
        b = inBlossom[v]!;
        v = endpoint[labelEnd[b]!]!; // the T-blossom's parent, an S vertex
      }
      if (w !== -1) {
        const t = v;
        v = w;
        w = t;
      }
    }
    for (const b of path) label[b] = S_LABEL;
    return found;
  }

  /** Make a new S-blossom from the cycle closed by edge k, with base vertex `baseV`. */
  private addBlossom(baseV: number, k: number): void {
    const { inBlossom, labelEnd, endpoint, parent } = this;
    let v = endpoint[2 * k]!;
    let w = endpoint[2 * k + 1]!;
    const bb = inBlossom[baseV]!;
    let bv = inBlossom[v]!;
    let bw = inBlossom[w]!;
    const b = this.unused.pop()!;
    this.base[b] = baseV;
    parent[b] = -1;
    parent[bb] = b;
    // childs[i] and childs[i+1] are joined by endps[i], an endpoint located in childs[i].
    const path: number[] = [];
    const ends: number[] = [];
    while (bv !== bb) {
      parent[bv] = b;
      path.push(bv);
      ends.push(labelEnd[bv]!);
      v = endpoint[labelEnd[bv]!]!;
      bv = inBlossom[v]!;
    }
    path.push(bb);
    path.reverse();
    ends.reverse();
    ends.push(2 * k);
    while (bw !== bb) {
      parent[bw] = b;
      path.push(bw);
      ends.push(labelEnd[bw]! ^ 1);
      w = endpoint[labelEnd[bw]!]!;
      bw = inBlossom[w]!;
    }
    this.childs[b] = path;
    this.endps[b] = ends;
    this.label[b] = S_LABEL;
    this.labelEnd[b] = labelEnd[bb]!;
    this.dual[b] = 0;
    this.markDirty(b);
    this.tops.push(b);

    const leaves: number[] = [];
    this.leaves(b, leaves);
    for (const x of leaves) {
      if (this.label[inBlossom[x]!] === T_LABEL) this.queue.push(x); // T vertices become S
      inBlossom[x] = b;
    }

    // Least-slack edge from the new blossom to every neighbouring S-blossom.
    const bestTo = this.bestTo;
    const hit: number[] = [];
    const consider = (e: number): void => {
      let j = endpoint[2 * e + 1]!;
      if (inBlossom[j] === b) j = endpoint[2 * e]!;
      const bj = inBlossom[j]!;
      if (bj === b || this.label[bj] !== S_LABEL) return;
      const cur = bestTo[bj]!;
      if (cur === -1) {
        bestTo[bj] = e;
        hit.push(bj);
      } else if (this.slack(e) < this.slack(cur)) bestTo[bj] = e;
    };
    const sub: number[] = [];
    for (const c of path) {
      const list = this.blossomBest[c];
      if (list === null || list === undefined) {
        sub.length = 0;
        this.leaves(c, sub);
        for (const x of sub) for (let a = this.adjStart[x]!; a < this.adjStart[x + 1]!; a++) consider(this.adj[a]! >> 1);
      } else {
        for (const e of list) consider(e);
      }
      this.blossomBest[c] = null;
      this.bestEdge[c] = -1;
    }
    const best: number[] = [];
    let bestE = -1;
    let bestSlack = Infinity;
    for (const bj of hit) {
      const e = bestTo[bj]!;
      bestTo[bj] = -1;
      best.push(e);
      const s = this.slack(e);
      if (s < bestSlack) {
        bestSlack = s;
        bestE = e;
      }
    }
    this.blossomBest[b] = best;
    this.bestEdge[b] = bestE;
  }

  private expandBlossom(b0: number, endStage: boolean): void {
    // At the end of a stage, nested zero-dual blossoms dissolve too: a work list, not recursion.
    const work = [b0];
    while (work.length > 0) this.expandOne(work.pop()!, endStage, work);
  }

  private expandOne(b: number, endStage: boolean, work: number[]): void {
    const { n, parent, inBlossom, endpoint, label, labelEnd } = this;
    const ch = this.childs[b]!;
    const ep = this.endps[b]!;
    const sub: number[] = [];
    for (const s of ch) {
      parent[s] = -1;
      if (s < n) inBlossom[s] = s;
      else if (endStage && this.dual[s] === 0) work.push(s);
      else {
        sub.length = 0;
        this.leaves(s, sub);
        for (const x of sub) inBlossom[x] = s;
      }
    }
    if (!endStage && label[b] === T_LABEL) {
      // The blossom sat in a tree as a T-node; keep the even path from the entry child
      // to the base child in the tree, relabelled, and release the other children.
      const len = ch.length;
      const at = (arr: number[], i: number): number => arr[((i % len) + len) % len]!;
      const entry = inBlossom[endpoint[labelEnd[b]! ^ 1]!]!;
      const walk = evenWalk(ch.indexOf(entry), len);
      let j = walk.j;
      const { step, trick } = walk;
      let p = labelEnd[b]!;
      while (j !== 0) {
        const q = at(ep, j - trick) ^ trick; // matched edge from child j to child j+step, at child j
        label[endpoint[p ^ 1]!] = FREE;
        label[endpoint[q ^ 1]!] = FREE;
        this.assignLabel(endpoint[p ^ 1]!, T_LABEL, p);
        this.allow(q >> 1);
        j += step;
        p = at(ep, j - trick) ^ trick;
        this.allow(p >> 1);
        j += step;
      }
      const bv = at(ch, 0);
      const x = endpoint[p ^ 1]!;
      label[x] = T_LABEL;
      label[bv] = T_LABEL;
      labelEnd[x] = p;
      labelEnd[bv] = p;
      this.bestEdge[bv] = -1;
      this.markDirty(x);
      this.markDirty(bv);
      this.tops.push(bv);
      j += step;
      while (at(ch, j) !== entry) {
        const c = at(ch, j);
        j += step;
        if (label[c] === S_LABEL) continue; // got S through its mate meanwhile
        sub.length = 0;
        this.leaves(c, sub);
        const reached = sub.find((y) => label[y] !== FREE);
        if (reached !== undefined) {
          label[reached] = FREE;
          label[endpoint[this.mate[this.base[c]!]!]!] = FREE;
          this.assignLabel(reached, T_LABEL, labelEnd[reached]!);
        }
      }
    }
    label[b] = FREE;
    labelEnd[b] = -1;
    this.childs[b] = null;
    this.endps[b] = null;
    this.base[b] = -1;
    this.blossomBest[b] = null;
    this.bestEdge[b] = -1;
    this.unused.push(b);
  }

  /** Swap matched and unmatched edges inside blossom b so that vertex v becomes its base. */
  private augmentBlossom(b0: number, v0: number): void {
    // Nested blossoms can be deep: an explicit work list instead of recursion. The
    // sub-blossom tasks touch disjoint parts of the structure, so their order is free.
    const tasks = [b0, v0];
    while (tasks.length > 0) {
      const v = tasks.pop()!;
      const b = tasks.pop()!;
      this.augmentOne(b, v, tasks);
    }
  }

  private augmentOne(b: number, v: number, tasks: number[]): void {
    const { n, parent, endpoint, mate } = this;
    let t = v;
    while (parent[t] !== b) t = parent[t]!;
    if (t >= n) tasks.push(t, v);
    const ch = this.childs[b]!;
    const ep = this.endps[b]!;
    const len = ch.length;
    const at = (arr: number[], i: number): number => arr[((i % len) + len) % len]!;
    const i = ch.indexOf(t);
    const walk = evenWalk(i, len);
    let j = walk.j;
    const { step, trick } = walk;
    while (j !== 0) {
      j += step;
      let c = at(ch, j);
      const p = at(ep, j - trick) ^ trick;
      if (c >= n) tasks.push(c, endpoint[p]!);
      j += step;
      c = at(ch, j);
      if (c >= n) tasks.push(c, endpoint[p ^ 1]!);
      mate[endpoint[p]!] = p ^ 1;
      mate[endpoint[p ^ 1]!] = p;
    }
    this.childs[b] = ch.slice(i).concat(ch.slice(0, i));
    this.endps[b] = ep.slice(i).concat(ep.slice(0, i));
    this.base[b] = v;
  }

  /** Augment along the path through edge k, which joins two different trees. */
  private augmentMatching(k: number): void {
    const { n, endpoint, inBlossom, labelEnd, mate } = this;
    for (const [s0, p0] of [
      [endpoint[2 * k]!, 2 * k + 1],
      [endpoint[2 * k + 1]!, 2 * k],
    ] as const) {
      let s = s0;
      let p = p0;
      for (;;) {
        const bs = inBlossom[s]!;
        if (bs >= n) this.augmentBlossom(bs, s);
        mate[s] = p;
        if (labelEnd[bs] === -1) break; // root: was free
        const t = endpoint[labelEnd[bs]!]!;
        const bt = inBlossom[t]!;
        s = endpoint[labelEnd[bt]!]!;
        const j = endpoint[labelEnd[bt]! ^ 1]!;
        if (bt >= n) this.augmentBlossom(bt, j);
        mate[j] = labelEnd[bt]!;
        p = labelEnd[bt]! ^ 1;
      }
    }
  }

  /** Forget the labels, best edges and allowed edges of the previous stage. */
  private resetStage(): void {
    const { n, label, bestEdge } = this;
    for (const x of this.dirty) {
      label[x] = FREE;
      bestEdge[x] = -1;
      if (x >= n) this.blossomBest[x] = null;
    }
    for (const k of this.allowedList) this.allowed[k] = 0;
    this.stage++;
    this.dirty = [];
    this.allowedList = [];
    this.tops = [];
    this.bestV = [];
    this.queue = [];
  }

  /** One stage: grow alternating trees from all free vertices until one augmentation. */
  private runStage(): boolean {
    const { label, inBlossom } = this;
    this.resetStage();
    const stillFree: number[] = [];
    for (const v of this.freeVerts) {
      if (this.mate[v] !== -1) continue;
      stillFree.push(v);
      if (label[inBlossom[v]!] === FREE) this.assignLabel(v, S_LABEL, -1);
    }
    this.freeVerts = stillFree;
    // Nothing left to augment (a lone free vertex has nobody to meet).
    if (stillFree.length < 2) return false;
    return this.search();
  }

  /** Grow the labelled trees, changing duals as needed, until an augmentation or no progress. */
  private search(): boolean {
    const { n, label, inBlossom, bestEdge, endpoint, adj, adjStart, parent, base, dual } = this;
    for (;;) {
      while (this.queue.length > 0) {
        const v = this.queue.pop()!;
        for (let a = adjStart[v]!; a < adjStart[v + 1]!; a++) {
          const p = adj[a]!;
          const k = p >> 1;
          const w = endpoint[p]!;
          if (inBlossom[v] === inBlossom[w]) continue;
          let kslack = 0;
          if (!this.allowed[k]) {
            kslack = this.slack(k);
            if (kslack <= 0) this.allow(k);
          }
          if (this.allowed[k]) {
            const bw = inBlossom[w]!;
            if (label[bw] === FREE) {
              this.assignLabel(w, T_LABEL, p ^ 1);
            } else if (label[bw] === S_LABEL) {
              const b = this.scanBlossom(v, w);
              if (b >= 0) this.addBlossom(b, k);
              else {
                this.augmentMatching(k);
                this.endStage();
                return true;
              }
            } else if (label[w] === FREE) {
              // w sits inside a T-blossom and was not reached yet; remember how, for expansion.
              label[w] = T_LABEL;
              this.labelEnd[w] = p ^ 1;
              this.markDirty(w);
            }
          } else if (label[inBlossom[w]!] === S_LABEL) {
            const b = inBlossom[v]!;
            if (bestEdge[b] === -1 || kslack < this.slack(bestEdge[b]!)) bestEdge[b] = k;
          } else if (label[w] === FREE) {
            if (bestEdge[w] === -1 || kslack < this.slack(bestEdge[w]!)) {
              if (bestEdge[w] === -1) this.bestV.push(w);
              bestEdge[w] = k;
              this.markDirty(w);
            }
          }
        }
      }

      // No tight edge left to follow: change the duals.
      let deltaType = -1;
      let delta = 0;
      let deltaEdge = -1;
      let deltaBlossom = -1;
      if (!this.maxCardinality) {
        // Free vertices share the smallest dual; it may drop to zero (stop: optimum).
        deltaType = 1;
        delta = Infinity;
        for (const v of this.freeVerts) if (dual[v]! < delta) delta = dual[v]!;
      }
      for (const v of this.bestV) {
        const e = bestEdge[v]!;
        if (e !== -1 && label[inBlossom[v]!] === FREE) {
          const d = this.slack(e);
          if (deltaType === -1 || d < delta) {
            delta = d;
            deltaType = 2;
            deltaEdge = e;
          }
        }
      }
      const pass = ++this.seenPass;
      for (const b of this.tops) {
        if (this.seen[b] === pass) continue;
        this.seen[b] = pass;
        if (parent[b] !== -1 || base[b]! < 0) continue;
        if (label[b] === S_LABEL && bestEdge[b] !== -1) {
          const d = this.slack(bestEdge[b]!) / 2;
          if (deltaType === -1 || d < delta) {
            delta = d;
            deltaType = 3;
            deltaEdge = bestEdge[b]!;
          }
        } else if (label[b] === T_LABEL && b >= n) {
          const d = dual[b]!;
          if (deltaType === -1 || d < delta) {
            delta = d;
            deltaType = 4;
            deltaBlossom = b;
          }
        }
      }
      if (deltaType === -1) return false; // no augmenting path left: maximum cardinality

      const upd = ++this.seenPass;
      const leaves: number[] = [];
      for (const b of this.tops) {
        if (this.seen[b] === upd) continue;
        this.seen[b] = upd;
        if (parent[b] !== -1 || base[b]! < 0) continue;
        const lb = label[b];
        if (lb !== S_LABEL && lb !== T_LABEL) continue;
        const sign = lb === S_LABEL ? -1 : 1;
        if (b < n) dual[b] = dual[b]! + sign * delta;
        else {
          dual[b] = dual[b]! - sign * delta;
          leaves.length = 0;
          this.leaves(b, leaves);
          for (const x of leaves) dual[x] = dual[x]! + sign * delta;
        }
      }

      if (deltaType === 1) return false; // free duals reached zero: optimum (max-weight mode)
      if (deltaType === 2) {
        this.allow(deltaEdge);
        let i = endpoint[2 * deltaEdge]!;
        if (label[inBlossom[i]!] === FREE) i = endpoint[2 * deltaEdge + 1]!;
        this.queue.push(i);
      } else if (deltaType === 3) {
        this.allow(deltaEdge);
        this.queue.push(endpoint[2 * deltaEdge]!);
      } else {
        this.expandBlossom(deltaBlossom, false);
      }
    }
  }

  /** After an augmentation, S-blossoms whose dual dropped to zero are dissolved. */
  private endStage(): void {
    const pass = ++this.seenPass;
    for (const b of this.tops) {
      if (this.seen[b] === pass) continue;
      this.seen[b] = pass;
      if (b >= this.n && this.parent[b] === -1 && this.base[b]! >= 0 && this.label[b] === S_LABEL && this.dual[b] === 0) {
        this.expandBlossom(b, true);
      }
    }
  }
}

/**
 * From child `i` of a blossom to its base (child 0) the path must have even length:
 * forwards when `i` is odd (index shifted by -len so the walk ends at 0), backwards otherwise.
 */
function evenWalk(i: number, len: number): { j: number; step: number; trick: number } {
  return i & 1 ? { j: i - len, step: 1, trick: 0 } : { j: i, step: -1, trick: 1 };
}
