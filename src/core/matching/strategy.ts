/**
 * Which path the engine takes, and how much effort each path may spend. Every threshold
 * of the matching engine lives here, with what it was measured against; the figures come
 * from `npm run bench` (bench/engine.ts) and from its scenarios re-run with the value
 * changed, on a 2-core machine.
 *
 * Pairs (k = 2):
 *   n ≤ FULL_SCAN_MAX       blossom on a sparse graph chosen from a scan of everyone, then
 *                           certified optimal on the complete graph (dual slack check);
 *   n ≤ BLOSSOM_MAX         blossom on a sampled sparse graph (not certified);
 *   n > BLOSSOM_MAX         greedy matching + 2-opt on the sampled sparse graph.
 * Groups (k ≥ 3): layer-by-layer bipartite matchings (blossom while the layer has at most
 * BLOSSOM_MAX vertices), then member swaps within SEARCH_BUDGET; then (groupSearch) up to
 * FLEXIBLE_SEARCH_MAX members a tabu search over all swaps that also keeps later rounds
 * open, up to FULL_NEIGHBOURHOOD_MAX one on the members in repeated pairs.
 */

/**
 * Up to this many candidates, each member's candidates come from a scan of everyone and the
 * matching is certified optimal on the complete graph (quadratic time, linear memory):
 * about 0.3 s at 1,200 members, the point where the scan starts to dominate the matching.
 */
export const FULL_SCAN_MAX = 1200;

/**
 * Certification rounds: each adds the pairs whose dual slack is negative to the sparse graph
 * and re-runs the blossom warm; the pairing is certified when a round finds none. The
 * benchmark's requests needed at most 2 (n = 1,000 with history; 200 members × 199 rounds).
 */
export const CERTIFY_ROUNDS = 4;

/**
 * When the sparse graph leaves members unmatched (avoids, history), up to THIN_GRAPH_MEMBERS
 * of them get an edge to everyone, for up to THIN_GRAPH_ROUNDS rounds: at most 2 × 64 × n
 * extra edges. No benchmark request needed a round; the engine test of a graph too thin
 * (70 members, most avoiding all but hubs and one fellow) needs one, for up to 10 members.
 */
export const THIN_GRAPH_ROUNDS = 2;
export const THIN_GRAPH_MEMBERS = 64;

/**
 * Above this many candidates the blossom gives way to greedy + 2-opt. The blossom takes
 * 0.2–0.4 s at 5,000 but 1–5 s at 10,000, while greedy + 2-opt takes 0.25 s there and loses
 * only soft-preference points (no extra repeats) against it.
 */
export const BLOSSOM_MAX = 5000;

/** 2-opt passes of greedy + 2-opt; the benchmark's requests at 10,000 and 100,000 settle after 3. */
export const TWO_OPT_PASSES = 8;

/**
 * Sparse candidate graph: each member's best partners by gain, plus random ones so the
 * matching can escape a locally good but globally poor choice. 8 + 2 per member gave the
 * same repeats as the complete graph in every benchmark scenario up to FULL_SCAN_MAX.
 */
export const BEST_PER_MEMBER = 8;
export const RANDOM_PER_MEMBER = 2;

/**
 * Large communities (n > FULL_SCAN_MAX): partners sampled per member instead of a scan,
 * plus samples from the member's working-hours bucket and attribute bucket, so soft
 * preferences still find their matches without quadratic work. On the bench's synthetic
 * communities with 52 rounds of history, 24 + 8 gave the best pairing at 5,000 and 10,000
 * members: 12 + 4 scored 19 and 331 soft-preference points less, 48 + 16 scored 7 and 9 less
 * (at 2,000, 12 + 4 scored 12 more); the repeats were the same in all three.
 */
export const SAMPLED_PER_MEMBER = 24;
export const BUCKET_SAMPLES = 8;

/**
 * Local search for groups of three or more, in pair-gain evaluations: bounds the time on
 * any input (about 1 s at 10,000 members) while reaching zero repeats whenever the
 * benchmark's history allows it.
 */
