import type { Answer } from '../core/feedback.js';
import type { DB } from './db.js';
import { ASK_PREFIX } from './outbox.js';
import type { MemberState } from './members.js';
import type { ExclusionReason } from './rounds.js';

/** One round's participation and the answers of its asked groups. */
export interface RoundFacts {
  round: string;
  periodIndex: number;
  /** The day its groups were formed (the earliest, catch-up aside). */
  formedOn: string | null;
  groups: number;
  paired: number;
  excluded: Record<ExclusionReason, number>;
  /** The distinct answers given in each group that was asked whether they met. */
  askedGroups: Answer[][];
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
export interface PairFacts {
  a: string;
  b: string;
  meetings: number;
  last: string;
}

/** A group with a verdict-bearing answer, for counting misses in a row. */
export interface AnsweredGroup {
  id: number;
  formedOn: string;
  memberIds: string[];
  answers: { reporterId: string; answer: Answer }[];
}

export interface ReportFacts {
  rounds: RoundFacts[];
  members: MemberFacts[];
  pairs: PairFacts[];
  /** Members of the program who were never in any group. */
  neverGrouped: string[];
  /** Groups formed by pairing (not recorded by hand) that have answers, newest first. */
  answeredGroups: AnsweredGroup[];
}

/**
 * Everything the report shows, in a few whole-program aggregate queries (no query
 * per member or per round), so a year of rounds for 10,000 members reads in well
 * under a second. `since` (YYYY-MM-DD) limits rounds and meetings to those formed from it on.
 */
export function readReportFacts(db: DB, programId: number, since: { date: string; periodIndex: number } | undefined): ReportFacts {
  const fromIndex = since?.periodIndex ?? Number.MIN_SAFE_INTEGER;
  const fromDate = since?.date ?? '';
  const rounds = new Map<number, RoundFacts>();
  const roundRows = db
    .prepare('SELECT id, period AS round, period_index AS periodIndex FROM rounds WHERE program_id = ? AND period_index >= ? ORDER BY period_index')
    .all(programId, fromIndex) as { id: number; round: string; periodIndex: number }[];
  for (const r of roundRows) {
    rounds.set(r.id, {
      round: r.round,
      periodIndex: r.periodIndex,
      formedOn: null,
      groups: 0,
      paired: 0,
      excluded: { optedOut: 0, paused: 0, notDue: 0, satOut: 0, unpaired: 0 },
      askedGroups: [],
    });
  }
  const groupCounts = db
    .prepare(
      `SELECT g.round_id AS roundId, MIN(g.formed_on) AS formedOn, COUNT(DISTINCT g.id) AS groups, COUNT(DISTINCT gm.user_id) AS paired
       FROM groups g JOIN group_members gm ON gm.group_id = g.id JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? AND r.period_index >= ? GROUP BY g.round_id`,
    )
    .all(programId, fromIndex) as { roundId: number; formedOn: string; groups: number; paired: number }[];
  for (const c of groupCounts) Object.assign(rounds.get(c.roundId)!, { formedOn: c.formedOn, groups: c.groups, paired: c.paired });
  const exclusions = db
    .prepare(
      `SELECT e.round_id AS roundId, e.reason, COUNT(*) AS n FROM round_exclusions e JOIN rounds r ON r.id = e.round_id
       WHERE r.program_id = ? AND r.period_index >= ? GROUP BY e.round_id, e.reason`,
    )
    .all(programId, fromIndex) as { roundId: number; reason: ExclusionReason; n: number }[];
  for (const e of exclusions) rounds.get(e.roundId)!.excluded[e.reason] = e.n;
  // Only groups that were asked count, as in collect-feedback's tally; the ask's outbox key names the group.
  const asked = db
    .prepare(
      `SELECT g.round_id AS roundId, (SELECT group_concat(DISTINCT f.answer) FROM feedback f WHERE f.group_id = g.id) AS answers
       FROM groups g JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? AND r.period_index >= ? AND EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = '${ASK_PREFIX}' || g.id)`,
    )
    .all(programId, fromIndex) as { roundId: number; answers: string | null }[];
  for (const a of asked) rounds.get(a.roundId)!.askedGroups.push(a.answers ? (a.answers.split(',') as Answer[]) : []);

  const members = db
    .prepare(
      `SELECT user_id AS id, name, state, COALESCE(timezone_override, timezone) AS timezone, joined_on AS joinedOn, pause_until AS pauseUntil
       FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`,
    )
    .all(programId) as MemberFacts[];

  const pairs = db
    .prepare(
      `SELECT a.user_id AS a, b.user_id AS b, COUNT(*) AS meetings, MAX(g.formed_on) AS last
       FROM groups g JOIN group_members a ON a.group_id = g.id JOIN group_members b ON b.group_id = g.id AND a.user_id < b.user_id
       WHERE g.program_id = ? AND g.formed_on >= ? GROUP BY a.user_id, b.user_id`,
    )
    .all(programId, fromDate) as PairFacts[];

  const neverGrouped = (
    db
      .prepare(
        `SELECT m.user_id AS id FROM members m WHERE m.program_id = ?
         AND NOT EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = m.user_id AND g.program_id = m.program_id)`,
      )
      .all(programId) as { id: string }[]
  ).map((r) => r.id);

  const answered = new Map<number, AnsweredGroup>();
  const answerRows = db
    .prepare(
      `SELECT g.id, g.formed_on AS formedOn, f.reporter_id AS reporterId, f.answer FROM feedback f JOIN groups g ON g.id = f.group_id
       WHERE g.program_id = ? AND g.source <> 'manual' ORDER BY g.formed_on DESC, g.id DESC, f.recorded_at, f.reporter_id`,
    )
    .all(programId) as { id: number; formedOn: string; reporterId: string; answer: Answer }[];
  for (const r of answerRows) {
    const g = answered.get(r.id) ?? { id: r.id, formedOn: r.formedOn, memberIds: [], answers: [] };
    answered.set(r.id, g);
    g.answers.push({ reporterId: r.reporterId, answer: r.answer });
  }
  const memberRows = db
    .prepare(
      `SELECT gm.group_id AS id, gm.user_id AS userId FROM group_members gm JOIN groups g ON g.id = gm.group_id
       WHERE g.program_id = ? AND g.source <> 'manual' AND EXISTS (SELECT 1 FROM feedback f WHERE f.group_id = g.id) ORDER BY gm.rowid`,
    )
    .all(programId) as { id: number; userId: string }[];
  for (const r of memberRows) answered.get(r.id)?.memberIds.push(r.userId);

  return { rounds: [...rounds.values()], members, pairs, neverGrouped, answeredGroups: [...answered.values()] };
}
