import { describe, expect, it } from 'vitest';
import { certifiedSlack, maxWeightMatching, type WeightedGraph } from '../../../src/core/matching/blossom.js';
import { seededRandom } from '../../../src/core/random.js';

function graphOf(n: number, edges: [number, number, number][]): WeightedGraph {
  return {
    n,
    from: Int32Array.from(edges.map((e) => e[0])),
    to: Int32Array.from(edges.map((e) => e[1])),
    weight: Float64Array.from(edges.map((e) => e[2])),
  };
}

/** Exhaustive search: best (cardinality, weight) or best weight over all matchings. */
function bruteForce(n: number, edges: [number, number, number][], maxCard: boolean): { size: number; weight: number } {
  const adj: { u: number; w: number }[][] = Array.from({ length: n }, () => []);
  for (const [i, j, w] of edges) {
    adj[i]!.push({ u: j, w });
    adj[j]!.push({ u: i, w });
  }
  const used = new Array<boolean>(n).fill(false);
  let best = { size: -1, weight: -Infinity };
  const better = (s: number, w: number): boolean => (maxCard ? s > best.size || (s === best.size && w > best.weight) : w > best.weight);
  const go = (v: number, size: number, weight: number): void => {
    while (v < n && used[v]) v++;
    if (v >= n) {
      if (better(size, weight)) best = { size, weight };
      return;
    }
    used[v] = true;
    go(v + 1, size, weight); // v stays single
    for (const { u, w } of adj[v]!) {
      if (used[u]) continue;
      used[u] = true;
      go(v + 1, size + 1, weight + w);
      used[u] = false;
    }
    used[v] = false;
  };
  go(0, 0, 0);
  return best;
}

function randomGraph(rnd: () => number, n: number, density: number, wMin: number, wMax: number): [number, number, number][] {
  const edges: [number, number, number][] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (rnd() < density) {
        const e: [number, number, number] = [i, j, wMin + Math.floor(rnd() * (wMax - wMin + 1))];
        edges.push(rnd() < 0.5 ? e : [j, i, e[2]]);
      }
  // shuffle edge order so that the algorithm sees edges in arbitrary order
  for (let k = edges.length - 1; k > 0; k--) {
    const r = Math.floor(rnd() * (k + 1));
    [edges[k], edges[r]] = [edges[r]!, edges[k]!];
  }
  return edges;
}

function checkValid(n: number, edges: [number, number, number][], mate: Int32Array): void {
  const has = new Set(edges.map(([i, j]) => `${Math.min(i, j)}-${Math.max(i, j)}`));
  for (let v = 0; v < n; v++) {
    const u = mate[v]!;
    if (u === -1) continue;
    expect(mate[u]).toBe(v);
    expect(has.has(`${Math.min(u, v)}-${Math.max(u, v)}`)).toBe(true);
  }
}

