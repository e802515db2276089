import { currentGroups } from '../core/round.js';
import type { DB } from './db.js';

export type GroupSource = 'pair' | 'catch-up' | 'manual';
export type ExclusionReason = 'optedOut' | 'paused' | 'notDue' | 'satOut' | 'unpaired';

export interface RoundRow {
  id: number;
  period: string;
  periodIndex: number;
  seed: string;
  createdAt: string;
}

export interface StoredGroup {
  id: number;
  roundId: number | null;
  formedOn: string;
  source: GroupSource;
  memberIds: string[];
}

const ROUND_COLUMNS = 'id, period, period_index AS periodIndex, seed, created_at AS createdAt';

export function findRound(db: DB, programId: number, period: string): RoundRow | undefined {
  return db.prepare(`SELECT ${ROUND_COLUMNS} FROM rounds WHERE program_id = ? AND period = ?`).get(programId, period) as
    | RoundRow
    | undefined;
}

export function lastRound(db: DB, programId: number): RoundRow | undefined {
  return db.prepare(`SELECT ${ROUND_COLUMNS} FROM rounds WHERE program_id = ? ORDER BY period_index DESC LIMIT 1`).get(programId) as
    | RoundRow
    | undefined;
}

export interface NewRound {
  programId: number;
  period: string;
  periodIndex: number;
  seed: string;
  formedOn: string;
  groups: readonly (readonly string[])[];
  exclusions: readonly { userId: string; reason: ExclusionReason }[];
  createdAt: string;
}

