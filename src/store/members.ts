import { cleanName } from '../core/messages.js';
import type { PlatformUser } from '../core/types.js';
import { writeTransaction, type DB } from './db.js';

export type MemberState = 'active' | 'left' | 'removed' | 'kicked';

export interface Member {
  userId: string;
  name: string;
  /** Effective time zone: the operator's override, else the platform's. */
  timezone?: string;
  timezoneOverride?: string;
  attributes: Record<string, string>;
  state: MemberState;
  frequency: number;
  pauseUntil?: string;
  joinedOn: string;
  leftOn?: string;
  sitOuts: number;
  lastSatOut?: number;
}

/** The members table's columns in the order `toMember` reads them (rows are read as arrays: a 100,000-member program is read several times a round). */
const MEMBER_COLUMNS =
  'user_id, name, timezone, timezone_override, attributes, state, frequency, pause_until, joined_on, left_on, sit_outs, last_sat_out';

type MemberDbRow = [
  userId: string,
  name: string,
  timezone: string | null,
  timezoneOverride: string | null,
  attributes: string,
  state: MemberState,
  frequency: number,
  pauseUntil: string | null,
  joinedOn: string,
  leftOn: string | null,
  sitOuts: number,
  lastSatOut: number | null,
];

/** Optional fields are set only when present, in the order they are declared (JSON output keeps its shape). */
function toMember([
  userId,
  name,
  timezone,
  timezoneOverride,
  attributes,
  state,
  frequency,
  pauseUntil,
  joinedOn,
  leftOn,
  sitOuts,
  lastSatOut,
]: MemberDbRow): Member {
  const m = { userId, name } as Member;
  const tz = timezoneOverride ?? timezone;
  if (tz) m.timezone = tz;
  if (timezoneOverride) m.timezoneOverride = timezoneOverride;
  m.attributes = JSON.parse(attributes) as Record<string, string>;
  m.state = state;
  m.frequency = frequency;
  if (pauseUntil) m.pauseUntil = pauseUntil;
  m.joinedOn = joinedOn;
  if (leftOn) m.leftOn = leftOn;
  m.sitOuts = sitOuts;
  if (lastSatOut !== null) m.lastSatOut = lastSatOut;
  return m;
}

export function listMembers(db: DB, programId: number): Member[] {
  const rows = db
    .prepare(`SELECT ${MEMBER_COLUMNS} FROM members WHERE program_id = ? ORDER BY name COLLATE NOCASE, user_id`)
    .raw()
    .all(programId) as MemberDbRow[];
  return rows.map(toMember);
}

/** How a member is named and addressed in a message. */
/** How many members are in each state; `active` leaves out the paused (paused until after `today`), counted apart. */
export interface MemberCounts {
  active: number;
  paused: number;
  left: number;
  removed: number;
  kicked: number;
  total: number;
}

/** The one count of members that `pairbot status` and the moderators' `status` reply both show. */
export function countMembers(members: readonly Member[], today: string): MemberCounts {
  const counts: MemberCounts = { active: 0, paused: 0, left: 0, removed: 0, kicked: 0, total: members.length };
  for (const m of members) {
    if (m.state === 'active' && m.pauseUntil !== undefined && today < m.pauseUntil) counts.paused++;
    else counts[m.state]++;
  }
  return counts;
}

export type MemberAddress = Pick<Member, 'name' | 'timezone'>;

/**
 * Name and effective time zone of every member of the program by id, for commands that
 * address thousands of them (a round's messages, its report): two columns, not whole members.
 */
export function memberAddresses(db: DB, programId: number): Map<string, MemberAddress> {
  const rows = db
    .prepare('SELECT user_id, name, COALESCE(timezone_override, timezone) FROM members WHERE program_id = ?')
    .raw()
    .all(programId) as [string, string, string | null][];
  const out = new Map<string, MemberAddress>();
  for (const [userId, name, timezone] of rows) out.set(userId, timezone ? { name, timezone } : { name });
  return out;
}

/** Names of the program's active members by id, in list order (name, then id): what a roster sync compares against. */
export function activeMemberNames(db: DB, programId: number): Map<string, string> {
  const rows = db
    .prepare("SELECT user_id, name FROM members WHERE program_id = ? AND state = 'active' ORDER BY name COLLATE NOCASE, user_id")
    .raw()
    .all(programId) as [string, string][];
  return new Map(rows);
}

export function getMember(db: DB, programId: number, userId: string): Member | undefined {
  const row = db.prepare(`SELECT ${MEMBER_COLUMNS} FROM members WHERE program_id = ? AND user_id = ?`).raw().get(programId, userId) as
    | MemberDbRow
    | undefined;
  return row && toMember(row);
}

