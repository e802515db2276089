/**
 * What the report shows, worked out from the stored facts. Pure: no I/O; the
 * generation time and settings are passed in.
 */
import { tzOffset } from '@date-fns/tz';
import type { Outcome } from '../core/feedback.js';
import { offsetLabel } from '../core/meeting-time.js';
import type { ExclusionReason } from '../store/rounds.js';
import type { MeetingFacts, MemberFacts, ReportFacts } from '../store/report.js';

export const PARTICIPATION = [
  { key: 'paired', label: 'paired', color: '#2f7d4f' },
  { key: 'optedOut', label: 'opted out', color: '#e0a030' },
  { key: 'paused', label: 'paused', color: '#8c6bb1' },
  { key: 'satOut', label: 'sat out', color: '#4a90c2' },
  { key: 'notDue', label: 'not due', color: '#b8bec6' },
  { key: 'unpaired', label: 'no possible partner', color: '#c0392b' },
] as const satisfies readonly { key: 'paired' | ExclusionReason; label: string; color: string }[];

export const OUTCOMES = [
  { key: 'met', label: 'met', color: '#2f7d4f' },
  { key: 'scheduled', label: 'scheduled', color: '#4a90c2' },
  { key: 'missed', label: 'missed', color: '#c0392b' },
  { key: 'unanswered', label: 'unanswered', color: '#b8bec6' },
] as const satisfies readonly { key: Outcome; label: string; color: string }[];

export interface ParticipationRow {
  round: string;
  counts: Record<(typeof PARTICIPATION)[number]['key'], number>;
}

export interface OutcomeRow {
  round: string;
  counts: Record<Outcome, number>;
  asked: number;
  /** Share of asked groups that answered anything, 0–1; null when none was asked. */
  responseRate: number | null;
}

interface NamedCount {
  id: string;
  name: string;
}

export interface ReportModel {
  program: string;
  platform: string;
  generatedAt: string;
  since: string | null;
  /** First and last round shown, with the days they were formed. */
  covered: { first: string; last: string; from: string | null; to: string | null } | null;
  totals: { activeMembers: number; members: number; rounds: number; meetings: number; responseRate: number | null };
  participation: ParticipationRow[];
  outcomes: OutcomeRow[];
  atRisk: (NamedCount & { misses: number })[];
  maxMisses: number;
  neverPaired: (NamedCount & { joinedOn: string })[];
  repeatedPairs: { a: NamedCount; b: NamedCount; meetings: number; last: string }[];
  timezones: { timezone: string | null; offset: string; members: number }[];
  graph: GraphInput;
}

/** Who met whom, bounded so a large program still draws a readable picture. */
export interface GraphInput {
  nodes: { id: string; name: string; meetings: number; active: boolean }[];
  edges: { a: string; b: string; meetings: number; last: string }[];
  /**
   * What exists but is not drawn: members beyond the most-met ones, pairs with such a member,
   * and the oldest pairs among the drawn members beyond the most lines drawn.
   */
  omitted: { nodes: number; edges: number; older: number };
}

/** Beyond this many members the graph shows the most-met ones (it stays legible, and fast to lay out). */
export const MAX_GRAPH_NODES = 500;
const MAX_GRAPH_EDGES = 4000;

export interface ModelSettings {
  program: string;
  platform: string;
  now: Date;
  since: string | null;
  maxMisses: number;
}

/** Plain code-unit order: deterministic, and far cheaper than localeCompare on 100,000s of pairs. */
const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