describe('maxWeightMatching (blossom) against exhaustive search', () => {
  it('handles trivial graphs', () => {
    expect(maxWeightMatching(graphOf(0, [])).size).toBe(0);
    expect(maxWeightMatching(graphOf(3, [])).mate).toEqual(Int32Array.from([-1, -1, -1]));
    const one = maxWeightMatching(graphOf(2, [[0, 1, 5]]));
    expect(Array.from(one.mate)).toEqual([1, 0]);
    expect(one.weight).toBe(5);
  });

  it('prefers weight over cardinality only when asked', () => {
    // path 0-1-2-3 with a heavy middle edge
    const edges: [number, number, number][] = [
      [0, 1, 2],
      [1, 2, 10],
      [2, 3, 2],
    ];
    expect(maxWeightMatching(graphOf(4, edges), { maxCardinality: false }).weight).toBe(10);
    const mc = maxWeightMatching(graphOf(4, edges), { maxCardinality: true });
    expect(mc.size).toBe(2);
    expect(mc.weight).toBe(4);
  });

  it('solves the classic nested-blossom cases', () => {
    // Blossom with an S-blossom that must be relabelled, and a T-blossom expansion
    // (fixtures from the literature on Galil's algorithm).
    const cases: { n: number; edges: [number, number, number][] }[] = [
      {
        n: 5,
        edges: [
          [1, 2, 8],
          [1, 3, 9],
          [2, 3, 10],
          [3, 4, 7],
        ],
      },
      {
        n: 7,
        edges: [
          [1, 2, 8],
          [1, 3, 9],
          [2, 3, 10],
          [3, 4, 7],
          [1, 6, 5],
          [4, 5, 6],
        ],
      },
      {
        n: 9,
        edges: [
          [1, 2, 23],
          [1, 5, 22],
          [1, 6, 15],
          [2, 3, 25],
          [3, 4, 22],
          [4, 5, 25],
          [4, 8, 14],
          [5, 7, 13],
        ],
      },
      {
        n: 9,
        edges: [
          [1, 2, 19],
          [1, 3, 20],
          [1, 8, 8],
          [2, 3, 25],
          [2, 4, 18],
          [3, 5, 18],
          [4, 5, 13],
          [4, 7, 7],
          [5, 6, 7],
        ],
      },
      {
        n: 11,
        edges: [
          [1, 2, 45],
          [1, 5, 45],
          [2, 3, 50],
          [3, 4, 45],
          [4, 5, 50],
          [1, 6, 30],
          [3, 9, 35],
          [4, 8, 35],
          [5, 7, 26],
          [9, 10, 5],
        ],
      },
    ];
    for (const c of cases) {
      const exact = bruteForce(c.n, c.edges, false);
      const got = maxWeightMatching(graphOf(c.n, c.edges), { maxCardinality: false });
      checkValid(c.n, c.edges, got.mate);
      expect(got.weight).toBe(exact.weight);
    }
  });

  it('matches exhaustive search on 600 random small graphs (max weight)', () => {
    const rnd = seededRandom(12345);
    for (let t = 0; t < 600; t++) {
      const n = 1 + Math.floor(rnd() * 11);
      const edges = randomGraph(rnd, n, 0.2 + rnd() * 0.8, 1, t % 3 === 0 ? 3 : 40);
      const exact = bruteForce(n, edges, false);
      const got = maxWeightMatching(graphOf(n, edges), { maxCardinality: false });
      checkValid(n, edges, got.mate);
      expect({ t, weight: got.weight }).toEqual({ t, weight: exact.weight });
    }
  });

  it('matches exhaustive search on 600 random small graphs (max cardinality, then weight)', () => {
    const rnd = seededRandom(777);
    for (let t = 0; t < 600; t++) {
      const n = 1 + Math.floor(rnd() * 11);
      const edges = randomGraph(rnd, n, 0.15 + rnd() * 0.6, t % 4 === 0 ? -20 : 1, 30);
      const exact = bruteForce(n, edges, true);
      const got = maxWeightMatching(graphOf(n, edges), { maxCardinality: true });
      checkValid(n, edges, got.mate);
      expect({ t, size: got.size, weight: got.weight }).toEqual({ t, size: exact.size, weight: exact.weight });
    }
  });

  it('warm start finds the same optimum whenever the matching is perfect, with a valid certificate', () => {
    const rnd = seededRandom(4242);
    let perfect = 0;
    for (let t = 0; t < 600; t++) {
      const n = 2 * (1 + Math.floor(rnd() * 6));
      const edges = randomGraph(rnd, n, 0.3 + rnd() * 0.7, 1, t % 2 === 0 ? 4 : 100);
      const exact = bruteForce(n, edges, true);
      const got = maxWeightMatching(graphOf(n, edges), { maxCardinality: true, warmStart: true });
      checkValid(n, edges, got.mate);
      expect(got.size).toBe(exact.size);
      if (got.size * 2 === n) {
        perfect++;
        expect({ t, weight: got.weight }).toEqual({ t, weight: exact.weight });
        for (const [i, j, w] of edges) expect(certifiedSlack(got, i, j, w)).toBeGreaterThanOrEqual(0);
        for (let v = 0; v < n; v++) {
          const u = got.mate[v]!;
          const e = edges.find(([a, b]) => (a === v && b === u) || (a === u && b === v))!;
          expect(certifiedSlack(got, v, u, e[2])).toBe(0);
        }
      }
    }
    expect(perfect).toBeGreaterThan(300);
  });

  it('solves larger sparse random graphs consistently in both start modes', () => {
    const rnd = seededRandom(99);
    for (let t = 0; t < 20; t++) {
      const n = 200 + Math.floor(rnd() * 200);
      const edges: [number, number, number][] = [];
      const seen = new Set<string>();
      for (let i = 0; i < n; i++)
        for (let d = 0; d < 6; d++) {
          const j = Math.floor(rnd() * n);
          const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
          if (i === j || seen.has(key)) continue;
          seen.add(key);
          edges.push([i, j, 1 + Math.floor(rnd() * 1000)]);
        }
      const cold = maxWeightMatching(graphOf(n, edges), { maxCardinality: true });
      const warm = maxWeightMatching(graphOf(n, edges), { maxCardinality: true, warmStart: true });
      checkValid(n, edges, cold.mate);
      checkValid(n, edges, warm.mate);
      expect(warm.size).toBe(cold.size);
      if (cold.size * 2 === n) expect(warm.weight).toBe(cold.weight);
      // the cold certificate holds on every edge
      for (const [i, j, w] of edges) expect(certifiedSlack(cold, i, j, w)).toBeGreaterThanOrEqual(0);
    }
  });
});
