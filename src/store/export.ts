import { groupOutcome, type Answer, type Outcome } from '../core/feedback.js';
import type { DB } from './db.js';
import { ASK_PREFIX } from './outbox.js';
import type { ExclusionReason, GroupSource } from './rounds.js';
import type { MemberState } from './members.js';

/** Exclusion reasons in the order they are shown and exported. */
export const EXCLUSION_REASONS: readonly ExclusionReason[] = ['optedOut', 'paused', 'notDue', 'satOut', 'unpaired'];

interface ExportedRound {
  round: string;
  periodIndex: number;
  seed: string;
  createdAt: string;
  groups: number;
  /** Members placed in a group of the round (catch-up included). */
  paired: number;
  excluded: Record<ExclusionReason, string[]>;
}

interface ExportedGroup {
  id: number;
  /** null for a meeting recorded by hand (`member add-partner`). */
  round: string | null;
  formedOn: string;
  source: GroupSource;
  members: string[];
}

export interface ExportedMember {
  id: string;
  name: string;
  state: MemberState;
  frequency: number;
  pauseUntil: string | null;
  timezone: string | null;
  timezoneOverride: string | null;
  joinedOn: string;
  leftOn: string | null;
  sitOuts: number;
  attributes: Record<string, string>;
}

interface ExportedOutcome {
  group: number;
  round: string | null;
  /** Was the group asked whether they met? Only asked groups count in the tallies. */
  asked: boolean;
  outcome: Outcome;
  answers: { member: string; answer: Answer; recordedAt: string }[];
}

export interface ProgramExport {
  rounds: ExportedRound[];
  groups: ExportedGroup[];
  members: ExportedMember[];
  outcomes: ExportedOutcome[];
}

/** Everything `export` writes about one program, read in a handful of whole-table queries. */
export function readProgramExport(db: DB, programId: number): ProgramExport {
  const rounds = (
    db
      .prepare(
        `SELECT r.id, r.period AS round, r.period_index AS periodIndex, r.seed, r.created_at AS createdAt,
           (SELECT COUNT(*) FROM groups g WHERE g.round_id = r.id) AS groups,
           (SELECT COUNT(DISTINCT gm.user_id) FROM groups g JOIN group_members gm ON gm.group_id = g.id WHERE g.round_id = r.id) AS paired
         FROM rounds r WHERE r.program_id = ? ORDER BY r.period_index`,
      )
      .all(programId) as (Omit<ExportedRound, 'excluded'> & { id: number })[]
  ).map(({ id, ...r }) => ({
    id,
    ...r,
    excluded: Object.fromEntries(EXCLUSION_REASONS.map((k) => [k, [] as string[]])) as ExportedRound['excluded'],
  }));
  const roundById = new Map(rounds.map((r) => [r.id, r]));
  const exclusions = db
    .prepare(
      `SELECT e.round_id AS roundId, e.user_id AS userId, e.reason FROM round_exclusions e JOIN rounds r ON r.id = e.round_id
       WHERE r.program_id = ? ORDER BY e.round_id, e.user_id`,
    )
    .all(programId) as { roundId: number; userId: string; reason: ExclusionReason }[];
  for (const e of exclusions) roundById.get(e.roundId)!.excluded[e.reason].push(e.userId);

  const groups: ExportedGroup[] = [];
  const groupById = new Map<number, ExportedGroup>();
  const memberRows = db
    .prepare(
      `SELECT g.id, r.period AS round, g.formed_on AS formedOn, g.source, gm.user_id AS userId
       FROM groups g JOIN group_members gm ON gm.group_id = g.id LEFT JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? ORDER BY g.formed_on, g.id, gm.rowid`,
    )
    .all(programId) as { id: number; round: string | null; formedOn: string; source: GroupSource; userId: string }[];
  for (const row of memberRows) {
    let g = groupById.get(row.id);
    if (!g) {
      g = { id: row.id, round: row.round, formedOn: row.formedOn, source: row.source, members: [] };
      groupById.set(row.id, g);
      groups.push(g);
    }
    g.members.push(row.userId);
  }

  const members = (
    db
      .prepare(
        `SELECT user_id AS id, name, state, frequency, pause_until AS pauseUntil, timezone, timezone_override AS timezoneOverride,
           joined_on AS joinedOn, left_on AS leftOn, sit_outs AS sitOuts, attributes
         FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`,
      )
      .all(programId) as (Omit<ExportedMember, 'attributes'> & { attributes: string })[]
  ).map((m) => ({ ...m, attributes: JSON.parse(m.attributes) as Record<string, string> }));

  const answers = new Map<number, ExportedOutcome['answers']>();
  const answerRows = db
    .prepare(
      `SELECT f.group_id AS groupId, f.reporter_id AS member, f.answer, f.recorded_at AS recordedAt
       FROM feedback f JOIN groups g ON g.id = f.group_id WHERE g.program_id = ? ORDER BY f.group_id, f.recorded_at, f.reporter_id, f.answer`,
    )
    .all(programId) as { groupId: number; member: string; answer: Answer; recordedAt: string }[];
  for (const { groupId, ...a } of answerRows) answers.set(groupId, [...(answers.get(groupId) ?? []), a]);
  const asked = new Set(
    (
      db
        .prepare(
          `SELECT g.id FROM groups g WHERE g.program_id = ? AND EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = '${ASK_PREFIX}' || g.id)`,
        )
        .all(programId) as { id: number }[]
    ).map((r) => r.id),
  );
  const outcomes = groups.map((g): ExportedOutcome => {
    const given = answers.get(g.id) ?? [];
    return {
      group: g.id,
      round: g.round,
      asked: asked.has(g.id),
      outcome: groupOutcome(given.map((a) => ({ reporterId: a.member, answer: a.answer }))),
      answers: given,
    };
  });
  return { rounds: rounds.map(({ id: _id, ...r }) => r), groups, members, outcomes };
}
