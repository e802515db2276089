import { type Answer, type GroupAnswers, groupOutcome, missRunAfter, type Outcome } from '../core/feedback.js';
import type { DB } from './db.js';
import { ASK_PREFIX } from './outbox.js';
import type { MemberState } from '../core/members.js';
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
  /** Meetings of each person who met someone. */
  perPerson: Map<string, number>;
  /** How many different pairs met. */
  pairCount: number;
  /** Pairs who met more than once. */
  repeated: PairFacts[];
  /** Every pair who met, among these people only. */
  among(people: ReadonlySet<string>): PairFacts[];
}

export const NO_MEETINGS: MeetingFacts = { total: 0, perPerson: new Map(), pairCount: 0, repeated: [], among: () => [] };

export interface ReportFacts {
  rounds: RoundFacts[];
  members: MemberFacts[];
  meetings: MeetingFacts;
  /** Members of the program who were never in any group. */
  neverGrouped: string[];
  /**
   * Misses in a row charged to each member who has any, counted as `prune` counts them:
   * groups formed by pairing (not recorded by hand) since the member joined, newest back.
   */
  missesInARow: Map<string, number>;
}

type Answers = GroupAnswers['answers'];

/** `reporter\0answer\0reporter\0answer…` as group_concat wrote it. */
function answersOf(joined: string): Answers {
  const parts = joined.split('\u0000');
  const out: { reporterId: string; answer: Answer }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ reporterId: parts[i]!, answer: parts[i + 1] as Answer });
  return out;
}

/** A flag per person (by index) that grows as people are added. */
class PersonFlags {
  private flags: Uint8Array;
  count = 0;
  constructor(capacity: number) {
    this.flags = new Uint8Array(Math.max(16, capacity));
  }
  has(i: number): boolean {
    return this.flags[i] === 1;
  }
  /** Sets the flag of person i; counts it the first time. */
  add(i: number): void {
    if (i >= this.flags.length) {
      const grown = new Uint8Array(Math.max(2 * this.flags.length, i + 1));
      grown.set(this.flags);
      this.flags = grown;
    }
    if (this.flags[i] === 0) {
      this.flags[i] = 1;
      this.count++;
    }
  }
}

