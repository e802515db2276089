import type { MatchRequest, MatchResult } from '../matching-types.js';

export type { MatchRequest, MatchResult } from '../matching-types.js';

const pairKey = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/**
 * v1 engine: seeded shuffle, then greedy pairing by lowest recency cost.
 * Replaced by maximum-weight matching in the engine work (issue 3); same contract.
 */
export function formGroups(req: MatchRequest): MatchResult {
  const avoid = new Set(req.avoid.map(([a, b]) => pairKey(a, b)));
  const prefer = new Set(req.prefer.map(([a, b]) => pairKey(a, b)));
  const cost = new Map<string, number>();
  for (const m of req.history) {
    const k = pairKey(m.a, m.b);
    cost.set(k, (cost.get(k) ?? 0) + 1 / (1 + m.age));
  }
  const ids = req.candidates.map((c) => c.id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(req.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  const satOut: string[] = [];
  if (req.odd === 'sit-out' && ids.length % 2 === 1) {
    const byId = new Map(req.candidates.map((c) => [c.id, c]));
    const order = [...ids].sort((x, y) => {
      const a = byId.get(x)!;
      const b = byId.get(y)!;
      return a.sitOuts - b.sitOuts || (a.lastSatOut ?? -Infinity) - (b.lastSatOut ?? -Infinity);
    });
    satOut.push(order[0]!);
    ids.splice(ids.indexOf(order[0]!), 1);
  }
  const free = new Set(ids);
  const groups: string[][] = [];
  const unpaired: string[] = [];
  for (const [a, b] of req.prefer) {
    if (free.has(a) && free.has(b) && !avoid.has(pairKey(a, b))) {
      free.delete(a);
      free.delete(b);
      groups.push([a, b]);
    }
  }
  for (const a of ids) {
    if (!free.has(a)) continue;
    free.delete(a);
    let best: string | undefined;
    let bestCost = Infinity;
    for (const b of free) {
      const k = pairKey(a, b);
      if (avoid.has(k)) continue;
      const c = prefer.has(k) ? -1 : (cost.get(k) ?? 0);
      if (c < bestCost) {
        bestCost = c;
        best = b;
      }
    }
    if (best === undefined) unpaired.push(a);
    else {
      free.delete(best);
      groups.push([a, best]);
    }
  }
  // Odd one out joins the group where it repeats least (triad), respecting avoids.
  for (const lone of [...unpaired]) {
    const target = groups.find((g) => g.length < req.groupSize + 1 && g.every((x) => !avoid.has(pairKey(x, lone))));
    if (target) {
      target.push(lone);
      unpaired.splice(unpaired.indexOf(lone), 1);
    }
  }
  return { groups, satOut, unpaired };
}