export interface SyncResult {
  joined: string[];
  rejoined: string[];
  left: string[];
}

/**
 * Brings the members table in line with the platform's roster: newcomers join,
 * absentees leave, and someone who comes back after leaving — or after `prune`
 * removed them from the place — rejoins with a fresh start. A kicked member, or a
 * removed one the bot could not take out of the place, stays out.
 */
export function syncMembers(db: DB, programId: number, users: readonly PlatformUser[], today: string): SyncResult {
  const result: SyncResult = { joined: [], rejoined: [], left: [] };
  const insert = db.prepare(`INSERT INTO members (program_id, user_id, name, timezone, attributes, joined_on) VALUES (?, ?, ?, ?, ?, ?)`);
  const refresh = db.prepare('UPDATE members SET name = ?, timezone = ?, attributes = ? WHERE program_id = ? AND user_id = ?');
  const rejoin = db.prepare("UPDATE members SET state = 'active', joined_on = ?, left_on = NULL WHERE program_id = ? AND user_id = ?");
  const leave = db.prepare(
    "UPDATE members SET state = CASE state WHEN 'active' THEN 'left' ELSE state END, left_on = ? WHERE program_id = ? AND user_id = ?",
  );
  writeTransaction(db, () => {
    // What the roster sets, as stored: a member whose name, time zone and attributes did not change is not rewritten.
    const existing = new Map<
      string,
      { name: string; timezone: string | null; attributes: string; state: MemberState; leftOn: string | null }
    >();
    const rows = db
      .prepare('SELECT user_id, name, timezone, attributes, state, left_on FROM members WHERE program_id = ?')
      .raw()
      .all(programId) as [string, string, string | null, string, MemberState, string | null][];
    for (const [userId, name, timezone, attributes, state, leftOn] of rows)
      existing.set(userId, { name, timezone, attributes, state, leftOn });
    const present = new Set<string>();
    for (const u of users) {
      present.add(u.id);
      const attrs = JSON.stringify(u.attributes ?? {});
      const name = cleanName(u.name) || u.id;
      const timezone = u.timezone ?? null;
      const m = existing.get(u.id);
      if (!m) {
        insert.run(programId, u.id, name, timezone, attrs, today);
        result.joined.push(u.id);
        continue;
      }
      if (m.name !== name || m.timezone !== timezone || m.attributes !== attrs) refresh.run(name, timezone, attrs, programId, u.id);
      if (m.state === 'left' || (m.state === 'removed' && m.leftOn)) {
        rejoin.run(today, programId, u.id);
        result.rejoined.push(u.id);
      }
    }
    for (const [userId, m] of existing) {
      if (present.has(userId) || m.leftOn) continue;
      leave.run(today, programId, userId);
      if (m.state === 'active') result.left.push(userId);
    }
  });
  return result;
}

export interface MemberChanges {
  frequency?: number;
  pauseUntil?: string | null;
  timezoneOverride?: string | null;
  state?: MemberState;
  joinedOn?: string;
  leftOn?: string | null;
}

export function updateMember(db: DB, programId: number, userId: string, changes: MemberChanges): void {
  const columns: Record<keyof MemberChanges, string> = {
    frequency: 'frequency',
    pauseUntil: 'pause_until',
    timezoneOverride: 'timezone_override',
    state: 'state',
    joinedOn: 'joined_on',
    leftOn: 'left_on',
  };
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, column] of Object.entries(columns) as [keyof MemberChanges, string][]) {
    if (changes[key] === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(changes[key]);
  }
  if (sets.length === 0) return;
  db.prepare(`UPDATE members SET ${sets.join(', ')} WHERE program_id = ? AND user_id = ?`).run(...values, programId, userId);
}

export function recordSitOut(db: DB, programId: number, userId: string, periodIndex: number): void {
  db.prepare('UPDATE members SET sit_outs = sit_outs + 1, last_sat_out = ? WHERE program_id = ? AND user_id = ?').run(
    periodIndex,
    programId,
    userId,
  );
}

export type PreferenceKind = 'prefer' | 'avoid';

export interface Preference {
  userId: string;
  otherId: string;
  kind: PreferenceKind;
  createdOn: string;
}

/**
 * Stores what one person wants about another. A person has at most one preference about
 * someone: a preference replaces an avoid of the same person and an avoid a preference (the
 * CLI and the inbox share this rule). Returns the kind it replaced, if any.
 */