/** Stores a round with its groups and exclusions; the caller wraps it in a transaction. */
/** Stores a round with its groups (ids in the order given) and exclusions. */
export function insertRound(db: DB, round: NewRound): { roundId: number; groupIds: number[] } {
  const roundId = Number(
    db
      .prepare('INSERT INTO rounds (program_id, period, period_index, seed, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(round.programId, round.period, round.periodIndex, round.seed, round.createdAt).lastInsertRowid,
  );
  const groupIds = round.groups.map((members) =>
    insertGroup(db, round.programId, roundId, round.formedOn, 'pair', members, round.createdAt),
  );
  const exclude = db.prepare('INSERT OR REPLACE INTO round_exclusions (round_id, user_id, reason) VALUES (?, ?, ?)');
  for (const e of round.exclusions) exclude.run(roundId, e.userId, e.reason);
  return { roundId, groupIds };
}

export function insertGroup(
  db: DB,
  programId: number,
  roundId: number | null,
  formedOn: string,
  source: GroupSource,
  memberIds: readonly string[],
  createdAt: string,
): number {
  const groupId = Number(
    db
      .prepare('INSERT INTO groups (program_id, round_id, formed_on, source, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(programId, roundId, formedOn, source, createdAt).lastInsertRowid,
  );
  const add = db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)');
  for (const id of memberIds) add.run(groupId, id);
  return groupId;
}

/** Adds people to an existing group (catch-up joins a lone member to a group). */
export function addToGroup(db: DB, groupId: number, memberIds: readonly string[]): void {
  const add = db.prepare('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)');
  for (const id of memberIds) add.run(groupId, id);
}

/** Rows of GROUP_SELECT, read as arrays (a round of 50,000 groups is read a few times per run). */
type GroupMemberRow = [id: number, roundId: number | null, formedOn: string, source: GroupSource, userId: string];

function collectGroups(rows: readonly GroupMemberRow[]): StoredGroup[] {
  const byId = new Map<number, StoredGroup>();
  for (const [id, roundId, formedOn, source, userId] of rows) {
    let g = byId.get(id);
    if (!g) {
      g = { id, roundId, formedOn, source, memberIds: [] };
      byId.set(id, g);
    }
    g.memberIds.push(userId);
  }
  return [...byId.values()];
}

const GROUP_SELECT = `SELECT g.id, g.round_id, g.formed_on, g.source, gm.user_id
  FROM groups g JOIN group_members gm ON gm.group_id = g.id`;

export function groupsOfRound(db: DB, roundId: number): StoredGroup[] {
  return collectGroups(db.prepare(`${GROUP_SELECT} WHERE g.round_id = ? ORDER BY g.id, gm.rowid`).raw().all(roundId) as GroupMemberRow[]);
}

/** Every group of a member in a program, newest first. */
export function groupsOfMember(db: DB, programId: number, userId: string): StoredGroup[] {
  return collectGroups(
    db
      .prepare(
        `${GROUP_SELECT} WHERE g.program_id = ? AND g.id IN (SELECT group_id FROM group_members WHERE user_id = ?)
         ORDER BY g.formed_on DESC, g.id DESC`,
      )
      .raw()
      .all(programId, userId) as GroupMemberRow[],
  );
}

/**
 * Members of a round's groups who are in none now: excluded since (catch-up told them their
 * partner left and they sit out the rest of the round), until catch-up places them again.
 * NOT EXISTS is one primary-key look-up a row, where NOT IN (a correlated list) read every
 * exclusion of the round for each row.
 */
const NOT_EXCLUDED = 'NOT EXISTS (SELECT 1 FROM round_exclusions e WHERE e.round_id = g.round_id AND e.user_id = gm.user_id)';

/**
 * Each member's group in a round now: the group they were placed in last (rows of
 * group_members are numbered in insertion order, so a catch-up join comes last); none for
 * someone excluded since.
 */
export function placementsOfRound(db: DB, roundId: number): Map<string, number> {
  const rows = db
    .prepare(
      `SELECT gm.user_id, gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.round_id = ? AND ${NOT_EXCLUDED} ORDER BY gm.rowid`,
    )
    .raw()
    .all(roundId) as [string, number][];
  return new Map(rows);
}

/** A round's groups as they stand: catch-up may have moved members since (see currentGroups). */
export function currentGroupsOfRound(db: DB, roundId: number): StoredGroup[] {
  return currentGroups(groupsOfRound(db, roundId), placementsOfRound(db, roundId));
}

/**
 * A member's group in a round as it stands: the group they were placed in last, with who is
 * placed there with them now (catch-up may have moved them, or moved their partners on; a
 * partner deleted since is gone). Undefined when they have no group in the round.
 */
export function placementOf(db: DB, roundId: number, userId: string): { group: StoredGroup; partners: string[] } | undefined {
  // Only the member's group and its members are read (an inbox `partner` asks this per message).
  const latest = db
    .prepare(
      `SELECT gm.group_id FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.round_id = ? AND gm.user_id = ? AND ${NOT_EXCLUDED} ORDER BY gm.rowid DESC LIMIT 1`,
    )
    .pluck();
  const groupId = latest.get(roundId, userId) as number | undefined;
  if (groupId === undefined) return undefined;
  const [group] = collectGroups(db.prepare(`${GROUP_SELECT} WHERE g.id = ? ORDER BY gm.rowid`).raw().all(groupId) as GroupMemberRow[]);
  return { group: group!, partners: group!.memberIds.filter((id) => id !== userId && latest.get(roundId, id) === groupId) };
}

export function exclusionsOfRound(db: DB, roundId: number): { userId: string; reason: ExclusionReason }[] {
  return db.prepare('SELECT user_id AS userId, reason FROM round_exclusions WHERE round_id = ? ORDER BY user_id').all(roundId) as never;
}

/**
 * Period index of each member's last paired round in the program (the due rule's input), of
 * everyone or only of the members named in `only`.
 */
export function lastGroupedIndex(db: DB, programId: number, only?: readonly string[]): Map<string, number> {
  const which = only ? 'AND gm.user_id IN (SELECT value FROM json_each(?))' : '';
  const rows = db
    .prepare(
      `SELECT gm.user_id, MAX(r.period_index) FROM group_members gm
       JOIN groups g ON g.id = gm.group_id JOIN rounds r ON r.id = g.round_id
       WHERE g.program_id = ? ${which} GROUP BY gm.user_id`,
    )
    .raw()
    .all(...(only ? [programId, JSON.stringify(only)] : [programId])) as [string, number][];
  return new Map(rows);
}

export interface PairMeeting {
  a: string;
  b: string;
  formedOn: string;
}

/**
 * Who met whom, across every program of the database on the same platform, so a
 * person in two communities never gets the same partner in both.
 */
export function meetingsOnPlatform(db: DB, platform: string): PairMeeting[] {
  return db
    .prepare(
      `SELECT a.user_id AS a, b.user_id AS b, g.formed_on AS formedOn
       FROM groups g JOIN programs p ON p.id = g.program_id
       JOIN group_members a ON a.group_id = g.id
       JOIN group_members b ON b.group_id = g.id AND a.user_id < b.user_id
       WHERE p.platform = ?`,
    )
    .all(platform) as PairMeeting[];
}

/** The latest round with groups formed before `today` (feedback asks about a round after its day). */
export function lastRoundBefore(db: DB, programId: number, today: string): RoundRow | undefined {
  return db
    .prepare(
      `SELECT ${ROUND_COLUMNS} FROM rounds r WHERE program_id = ?
       AND EXISTS (SELECT 1 FROM groups g WHERE g.round_id = r.id AND g.formed_on < ?)
       ORDER BY period_index DESC LIMIT 1`,
    )
    .get(programId, today) as RoundRow | undefined;
}

/** Rounds from `fromIndex` on, newest first. */
export function roundsSince(db: DB, programId: number, fromIndex: number): RoundRow[] {
  return db
    .prepare(`SELECT ${ROUND_COLUMNS} FROM rounds WHERE program_id = ? AND period_index >= ? ORDER BY period_index DESC`)
    .all(programId, fromIndex) as RoundRow[];
}

/** A member catch-up takes out of their group (their partner left): they sit out the rest of the round. */
export function excludeFromRound(db: DB, roundId: number, userId: string, reason: ExclusionReason): void {
  db.prepare('INSERT OR REPLACE INTO round_exclusions (round_id, user_id, reason) VALUES (?, ?, ?)').run(roundId, userId, reason);
}

/** A member placed by catch-up is no longer excluded from the round. */
export function clearExclusion(db: DB, roundId: number, userId: string): void {
  db.prepare('DELETE FROM round_exclusions WHERE round_id = ? AND user_id = ?').run(roundId, userId);
}

/** Was a meeting of exactly these two recorded by hand on that day? */
export function hasManualMeeting(db: DB, programId: number, a: string, b: string, on: string): boolean {
  return !!db
    .prepare(
      `SELECT 1 FROM groups g WHERE g.program_id = ? AND g.source = 'manual' AND g.formed_on = ?
       AND (SELECT COUNT(*) FROM group_members WHERE group_id = g.id AND user_id IN (?, ?)) = 2`,
    )
    .get(programId, on, a, b);
}
