import { groupOutcome, type Answer, type Outcome } from '../core/feedback.js';
import type { DB } from './db.js';
import { ASK_PREFIX } from './outbox.js';
import type { MemberState } from './members.js';
import type { ExclusionReason } from './rounds.js';

/** One round's participation and the answers of its asked groups. */
interface RoundFacts {
  round: string;
  periodIndex: number;
  /** The day its groups were formed (the earliest, catch-up aside). */
  formedOn: string | null;
  groups: number;
  paired: number;
  excluded: Record<ExclusionReason, number>;
  /** Outcomes of the groups that were asked whether they met (core/feedback's rule). */
  outcomes: Record<Outcome, number>;
}

export interface MemberFacts {
  id: string;
  name: string;
  state: MemberState;
  timezone: string | null;
  joinedOn: string;
  pauseUntil: string | null;
}

/** Two members who met, how often and when last (within the period covered). */
interface PairFacts {
  a: string;
  b: string;
  meetings: number;
  last: string;
}

/**
 * Who met whom, held compactly (a year of a large program has 100,000s of pairs):
 * totals, the pairs who met more than once, and the pairs among a chosen set of people.
 */
export interface MeetingFacts {
  /** Pairs who met, counted once per meeting (a trio is three pairs). */
  total: number;
  /** Meetings of each person. */
  perPerson: Map<string, number>;
  /** How many different pairs met. */
  pairCount: number;
  /** Pairs who met more than once. */
  repeated: PairFacts[];
  /** Every pair who met, among these people only. */
  among(people: ReadonlySet<string>): PairFacts[];
}

export const NO_MEETINGS: MeetingFacts = { total: 0, perPerson: new Map(), pairCount: 0, repeated: [], among: () => [] };

/** A group with a verdict-bearing answer, for counting misses in a row. */
interface AnsweredGroup {
  id: number;
  formedOn: string;
  memberIds: string[];
  answers: { reporterId: string; answer: Answer }[];
}

export interface ReportFacts {
  rounds: RoundFacts[];
  members: MemberFacts[];
  meetings: MeetingFacts;
  /** Members of the program who were never in any group. */
  neverGrouped: string[];
  /** Groups formed by pairing (not recorded by hand) that have answers, newest first. */
  answeredGroups: AnsweredGroup[];
}

/**
 * Everything the report shows, from a few whole-program queries (no query per
 * member or per round) combined in one pass, so a year of weekly rounds for
 * 10,000 members reads in about a second. `since` (YYYY-MM-DD) limits rounds and meetings to those formed from it on.
 */
/** `reporter\0answer\0reporter\0answer…` as group_concat wrote it. */
function answersOf(joined: string): AnsweredGroup['answers'] {
  const parts = joined.split('\u0000');
  const out: AnsweredGroup['answers'] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ reporterId: parts[i]!, answer: parts[i + 1] as Answer });
  return out;
}