export function setPreference(db: DB, programId: number, p: Preference): PreferenceKind | undefined {
  const other: PreferenceKind = p.kind === 'prefer' ? 'avoid' : 'prefer';
  const replaced = removePreference(db, programId, p.userId, p.otherId, other);
  db.prepare(
    `INSERT INTO preferences (program_id, user_id, other_id, kind, created_on) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (program_id, user_id, other_id, kind) DO UPDATE SET created_on = excluded.created_on`,
  ).run(programId, p.userId, p.otherId, p.kind, p.createdOn);
  return replaced ? other : undefined;
}

/** Takes a preference back; false when there was none. */
export function removePreference(db: DB, programId: number, userId: string, otherId: string, kind: PreferenceKind): boolean {
  return (
    db
      .prepare('DELETE FROM preferences WHERE program_id = ? AND user_id = ? AND other_id = ? AND kind = ?')
      .run(programId, userId, otherId, kind).changes > 0
  );
}

/** Someone asked to join (inbox): a newcomer is stored, someone who left or was removed comes back. */
export function joinMember(db: DB, programId: number, user: PlatformUser, today: string): void {
  db.prepare(
    `INSERT INTO members (program_id, user_id, name, timezone, attributes, joined_on) VALUES (?, ?, ?, ?, '{}', ?)
     ON CONFLICT (program_id, user_id) DO UPDATE SET state = 'active', joined_on = excluded.joined_on, left_on = NULL`,
  ).run(programId, user.id, cleanName(user.name) || user.id, user.timezone ?? null, today);
}

/** How much is stored about a person across every program of the database (what "my data" summarises). */
export function storedAbout(
  db: DB,
  userId: string,
): { programs: number; groups: number; feedbackAnswers: number; preferences: number; messages: number } {
  const n = (sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n;
  return {
    programs: n('SELECT COUNT(*) AS n FROM members WHERE user_id = ?', userId),
    groups: n('SELECT COUNT(*) AS n FROM group_members WHERE user_id = ?', userId),
    feedbackAnswers: n('SELECT COUNT(*) AS n FROM feedback WHERE reporter_id = ?', userId),
    preferences: n('SELECT COUNT(*) AS n FROM preferences WHERE user_id = ?', userId),
    messages: n('SELECT COUNT(*) AS n FROM outbox WHERE EXISTS (SELECT 1 FROM json_each(outbox.recipients) WHERE value = ?)', userId),
  };
}

export function listPreferences(db: DB, programId: number): Preference[] {
  return db
    .prepare('SELECT user_id AS userId, other_id AS otherId, kind, created_on AS createdOn FROM preferences WHERE program_id = ?')
    .all(programId) as Preference[];
}

/**
 * Deletes everything stored about a person: in one program (retention of members
 * long gone), or in every program of the database (`member forget`).
 */
export function forgetPerson(db: DB, userId: string, programId?: number): void {
  // `scope` is NULL for every program; the same statements serve both cases.
  const scope = programId ?? null;
  const inScope = (table: string) => `(? IS NULL OR ${table}.program_id = ?)`;
  writeTransaction(db, () => {
    db.prepare(`DELETE FROM members WHERE user_id = ? AND ${inScope('members')}`).run(userId, scope, scope);
    db.prepare(`DELETE FROM preferences WHERE (user_id = ? OR other_id = ?) AND ${inScope('preferences')}`).run(
      userId,
      userId,
      scope,
      scope,
    );
    db.prepare(`DELETE FROM feedback WHERE reporter_id = ? AND group_id IN (SELECT id FROM groups WHERE ${inScope('groups')})`).run(
      userId,
      scope,
      scope,
    );
    db.prepare(`DELETE FROM round_exclusions WHERE user_id = ? AND round_id IN (SELECT id FROM rounds WHERE ${inScope('rounds')})`).run(
      userId,
      scope,
      scope,
    );
    db.prepare(`DELETE FROM group_members WHERE user_id = ? AND group_id IN (SELECT id FROM groups WHERE ${inScope('groups')})`).run(
      userId,
      scope,
      scope,
    );
    db.prepare('DELETE FROM groups WHERE NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = groups.id)').run();
    // Messages addressed to them carry their name: they go too.
    db.prepare(`DELETE FROM skips WHERE user_id = ? AND ${inScope('skips')}`).run(userId, scope, scope);
    db.prepare(`DELETE FROM outbox WHERE EXISTS (SELECT 1 FROM json_each(outbox.recipients) WHERE value = ?) AND ${inScope('outbox')}`).run(
      userId,
      scope,
      scope,
    );
  });
}
