import { groupOutcome, type Answer, type Outcome } from '../core/feedback.js';
import type { DB } from './db.js';
import { ASK_PREFIX } from './outbox.js';
import type { ExclusionReason, GroupSource } from './rounds.js';
import { lastPausedDay, type MemberState } from '../core/members.js';

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
  /** The last paused day (SPEC §7's `pause until D`); the database holds the day after. */
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

/** The `export` document's tables (SPEC §8). */
export interface ProgramExport {
  rounds: ExportedRound[];
  groups: ExportedGroup[];
  members: ExportedMember[];
  outcomes: ExportedOutcome[];
}

/**
 * What `export` writes about one program, table by table, each read as it is written (one
 * pass of one query; a round's exclusions one round at a time), so a large program is
 * never held in memory. A group without members is not exported.
 */
export function* exportedRounds(db: DB, programId: number): Generator<ExportedRound> {
  const rounds = db
    .prepare(
      `SELECT r.id, r.period AS round, r.period_index AS periodIndex, r.seed, r.created_at AS createdAt,
         (SELECT COUNT(*) FROM groups g WHERE g.round_id = r.id) AS groups,
         (SELECT COUNT(DISTINCT gm.user_id) FROM groups g JOIN group_members gm ON gm.group_id = g.id WHERE g.round_id = r.id) AS paired
       FROM rounds r WHERE r.program_id = ? ORDER BY r.period_index`,
    )
    .all(programId) as (Omit<ExportedRound, 'excluded'> & { id: number })[];
  const exclusions = db.prepare('SELECT user_id, reason FROM round_exclusions WHERE round_id = ? ORDER BY user_id').raw(true);
  for (const { id, ...round } of rounds) {
    const excluded = Object.fromEntries(EXCLUSION_REASONS.map((k) => [k, [] as string[]])) as ExportedRound['excluded'];
    for (const [userId, reason] of exclusions.all(id) as [string, ExclusionReason][]) excluded[reason].push(userId);
    yield { ...round, excluded };
  }
}

const HAS_MEMBERS = 'EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id)';

/** Groups in the order they were formed; members in the order they were placed. */
export function* exportedGroups(db: DB, programId: number): Generator<ExportedGroup> {
  const rows = db
    .prepare(
      `SELECT g.id, r.period, g.formed_on, g.source,
         (SELECT json_group_array(gm.user_id ORDER BY gm.rowid) FROM group_members gm WHERE gm.group_id = g.id)
       FROM groups g LEFT JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? AND ${HAS_MEMBERS} ORDER BY g.formed_on, g.id`,
    )
    .raw(true)
    .iterate(programId) as IterableIterator<[number, string | null, string, GroupSource, string]>;
  for (const [id, round, formedOn, source, members] of rows)
    yield { id, round, formedOn, source, members: JSON.parse(members) as string[] };
}

export function* exportedMembers(db: DB, programId: number): Generator<ExportedMember> {
  const rows = db
    .prepare(
      `SELECT user_id AS id, name, state, frequency, pause_until AS pauseUntil, timezone, timezone_override AS timezoneOverride,
         joined_on AS joinedOn, left_on AS leftOn, sit_outs AS sitOuts, attributes
       FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`,
    )
    .iterate(programId) as IterableIterator<Omit<ExportedMember, 'attributes'> & { attributes: string }>;
  for (const m of rows) yield exportedMember(m);
}

/** A members row as exported: attributes parsed, the pause as its last paused day. */
export function exportedMember(row: Omit<ExportedMember, 'attributes'> & { attributes: string }): ExportedMember {
  return {
    ...row,
    pauseUntil: row.pauseUntil ? lastPausedDay(row.pauseUntil) : null,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
  };
}

/** Each exported group's outcome, in the groups' order. */
export function* exportedOutcomes(db: DB, programId: number): Generator<ExportedOutcome> {
  const rows = db
    .prepare(
      `SELECT g.id, r.period,
         EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = '${ASK_PREFIX}' || g.id),
         (SELECT json_group_array(json_array(f.reporter_id, f.answer, f.recorded_at) ORDER BY f.recorded_at, f.reporter_id, f.answer)
          FROM feedback f WHERE f.group_id = g.id)
       FROM groups g LEFT JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? AND ${HAS_MEMBERS} ORDER BY g.formed_on, g.id`,
    )
    .raw(true)
    .iterate(programId) as IterableIterator<[number, string | null, 0 | 1, string]>;
  for (const [group, round, asked, given] of rows) {
    const answers = (JSON.parse(given) as [string, Answer, string][]).map(([member, answer, recordedAt]) => ({
      member,
      answer,
      recordedAt,
    }));
    yield {
      group,
      round,
      asked: asked === 1,
      outcome: groupOutcome(answers.map((a) => ({ reporterId: a.member, answer: a.answer }))),
      answers,
    };
  }
}