export function buildReportModel(facts: ReportFacts, s: ModelSettings): ReportModel {
  const byId = new Map(facts.members.map((m) => [m.id, m]));
  const named = (id: string): NamedCount => ({ id, name: byId.get(id)?.name ?? id });
  const active = facts.members.filter((m) => m.state === 'active');

  const participation = facts.rounds.map((r) => ({ round: r.round, counts: { paired: r.paired, ...r.excluded } }));
  const outcomes = facts.rounds.map((r): OutcomeRow => {
    const counts = r.outcomes;
    const asked = counts.met + counts.scheduled + counts.missed + counts.unanswered;
    return { round: r.round, counts, asked, responseRate: asked ? (asked - counts.unanswered) / asked : null };
  });
  const askedTotal = outcomes.reduce((n, o) => n + o.asked, 0);
  const answeredTotal = outcomes.reduce((n, o) => n + o.asked - o.counts.unanswered, 0);

  const atRisk = active
    .filter((m) => facts.missesInARow.has(m.id))
    .map((m) => ({ id: m.id, name: m.name, misses: facts.missesInARow.get(m.id)! }))
    .sort((x, y) => y.misses - x.misses || x.name.localeCompare(y.name));
  const neverGrouped = new Set(facts.neverGrouped);
  const neverPaired = active.filter((m) => neverGrouped.has(m.id)).map((m) => ({ ...named(m.id), joinedOn: m.joinedOn }));
  const repeatedPairs = [...facts.meetings.repeated]
    .sort((x, y) => y.meetings - x.meetings || cmp(y.last, x.last) || cmp(x.a, y.a) || cmp(x.b, y.b))
    .map((p) => ({ a: named(p.a), b: named(p.b), meetings: p.meetings, last: p.last }));

  const shown = facts.rounds.filter((r) => r.groups > 0 || r.paired > 0 || Object.values(r.excluded).some((n) => n > 0));
  const first = facts.rounds[0];
  const last = facts.rounds.at(-1);
  return {
    program: s.program,
    platform: s.platform,
    generatedAt: s.now.toISOString(),
    since: s.since,
    covered: first && last ? { first: first.round, last: last.round, from: first.formedOn, to: last.formedOn } : null,
    totals: {
      activeMembers: active.length,
      members: facts.members.length,
      rounds: shown.length,
      meetings: facts.meetings.total,
      responseRate: askedTotal ? answeredTotal / askedTotal : null,
    },
    participation,
    outcomes,
    atRisk,
    maxMisses: s.maxMisses,
    neverPaired,
    repeatedPairs,
    timezones: timezoneSpread(active, s.now),
    graph: graphInput(facts.meetings, byId),
  };
}

function timezoneSpread(active: readonly MemberFacts[], now: Date): ReportModel['timezones'] {
  const counts = new Map<string | null, number>();
  for (const m of active) counts.set(m.timezone, (counts.get(m.timezone) ?? 0) + 1);
  const offsetOf = (tz: string | null): number => (tz ? tzOffset(tz, now) : Number.NaN);
  return [...counts]
    .map(([timezone, members]) => ({ timezone, minutes: offsetOf(timezone), members }))
    .sort(
      (x, y) =>
        (Number.isNaN(x.minutes) ? 1 : 0) - (Number.isNaN(y.minutes) ? 1 : 0) ||
        x.minutes - y.minutes ||
        (x.timezone ?? '').localeCompare(y.timezone ?? ''),
    )
    .map(({ timezone, minutes, members }) => ({ timezone, offset: Number.isNaN(minutes) ? '' : offsetLabel(minutes), members }));
}

function graphInput(facts: MeetingFacts, members: ReadonlyMap<string, MemberFacts>): GraphInput {
  const meetings = facts.perPerson;
  const ranked = [...meetings].sort((x, y) => y[1] - x[1] || cmp(x[0], y[0]));
  const kept = new Set(ranked.slice(0, MAX_GRAPH_NODES).map(([id]) => id));
  const inside = facts.among(kept);
  // The most recent meetings matter most when not every line can be drawn.
  const edges = [...inside]
    .sort((x, y) => cmp(y.last, x.last) || y.meetings - x.meetings || cmp(x.a, y.a) || cmp(x.b, y.b))
    .slice(0, MAX_GRAPH_EDGES)
    .sort((x, y) => cmp(x.a, y.a) || cmp(x.b, y.b));
  const nodes = [...kept].sort().map((id) => {
    const m = members.get(id);
    return { id, name: m?.name ?? id, meetings: meetings.get(id)!, active: m?.state === 'active' };
  });
  return {
    nodes,
    edges,
    omitted: { nodes: meetings.size - nodes.length, edges: facts.pairCount - inside.length, older: inside.length - edges.length },
  };
}
