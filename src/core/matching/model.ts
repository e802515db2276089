import type { Candidate, MatchRequest } from '../matching-types.js';

/**
 * The scoring model: how much the engine gains from putting two candidates together.
 *
 * Gains are small integers on purpose. Preferences and time zones come in a few coarse
 * levels so that many pairs tie; ties make the blossom's greedy start cover most of the
 * graph (an order of magnitude faster on large communities than finely graded weights),
 * and the seeded vertex order decides between equals. Levels, in priority order:
 *
 * - `prefer`: a preferred pair still waiting to meet outweighs any repeat penalty;
 * - repeats: every past meeting costs `REPEAT_COST × (1 + 24 / (age + 1)²)`: a floor that
 *   no age removes (no cap lets repeats back in, and fewer repeats always win among
 *   equally old ones) plus a recency term that makes a partner met last round cost far
 *   more than one met ten rounds ago (7 × vs 1.2 × the floor), so the oldest go first;
 * - working-hours overlap: one point per shared hour of 09:00–17:00 local time (0–8;
 *   4 when a time zone is unknown);
 * - attribute rule: `ATTRIBUTE` points when the rule (mix / within) is satisfied.
 */
const PREFER_BONUS = 2 ** 40;
const REPEAT_COST = 2 ** 26;
const RECENCY = 24;
const ATTRIBUTE_BONUS = 4;
const UNKNOWN_TZ_HOURS = 4;
const WORK_START_MINUTES = 9 * 60;
const WORK_MINUTES = 8 * 60;
const DAY_MINUTES = 24 * 60;

/** Cost of one past meeting `age` periods ago. */
export function meetingCost(age: number): number {
  const a = Math.max(age, 0);
  return REPEAT_COST + Math.round((REPEAT_COST * RECENCY) / ((a + 1) * (a + 1)));
}