/**
 * Everything the report shows, from a few whole-program queries (no query per
 * member or per round) combined in one pass over the groups, oldest first, that keeps
 * only counts: no object per group or per pair outlives its row, so a year of weekly
 * rounds for 10,000 members reads in about a second. `since` (YYYY-MM-DD) limits rounds
 * and meetings to those formed from it on; misses in a row are always the whole story.
 */
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
  // (ASK_PREFIX + group id) are read from their index alone, and SQLite turns each into its
  // group id (a reminder's key follows a first ask's and names the same group).
  const afterPrefix = ASK_PREFIX.slice(0, -1) + String.fromCharCode(ASK_PREFIX.charCodeAt(ASK_PREFIX.length - 1) + 1);
  const askedIds = db
    .prepare('SELECT CAST(substr(dedupe_key, ?) AS INTEGER) FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ?')
    .pluck()
    .all(ASK_PREFIX.length + 1, ASK_PREFIX, afterPrefix) as number[];
  // A flag per group id: 100,000s of look-ups in a Set cost more than the query.
  const asked = new Uint8Array(askedIds.reduce((max, id) => Math.max(max, id + 1), 0));
  for (const id of askedIds) asked[id] = 1;

  const members = db
    .prepare(
      `SELECT user_id AS id, name, state, COALESCE(timezone_override, timezone) AS timezone, joined_on AS joinedOn, pause_until AS pauseUntil
       FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`,
    )
    .all(programId) as MemberFacts[];
  // People are small integers: members first, in the order above, then anyone else found in a
  // group. Each person's partners are a Map from the partner's integer to their meeting count
  // and last day packed in one number; keys and values stay small integers (V8 Smis), so
  // 100,000s of pairs allocate almost nothing.
  const people = members.map((m) => m.id);
  const joinedOn: (string | undefined)[] = members.map((m) => m.joinedOn);
  const personIndex = new Map(people.map((id, i) => [id, i]));
  const indexOf = (id: string): number => {
    let i = personIndex.get(id);
    if (i === undefined) {
      personIndex.set(id, (i = people.length));
      people.push(id);
    }
    return i;
  };
  const partners: Map<number, number>[] = [];
  const missRun: number[] = new Array<number>(members.length).fill(0);
  // People counted in each round: a member re-placed by catch-up in the same round counts once.
  const placed = new Map<number, PersonFlags>();
  const grouped = new PersonFlags(members.length);
  const days = new Map<string, number>();

  // One row per group with its members and answers joined (per-row marshalling is what costs
  // at this size), oldest first as misses in a row are counted, streamed so each is garbage while young.
  const rows = db
    .prepare(
      `SELECT g.id, g.round_id, g.formed_on, g.source = 'manual',
         (SELECT group_concat(user_id, char(0)) FROM group_members WHERE group_id = g.id),
         (SELECT group_concat(reporter_id || char(0) || answer, char(0)) FROM feedback WHERE group_id = g.id)
       FROM groups g WHERE g.program_id = ? ORDER BY g.formed_on, g.id`,
    )
    .raw()
    .iterate(programId) as IterableIterator<[number, number | null, string, number, string | null, string | null]>;
  for (const [groupId, roundId, formedOn, manual, joined, answered] of rows) {
    if (joined === null) continue;
    const memberIds = joined.split('\u0000');
    const indexes = memberIds.map(indexOf);
    for (const i of indexes) grouped.add(i);
    const given = answered === null ? undefined : answersOf(answered);
    const round = roundId === null ? undefined : rounds.get(roundId);
    if (round) {
      round.groups++;
      let inRound = placed.get(roundId!);
      if (inRound === undefined) placed.set(roundId!, (inRound = new PersonFlags(people.length)));
      for (const i of indexes) inRound.add(i);
      if (round.formedOn === null || formedOn < round.formedOn) round.formedOn = formedOn;
      if (asked[groupId] === 1) round.outcomes[groupOutcome(given ?? [])]++;
    }
    if (given && !manual) {
      const group = { memberIds, answers: given };
      indexes.forEach((i, k) => {
        const since = joinedOn[i];
        if (since !== undefined && formedOn >= since) missRun[i] = missRunAfter(missRun[i]!, memberIds[k]!, group);
      });
    }
    if (formedOn < fromDate) continue;
    let day = days.get(formedOn);
    if (day === undefined) days.set(formedOn, (day = dayNumber(formedOn)));
    for (let x = 0; x < indexes.length; x++) {
      for (let y = 0; y < indexes.length; y++) {
        if (memberIds[x]! >= memberIds[y]!) continue;
        const a = indexes[x]!;
        const b = indexes[y]!;
        let met = partners[a];
        if (met === undefined) partners[a] = met = new Map();
        const packed = met.get(b);
        met.set(b, packed === undefined ? PACK + day : packed - (packed % PACK) + PACK + Math.max(day, packed % PACK));
      }
    }
  }
  for (const [roundId, inRound] of placed) rounds.get(roundId)!.paired = inRound.count;
  // Someone placed and also sitting out in a round is one whose partner left, whom catch-up told
  // they sit out the rest of it (PAIRBOT_ODD=sit-out): counted once, as sitting out. Sit-outs are a
  // few a round, so this reads a handful of rows.
  const satOut = db
    .prepare(
      `SELECT e.round_id, e.user_id FROM round_exclusions e JOIN rounds r ON r.id = e.round_id
       WHERE r.program_id = ? AND r.period_index >= ? AND e.reason = 'satOut'`,
    )
    .raw()
    .all(programId, fromIndex) as [number, string][];
  for (const [roundId, userId] of satOut) {
    const i = personIndex.get(userId);
    if (i !== undefined && placed.get(roundId)?.has(i)) rounds.get(roundId)!.paired--;
  }
  const neverGrouped: string[] = [];
  const missesInARow = new Map<string, number>();
  members.forEach((m, i) => {
    if (!grouped.has(i)) neverGrouped.push(m.id);
    if (missRun[i]! > 0) missesInARow.set(m.id, missRun[i]!);
  });
  return { rounds: [...rounds.values()], members, meetings: meetingFacts(partners, people), neverGrouped, missesInARow };
}

/** Partner values: meetings × PACK + the day of the last (days since 1970: about 20,000 now, so a small integer). */
const PACK = 2 ** 20;
const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

function meetingFacts(partners: readonly (Map<number, number> | undefined)[], people: readonly string[]): MeetingFacts {
  let total = 0;
  let pairCount = 0;
  const repeated: PairFacts[] = [];
  const facts = (a: number, b: number, packed: number): PairFacts => ({
    a: people[a]!,
    b: people[b]!,
    meetings: Math.floor(packed / PACK),
    last: dateOf(packed % PACK),
  });
  const counts = new Float64Array(people.length);
  partners.forEach((met, a) => {
    if (met === undefined) return;
    pairCount += met.size;
    for (const [b, packed] of met) {
      const n = Math.floor(packed / PACK);
      total += n;
      counts[a]! += n;
      counts[b]! += n;
      if (n > 1) repeated.push(facts(a, b, packed));
    }
  });
  return {
    total,
    // Only people who met someone in the period covered.
    perPerson: new Map(people.flatMap((id, i) => (counts[i]! > 0 ? [[id, counts[i]!] as const] : []))),
    pairCount,
    repeated,
    among: (chosen) => {
      const out: PairFacts[] = [];
      const inside = people.map((id) => chosen.has(id));
      partners.forEach((met, a) => {
        if (met === undefined || !inside[a]) return;
        for (const [b, packed] of met) if (inside[b]) out.push(facts(a, b, packed));
      });
      return out;
    },
  };
}
