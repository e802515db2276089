import type { MatchRequest, MatchResult } from '../matching-types.js';
import { formLargeGroups } from './groups.js';
import { buildModel, type PairModel } from './model.js';
import { type Pairing, pairUp, spareRuleFor } from './pairs.js';
import { pairingMethod, TRIO_PASSES } from './strategy.js';

export type { MatchRequest, MatchResult } from '../matching-types.js';
export { computeGroupSizes } from './groups.js';

/**
 * Form this round's groups. Pure and deterministic: the only randomness is `req.random`.
 *
 * Objective, in priority order: never group an avoided pair or anyone twice; place
 * everyone (odd count: one trio, or one sitter chosen by fewest sit-outs then oldest last
 * sit-out); avoid repeats, preferring partners met longest ago; preferred pairs, shared
 * working hours, the attribute rule; then the seed decides between equals.
 *
 * Pairs (k = 2) are a maximum-weight matching of a sparse candidate graph (Edmonds'
 * blossom; greedy + 2-opt for large communities); larger groups are filled by
 * successive matchings and improved by member swaps (see groups.ts). Which path runs,
 * and the effort each may spend, is decided in strategy.ts.
 */
export function formGroups(req: MatchRequest): MatchResult {
  const model = buildModel(req);
  const k = Number.isFinite(req.groupSize) ? Math.max(2, Math.floor(req.groupSize)) : 2;
  if (model.n === 0) return { groups: [], satOut: [], unpaired: [] };
  if (k === 2) return formPairs(model, req);
  const { groups, unplaced } = formLargeGroups(model, k);
  return finish(model, groups, [], unplaced);
}

function formPairs(model: PairModel, req: MatchRequest): MatchResult {
  const n = model.n;
  if (n === 1) return req.odd === 'sit-out' ? finish(model, [], [0], []) : finish(model, [], [], [0]);
  const pairing = pairUp(model, spareRuleFor(model, req), pairingMethod(n));
  return assemble(model, req, pairing);
}

/** Turn a pairing into groups: the spare sits out or joins a trio; others left single join a pair if they can. */
function assemble(model: PairModel, req: MatchRequest, pairing: Pairing): MatchResult {
  const n = model.n;
  const groups: number[][] = [];
  const groupOf = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    const u = pairing.mate[v]!;
    if (u > v) {
      groupOf[v] = groupOf[u] = groups.length;
      groups.push([v, u]);
    }
  }
  const satOut: number[] = [];
  const loose: number[] = [];
  if (pairing.spare >= 0) (req.odd === 'sit-out' ? satOut : loose).push(pairing.spare);
  for (let v = 0; v < n; v++) if (pairing.mate[v] === -1 && v !== pairing.spare) loose.push(v);

  const unpaired: number[] = [];
  for (const v of loose) {
    if (req.odd === 'sit-out' && v !== pairing.spare) {
      unpaired.push(v); // constraints, not the rotation, left them out
      continue;
    }
    const target = bestGroupFor(model, v, groups, 2);
    if (target === -1) unpaired.push(v);
    else {
      groups[target]!.push(v);
      groupOf[v] = target;
    }
  }
  improveTrios(model, groups);
  return finish(model, groups, satOut, unpaired);
}

/** The group of at most `maxSize` members where v adds the most gain, or -1 if v avoids someone in every one. */
function bestGroupFor(model: PairModel, v: number, groups: number[][], maxSize: number): number {
  let best = -1;
  let bestGain = -Infinity;
  for (let gi = 0; gi < groups.length; gi++) {
    const grp = groups[gi]!;
    if (grp.length > maxSize) continue;
    let s = 0;
    for (const u of grp) {
      s += model.allowedGain(u, v);
      if (s === -Infinity) break;
    }
    if (s > bestGain) {
      bestGain = s;
      best = gi;
    }
  }
  return best;
}

/**
 * A trio and any pair hold five people; re-split them into a trio and a pair when another
 * split gains more (e.g. a trio member has met someone). Repeats until stable.
 */
function improveTrios(model: PairModel, groups: number[][]): void {
  const score = (members: number[]): number => {
    let s = 0;
    for (let i = 0; i < members.length; i++)
      for (let j = i + 1; j < members.length; j++) {
        s += model.allowedGain(members[i]!, members[j]!);
        if (s === -Infinity) return s;
      }
    return s;
  };
  for (let ti = 0; ti < groups.length; ti++) {
    if (groups[ti]!.length !== 3) continue;
    for (let pass = 0; pass < TRIO_PASSES; pass++) {
      let changed = false;
      for (let pi = 0; pi < groups.length; pi++) {
        const pair = groups[pi]!;
        if (pair.length !== 2) continue;
        const five = [...groups[ti]!, ...pair];
        let bestScore = score(groups[ti]!) + score(pair);
        let bestSplit: [number, number] | null = null;
        for (let a = 0; a < 5; a++)
          for (let b = a + 1; b < 5; b++) {
            const p = [five[a]!, five[b]!];
            const t = five.filter((_, i) => i !== a && i !== b);
            const s = score(p) + score(t);
            if (s > bestScore) {
              bestScore = s;
              bestSplit = [a, b];
            }
          }
        if (bestSplit) {
          const [a, b] = bestSplit;
          groups[pi] = [five[a]!, five[b]!];
          groups[ti] = five.filter((_, i) => i !== a && i !== b);
          changed = true;
        }
      }
      if (!changed) break;
    }
  }
}

/** Vertex indices to ids, in a canonical order (members and groups sorted by id). */
function finish(model: PairModel, groups: number[][], satOut: number[], unpaired: number[]): MatchResult {
  const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const toIds = (vs: number[]): string[] => vs.map((v) => model.id(v)).sort(byId);
  const out = groups.filter((g) => g.length > 0).map(toIds);
  out.sort((a, b) => byId(a[0]!, b[0]!));
  return { groups: out, satOut: toIds(satOut), unpaired: toIds(unpaired) };
}