export const SEARCH_BUDGET = 6_000_000;
/**
 * Descent passes of member swaps. 200 members in groups of 4 over 52 rounds needed up to 6
 * (2 rounds of 52 used the sixth); the searches of groupSearch continue from there. At 10,000
 * members SEARCH_BUDGET ends the first pass.
 */
export const SWAP_PASSES = 6;
/**
 * Up to this many members (and above FLEXIBLE_SEARCH_MAX), a member in a repeated pair is
 * tried against everyone, with tabu search. Measured when it also covered 200 members: the
 * bench's 200 in groups of 4 over 52 rounds ended with 19 repeats with it and 141 without.
 * Raising it to 1,200 changed nothing measured (600 members × 52 rounds: 0 repeats either
 * way; 1,000 members with 150 rounds of history: 1 either way): 600 caps the scans of
 * everyone, it is not a tuned optimum.
 */
export const FULL_NEIGHBOURHOOD_MAX = 600;
/**
 * Above that, random swap partners tried per member besides its candidates' groups. 0, 12
 * and 24 gave the same repeats in every case measured (1,000 members with 150 rounds of
 * history: 1; 3,000 with 400: 2; 10,000 with 12: 0): not shown to matter, and cheap.
 */
export const RANDOM_SWAP_PARTNERS = 12;

/**
 * Up to this many members, groups of three or more finish with keepFutureRoundsOpen's
 * search instead of the tabu search on repeated pairs: it finds rounds of equal gain that
 * leave the next rounds more repeat-free groups. Over rounds chosen one at a time (groups
 * of 4, means of 9 seeds) it cut the repeats of 32 members × 10 rounds from 34.3 to 29.2,
 * 45 × 11 from 10.4 to 3.1, and 20 × 5 from 4.2 to 0; 30 × 14 in groups of 3 from 15.8 to
 * 10.3; 128 × 42 from 364 to 255 (2 seeds) and the bench's 200 × 52 from 19 to 14. It costs
 * 0.1–0.3 s a round at 200–256 members (the tabu search: 5–80 ms), 50 ms at 32 (the tabu
 * search, busy with unavoidable repeats: 400 ms).
 */
const FLEXIBLE_SEARCH_MAX = 256;
/**
 * Iterations (one best swap each) of that search. 32 members × 10 rounds in groups of 4,
 * mean of 9 seeds: 200 gave 30.2 repeats, 1,000 29.2, 2,000 29.1, 5,000 29.2.
 */
export const FLEXIBLE_SEARCH_ITERATIONS = 1000;
/**
 * Swap evaluations of that search in one round (each O(1)): fewer iterations from 110
 * members up, about 0.1 s. 200 members get 301 iterations: 14 repeats over the bench's
 * 52 rounds; 1,000 iterations gave 8 in 2.5 times the time.
 */
export const FLEXIBLE_SEARCH_BUDGET = 6_000_000;

export type GroupSearch = 'flexible' | 'repeats-tabu' | 'descent';

/** The local search for groups of three or more among n members. */
export function groupSearch(n: number): GroupSearch {
  return n <= FLEXIBLE_SEARCH_MAX ? 'flexible' : n <= FULL_NEIGHBOURHOOD_MAX ? 'repeats-tabu' : 'descent';
}

/**
 * Odd count with a trio: passes re-splitting the trio and each pair into a better trio and
 * pair. Simulated rounds used at most 3 (41 members × 52 rounds, where repeats are unavoidable).
 */
export const TRIO_PASSES = 4;

/**
 * Members left over after the matching (no partner, or a group short of one) take the best of
 * the next this-many left-over members rather than all of them, so the fill stays linear in n.
 * Only members the matching could not place come here.
 */
export const LEFTOVER_WINDOW = 64;

export type PairingMethod = 'blossom' | 'greedy-2opt';

/** The pairing algorithm for n candidates. */
export function pairingMethod(n: number): PairingMethod {
  return n > BLOSSOM_MAX ? 'greedy-2opt' : 'blossom';
}
