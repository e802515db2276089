import { cleanName } from '../core/messages.js';
import { planRosterSync, type Member, type MemberAddress, type MemberState, type RosterSync, type StoredMember } from '../core/members.js';
import type { PlatformUser } from '../core/types.js';
import { writeTransaction, type DB } from './db.js';

/**
 * A member row as a JSON array, the columns in the order `toMember` reads them, attributes as an object.
 * Many rows are read as one JSON document SQLite builds (`json_group_array`): a 100,000-member
 * program is read in half the time it takes better-sqlite3 to convert 1,200,000 values one by one.
 */
const MEMBER_JSON =
  'json_array(user_id, name, timezone, timezone_override, json(attributes), state, frequency, pause_until, joined_on, left_on, sit_outs, last_sat_out)';

/** Members of the program as JSON rows, in list order (name ignoring ASCII case, then id). */
function memberRows(db: DB, programId: number): MemberDbRow[] {
  const json = db
    .prepare(`SELECT json_group_array(${MEMBER_JSON} ORDER BY name COLLATE NOCASE, user_id) FROM members WHERE program_id = ?`)
    .pluck()
    .get(programId) as string;
  return JSON.parse(json) as MemberDbRow[];
}

type MemberDbRow = [
  userId: string,
  name: string,
  timezone: string | null,
  timezoneOverride: string | null,
  attributes: Record<string, string>,
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
  m.attributes = attributes;
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
  return memberRows(db, programId).map(toMember);
}

/**
 * Name, effective time zone and state of every member of the program by id, for commands that
 * address or deliver to thousands of them (a round's messages, its report): three columns, not
 * whole members.
 */
export function memberAddresses(db: DB, programId: number): Map<string, MemberAddress> {
  const rows = db
    .prepare('SELECT user_id, name, COALESCE(timezone_override, timezone), state FROM members WHERE program_id = ?')
    .raw()
    .all(programId) as [string, string, string | null, MemberState][];
  const out = new Map<string, MemberAddress>();
  for (const [userId, name, timezone, state] of rows) out.set(userId, timezone ? { name, timezone, state } : { name, state });
  return out;
}

export function getMember(db: DB, programId: number, userId: string): Member | undefined {
  const row = db.prepare(`SELECT ${MEMBER_JSON} FROM members WHERE program_id = ? AND user_id = ?`).pluck().get(programId, userId) as
    | string
    | undefined;
  return row === undefined ? undefined : toMember(JSON.parse(row) as MemberDbRow);
}

/** Every member of the program with the platform's time zone: what a roster sync compares against. */
export function listStoredMembers(db: DB, programId: number): StoredMember[] {
  return memberRows(db, programId).map((row) => (row[2] ? { member: toMember(row), platformTimezone: row[2] } : { member: toMember(row) }));
}

/** Writes what planRosterSync decided; the caller wraps it in a write transaction (with what else it writes). */
export function applyRosterSync(db: DB, programId: number, sync: RosterSync): void {
  const insert = db.prepare(
    'INSERT INTO members (program_id, user_id, name, timezone, attributes, state, frequency, joined_on, sit_outs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const { member: m, platformTimezone } of sync.inserted)
    insert.run(
      programId,
      m.userId,
      m.name,
      platformTimezone ?? null,
      JSON.stringify(m.attributes),
      m.state,
      m.frequency,
      m.joinedOn,
      m.sitOuts,
    );
  const update = db.prepare(
    'UPDATE members SET name = ?, timezone = ?, attributes = ?, state = ?, joined_on = ?, left_on = ? WHERE program_id = ? AND user_id = ?',
  );
  for (const { member: m, platformTimezone } of sync.changed)
    update.run(m.name, platformTimezone ?? null, JSON.stringify(m.attributes), m.state, m.joinedOn, m.leftOn ?? null, programId, m.userId);
}

/** Reads the roster into the members table at once (planRosterSync, then applyRosterSync, in one transaction). */
export function syncMembers(db: DB, programId: number, users: readonly PlatformUser[], today: string): RosterSync {
  return writeTransaction(db, () => {
    const sync = planRosterSync(listStoredMembers(db, programId), users, today);
    applyRosterSync(db, programId, sync);
    return sync;
  });
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