/** UTC minute of the day at which 09:00 local time falls. */
function workStart(utcOffsetMinutes: number): number {
  return (((WORK_START_MINUTES - utcOffsetMinutes) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
}

function overlapOfStarts(startA: number, startB: number): number {
  let d = Math.abs(startA - startB);
  d = Math.min(d, DAY_MINUTES - d);
  return Math.round(Math.max(0, WORK_MINUTES - d) / 60);
}

/** Whole hours of overlap between the 09:00–17:00 local working days of two UTC offsets. */
export function workingHoursOverlap(offsetA: number, offsetB: number): number {
  return overlapOfStarts(workStart(offsetA), workStart(offsetB));
}

/** Seeded 32-bit mixing, used for tie-breaking orders and sampling. */
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * What the engine's steps ask of the candidates: vertices 0..n-1 (the candidates in a
 * seeded order), the gain of a pair and a few per-vertex queries. The arrays behind them
 * stay in this module.
 */
export interface PairModel {
  /** Number of candidates. */
  readonly n: number;
  /** Member id of vertex v. */
  id(v: number): string;
  /** The request's candidate at vertex v. */
  candidate(v: number): Candidate;
  /** Gain of grouping i and j (higher is better); call only for pairs that do not avoid each other. */
  gain(i: number, j: number): number;
  /** Gain of grouping i and j, or -Infinity when they avoid each other (a group's sum then falls to -Infinity). */
  allowedGain(i: number, j: number): number;
  /** Gain of i with every vertex 0..n-1 into `out` (avoided pairs get -Infinity, i itself too). */
  gainRow(i: number, out: Float64Array): void;
  /** No gain is below this (minus the largest repeat cost of any pair). */
  readonly gainFloor: number;
  avoids(i: number, j: number): boolean;
  /** Whether i and j met before (grouping them is a repeat). */
  haveMet(i: number, j: number): boolean;
  /** How many different candidates v met before. */
  pastPartnerCount(v: number): number;
  /** Preferred pairs [i, j] with i < j, each once, none avoided. */
  preferredPairs(): readonly (readonly [number, number])[];
  /** Seeded tie-break between equal gains (symmetric). */
  tieBreak(i: number, j: number): number;
  /** Working-hours bucket of v (members of a bucket share all eight hours), or -1 if the time zone is unknown. */
  hoursBucket(v: number): number;
  /** Value of v for the attribute rule as a small integer, or -1 if none. */
  attributeValue(v: number): number;
  readonly random: () => number;
}

/** Build the model; vertices are the candidates sorted by id, then shuffled with the seed. */
export function buildModel(req: MatchRequest): PairModel {
  const random = req.random;
  const order = req.candidates.map((c, i) => ({ id: c.id, i }));
  order.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let k = order.length - 1; k > 0; k--) {
    const r = Math.floor(random() * (k + 1));
    const t = order[k]!;
    order[k] = order[r]!;
    order[r] = t;
  }
  const n = order.length;
  const ids = order.map((o) => o.id);
  const source = Int32Array.from(order.map((o) => o.i));
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  if (index.size !== n) throw new Error('formGroups: duplicate candidate id');

  const salt = new Uint32Array(n);
  for (let i = 0; i < n; i++) salt[i] = Math.floor(random() * 4294967296) >>> 0;

  const key = (i: number, j: number): number => (i < j ? i * n + j : j * n + i);
  const avoidSet = new Set<number>();
  const avoidList: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of req.avoid) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined || i === j || avoidSet.has(key(i, j))) continue;
    avoidSet.add(key(i, j));
    avoidList[i]!.push(j);
    avoidList[j]!.push(i);
  }
  const preferSet = new Set<number>();
  const preferred: number[][] = Array.from({ length: n }, () => []);
  const preferPairs: [number, number][] = [];
  for (const [a, b] of req.prefer) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined || i === j) continue;
    const k = key(i, j);
    if (preferSet.has(k) || avoidSet.has(k)) continue;
    preferSet.add(k);
    preferred[i]!.push(j);
    preferred[j]!.push(i);
    preferPairs.push(i < j ? [i, j] : [j, i]);
  }

  // History as compressed adjacency, sorted by partner, duplicates summed.
  const degree = new Int32Array(n + 1);
  const hi: number[] = [];
  const hj: number[] = [];
  const hc: number[] = [];
  for (const m of req.history) {
    const i = index.get(m.a);
    const j = index.get(m.b);
    if (i === undefined || j === undefined || i === j) continue;
    hi.push(i);
    hj.push(j);
    hc.push(meetingCost(m.age));
    degree[i]!++;
    degree[j]!++;
  }
  const start = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) start[v + 1] = start[v]! + degree[v]!;
  const partnerRaw = new Int32Array(start[n]!);
  const costRaw = new Float64Array(start[n]!);
  const fill = start.slice(0, n);
  for (let e = 0; e < hi.length; e++) {
    const i = hi[e]!;
    const j = hj[e]!;
    partnerRaw[fill[i]!] = j;
    costRaw[fill[i]!++] = hc[e]!;
    partnerRaw[fill[j]!] = i;
    costRaw[fill[j]!++] = hc[e]!;
  }
  const histStart = new Int32Array(n + 1);
  const histPartner = new Int32Array(start[n]!);
  const histCost = new Float64Array(start[n]!);
  let out = 0;
  let maxRepeat = 0;
  const seg: number[] = [];
  for (let v = 0; v < n; v++) {
    histStart[v] = out;
    seg.length = 0;
    for (let e = start[v]!; e < start[v + 1]!; e++) seg.push(e);
    seg.sort((x, y) => partnerRaw[x]! - partnerRaw[y]!);
    for (const e of seg) {
      const p = partnerRaw[e]!;
      if (out > histStart[v]! && histPartner[out - 1] === p) histCost[out - 1] = histCost[out - 1]! + costRaw[e]!;
      else {
        histPartner[out] = p;
        histCost[out] = costRaw[e]!;
        out++;
      }
    }
    for (let e = histStart[v]!; e < out; e++) if (histCost[e]! > maxRepeat) maxRepeat = histCost[e]!;
  }
  histStart[n] = out;

  const tzStart = new Int32Array(n).fill(-1);
  const attr = new Int32Array(n).fill(-1);
  const attrValues = new Map<string, number>();
  const rule = req.attributeRule;
  for (let i = 0; i < n; i++) {
    const c = req.candidates[source[i]!]!;
    if (typeof c.utcOffsetMinutes === 'number' && Number.isFinite(c.utcOffsetMinutes)) {
      tzStart[i] = workStart(c.utcOffsetMinutes);
    }
    const value = rule ? c.attributes?.[rule.key] : undefined;
    if (value !== undefined && value !== '') {
      let id = attrValues.get(value);
      if (id === undefined) {
        id = attrValues.size;
        attrValues.set(value, id);
      }
      attr[i] = id;
    }
  }
  const mixMode = rule?.mode === 'mix';

  const repeatCost = (i: number, j: number): number => {
    let lo = histStart[i]!;
    let hiIdx = histStart[i + 1]! - 1;
    while (lo <= hiIdx) {
      const mid = (lo + hiIdx) >> 1;
      const p = histPartner[mid]!;
      if (p === j) return histCost[mid]!;
      if (p < j) lo = mid + 1;
      else hiIdx = mid - 1;
    }
    return 0;
  };
  const softGain = (i: number, j: number): number => {
    let g = 0;
    const si = tzStart[i]!;
    const sj = tzStart[j]!;
    g += si < 0 || sj < 0 ? UNKNOWN_TZ_HOURS : overlapOfStarts(si, sj);
    const ai = attr[i]!;
    const aj = attr[j]!;
    if (ai >= 0 && aj >= 0 && (ai !== aj) === mixMode) g += ATTRIBUTE_BONUS;
    return g;
  };
  const avoids = (i: number, j: number): boolean => avoidSet.size > 0 && avoidSet.has(key(i, j));
  const hasPrefs = preferSet.size > 0;
  const gain = (i: number, j: number): number => {
    let g = softGain(i, j) - repeatCost(i, j);
    if (hasPrefs && preferSet.has(key(i, j))) g += PREFER_BONUS;
    return g;
  };

  return {
    n,
    id: (v) => ids[v]!,
    candidate: (v) => req.candidates[source[v]!]!,
    gain,
    allowedGain: (i, j) => (avoids(i, j) ? -Infinity : gain(i, j)),
    gainRow(i: number, row: Float64Array): void {
      for (let j = 0; j < n; j++) row[j] = softGain(i, j);
      for (let e = histStart[i]!; e < histStart[i + 1]!; e++) row[histPartner[e]!] = row[histPartner[e]!]! - histCost[e]!;
      for (const j of preferred[i]!) row[j] = row[j]! + PREFER_BONUS;
      for (const j of avoidList[i]!) row[j] = -Infinity;
      row[i] = -Infinity;
    },
    gainFloor: -maxRepeat,
    avoids,
    haveMet: (i, j) => repeatCost(i, j) > 0,
    pastPartnerCount: (v) => histStart[v + 1]! - histStart[v]!,
    preferredPairs: () => preferPairs,
    tieBreak: (i, j) => mix32((salt[i]! ^ salt[j]!) + 0x9e3779b9),
    hoursBucket: (v) => tzStart[v]!,
    attributeValue: (v) => attr[v]!,
    random,
  };
}