export function readReportFacts(db: DB, programId: number, since: { date: string; periodIndex: number } | undefined): ReportFacts {
  const fromIndex = since?.periodIndex ?? Number.MIN_SAFE_INTEGER;
  const fromDate = since?.date ?? '';
  const rounds = new Map<number, RoundFacts>();
  const roundRows = db
    .prepare(
      'SELECT id, period AS round, period_index AS periodIndex FROM rounds WHERE program_id = ? AND period_index >= ? ORDER BY period_index',
    )
    .all(programId, fromIndex) as { id: number; round: string; periodIndex: number }[];
  for (const r of roundRows) {
    rounds.set(r.id, {
      round: r.round,
      periodIndex: r.periodIndex,
      formedOn: null,
      groups: 0,
      paired: 0,
      excluded: { optedOut: 0, paused: 0, notDue: 0, satOut: 0, unpaired: 0 },
      outcomes: { met: 0, scheduled: 0, missed: 0, unanswered: 0 },
    });
  }
  const exclusions = db
    .prepare(
      `SELECT e.round_id, e.reason, COUNT(*) FROM round_exclusions e JOIN rounds r ON r.id = e.round_id
       WHERE r.program_id = ? AND r.period_index >= ? GROUP BY e.round_id, e.reason`,
    )
    .raw()
    .all(programId, fromIndex) as [number, ExclusionReason, number][];
  for (const [roundId, reason, n] of exclusions) rounds.get(roundId)!.excluded[reason] = n;
  // Only groups that were asked count, as in collect-feedback's tally. The asks' outbox keys
  // (ASK_PREFIX + group id) are read from their index alone; a reminder's key follows a first ask's.
  const afterPrefix = ASK_PREFIX.slice(0, -1) + String.fromCharCode(ASK_PREFIX.charCodeAt(ASK_PREFIX.length - 1) + 1);
  const asked = new Set(
    (
      db.prepare('SELECT dedupe_key FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?').pluck().all(ASK_PREFIX, afterPrefix) as string[]
    ).map((key) => Number.parseInt(key.slice(ASK_PREFIX.length), 10)),
  );

  // One row per group with its members and answers joined: per-row marshalling is what
  // costs at this size, so no self-join grouped by pair and no separate answer rows; rows
  // are streamed, so each is garbage while young.
  const rows = db
    .prepare(
      `SELECT g.id, g.round_id, g.formed_on, g.source = 'manual',
         (SELECT group_concat(user_id, char(0)) FROM group_members WHERE group_id = g.id),
         (SELECT group_concat(reporter_id || char(0) || answer, char(0)) FROM feedback WHERE group_id = g.id)
       FROM groups g WHERE g.program_id = ?`,
    )
    .raw()
    .iterate(programId) as IterableIterator<[number, number | null, string, number, string | null, string | null]>;
  // Pairs are keyed by two small integers (one per person) and their meeting count and
  // last day packed in one small number, so 100,000s of pairs make no garbage.
  const people: string[] = [];
  const personIndex = new Map<string, number>();
  const indexOf = (id: string): number => {
    let i = personIndex.get(id);
    if (i === undefined) {
      personIndex.set(id, (i = people.length));
      people.push(id);
    }
    return i;
  };
  const pairs = new Map<number, number>();
  // (round, person) already counted: a member re-placed by catch-up in the same round counts once.
  const placed = new Set<number>();
  const days = new Map<string, number>();
  const answeredGroups: AnsweredGroup[] = [];
  for (const [groupId, roundId, formedOn, manual, joined, answered] of rows) {
    if (joined === null) continue;
    const memberIds = joined.split('\u0000');
    const indexes = memberIds.map(indexOf);
    const given = answered === null ? undefined : answersOf(answered);
    const round = roundId === null ? undefined : rounds.get(roundId);
    if (round) {
      round.groups++;
      for (const i of indexes) {
        const key = roundId! * PERSON_SPAN + i;
        if (placed.has(key)) continue;
        placed.add(key);
        round.paired++;
      }
      if (round.formedOn === null || formedOn < round.formedOn) round.formedOn = formedOn;
      if (asked.has(groupId)) round.outcomes[groupOutcome(given ?? [])]++;
    }
    if (given && !manual) answeredGroups.push({ id: groupId, formedOn, memberIds, answers: given });
    if (formedOn < fromDate) continue;
    let day = days.get(formedOn);
    if (day === undefined) days.set(formedOn, (day = dayNumber(formedOn)));
    for (let x = 0; x < indexes.length; x++) {
      for (let y = 0; y < indexes.length; y++) {
        if (memberIds[x]! >= memberIds[y]!) continue;
        const key = indexes[x]! * PERSON_SPAN + indexes[y]!;
        const packed = pairs.get(key);
        pairs.set(key, packed === undefined ? PACK + day : (Math.floor(packed / PACK) + 1) * PACK + Math.max(day, packed % PACK));
      }
    }
  }
  answeredGroups.sort((x, y) => (x.formedOn === y.formedOn ? y.id - x.id : x.formedOn < y.formedOn ? 1 : -1));

  const members = db
    .prepare(
      `SELECT user_id AS id, name, state, COALESCE(timezone_override, timezone) AS timezone, joined_on AS joinedOn, pause_until AS pauseUntil
       FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`,
    )
    .all(programId) as MemberFacts[];
  // Everyone in a group has a person index.
  const neverGrouped = members.filter((m) => !personIndex.has(m.id)).map((m) => m.id);

  return { rounds: [...rounds.values()], members, meetings: meetingFacts(pairs, people), neverGrouped, answeredGroups };
}

/** Pair keys: first person's index × PERSON_SPAN + second's; values: meetings × PACK + day of the last. */
const PERSON_SPAN = 2 ** 24;
const PACK = 2 ** 20;
const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

function meetingFacts(pairs: ReadonlyMap<number, number>, people: readonly string[]): MeetingFacts {
  const perPerson = new Map<string, number>();
  let total = 0;
  const repeated: PairFacts[] = [];
  const facts = (key: number, packed: number): PairFacts => ({
    a: people[Math.floor(key / PERSON_SPAN)]!,
    b: people[key % PERSON_SPAN]!,
    meetings: Math.floor(packed / PACK),
    last: dateOf(packed % PACK),
  });
  const counts = new Float64Array(people.length);
  for (const [key, packed] of pairs) {
    const n = Math.floor(packed / PACK);
    total += n;
    counts[Math.floor(key / PERSON_SPAN)]! += n;
    counts[key % PERSON_SPAN]! += n;
    if (n > 1) repeated.push(facts(key, packed));
  }
  people.forEach((id, i) => perPerson.set(id, counts[i]!));
  return {
    total,
    perPerson,
    pairCount: pairs.size,
    repeated,
    among: (chosen) => {
      const inside = people.map((id) => chosen.has(id));
      const out: PairFacts[] = [];
      for (const [key, packed] of pairs)
        if (inside[Math.floor(key / PERSON_SPAN)] && inside[key % PERSON_SPAN]) out.push(facts(key, packed));
      return out;
    },
  };
}
