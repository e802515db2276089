import type { Answer } from '../core/feedback.js';
import { resolveWho, whoKey, type Named } from '../core/who.js';
import type { DB } from './db.js';
import { exportedMember, type ExportedMember } from './export.js';
import type { PreferenceKind } from './members.js';
import type { ExclusionReason, GroupSource } from './rounds.js';

/** Everything the database holds about one person, in every program (what `member forget` deletes). */
export interface PersonData {
  id: string;
  programs: {
    program: string;
    platform: string;
    member: ExportedMember | null;
    /** Only the preferences the person set: someone else's avoid of them is never revealed. */
    preferences: { kind: PreferenceKind; other: string; since: string }[];
    groups: { id: number; round: string | null; formedOn: string; source: GroupSource; with: string[] }[];
    exclusions: { round: string; reason: ExclusionReason }[];
    answers: { group: number; answer: Answer; recordedAt: string }[];
  }[];
  messages: {
    program: string;
    kind: string;
    round: string | null;
    status: string;
    body: string;
    createdAt: string;
    sentAt: string | null;
  }[];
  /** Rows of tables pairbot keeps about people beyond the above, by table (columns naming a person). */
  other: Record<string, Record<string, unknown>[]>;
}

const KNOWN_TABLES = new Set([
  'programs',
  'members',
  'preferences',
  'rounds',
  'round_exclusions',
  'groups',
  'group_members',
  'outbox',
  'posts',
  'feedback',
  'locks',
]);
/** Column names that hold the user id of the person a row is about (never `other_id`: someone's avoid stays theirs). */
const PERSON_COLUMNS = new Set(['user_id', 'member_id', 'reporter_id', 'author_id', 'from_id', 'sender_id']);

/**
 * The user id `who` names (core/who's rule): among the given program's members first,
 * then anyone in the database, then someone only found in groups.
 */
export function resolvePerson(db: DB, who: string, programId: number | undefined): string | undefined {
  const people = (sql: string, ...args: unknown[]): Named[] => db.prepare(sql).all(...args) as Named[];
  const inProgram =
    programId !== undefined
      ? resolveWho(who, people('SELECT user_id AS id, name FROM members WHERE program_id = ?', programId))
      : undefined;
  const found = inProgram ?? resolveWho(who, people('SELECT user_id AS id, MIN(name) AS name FROM members GROUP BY user_id'));
  if (found) return found.id;
  return (
    (db.prepare('SELECT user_id FROM group_members WHERE user_id = ? LIMIT 1').pluck().get(whoKey(who)) as string | undefined) ?? undefined
  );
}

export function readPerson(db: DB, userId: string): PersonData {
  const programs = db
    .prepare(
      `SELECT p.id, p.name, p.platform FROM programs p
       WHERE EXISTS (SELECT 1 FROM members m WHERE m.program_id = p.id AND m.user_id = ?)
          OR EXISTS (SELECT 1 FROM groups g JOIN group_members gm ON gm.group_id = g.id WHERE g.program_id = p.id AND gm.user_id = ?)
       ORDER BY p.name`,
    )
    .all(userId, userId) as { id: number; name: string; platform: string }[];
  const person: PersonData = { id: userId, programs: [], messages: [], other: {} };
  for (const p of programs) {
    const member = db
      .prepare(
        `SELECT user_id AS id, name, state, frequency, pause_until AS pauseUntil, timezone, timezone_override AS timezoneOverride,
           joined_on AS joinedOn, left_on AS leftOn, sit_outs AS sitOuts, attributes FROM members WHERE program_id = ? AND user_id = ?`,
      )
      .get(p.id, userId) as (Omit<ExportedMember, 'attributes'> & { attributes: string }) | undefined;
    const groupRows = db
      .prepare(
        `SELECT g.id, r.period AS round, g.formed_on AS formedOn, g.source, gm.user_id AS other
         FROM groups g JOIN group_members mine ON mine.group_id = g.id AND mine.user_id = ?
         JOIN group_members gm ON gm.group_id = g.id LEFT JOIN rounds r ON r.id = g.round_id
         WHERE g.program_id = ? ORDER BY g.formed_on, g.id, gm.rowid`,
      )
      .all(userId, p.id) as { id: number; round: string | null; formedOn: string; source: GroupSource; other: string }[];
    const groups = new Map<number, PersonData['programs'][number]['groups'][number]>();
    for (const row of groupRows) {
      const g = groups.get(row.id) ?? { id: row.id, round: row.round, formedOn: row.formedOn, source: row.source, with: [] };
      groups.set(row.id, g);
      if (row.other !== userId) g.with.push(row.other);
    }
    person.programs.push({
      program: p.name,
      platform: p.platform,
      member: member ? exportedMember(member) : null,
      preferences: db
        .prepare(
          'SELECT kind, other_id AS other, created_on AS since FROM preferences WHERE program_id = ? AND user_id = ? ORDER BY kind, other_id',
        )
        .all(p.id, userId) as never,
      groups: [...groups.values()],
      exclusions: db
        .prepare(
          `SELECT r.period AS round, e.reason FROM round_exclusions e JOIN rounds r ON r.id = e.round_id
           WHERE r.program_id = ? AND e.user_id = ? ORDER BY r.period_index`,
        )
        .all(p.id, userId) as never,
      answers: db
        .prepare(
          `SELECT f.group_id AS "group", f.answer, f.recorded_at AS recordedAt FROM feedback f JOIN groups g ON g.id = f.group_id
           WHERE g.program_id = ? AND f.reporter_id = ? ORDER BY f.recorded_at, f.group_id`,
        )
        .all(p.id, userId) as never,
    });
  }
  person.messages = db
    .prepare(
      // The copy the person got: the shared one where a post reached them with others, else their own where the message has one.
      `SELECT p.name AS program, o.kind, o.period AS round, o.status,
              CASE WHEN EXISTS (SELECT 1 FROM posts s WHERE s.outbox_id = o.id AND json_array_length(s.recipients) > 1
                                AND EXISTS (SELECT 1 FROM json_each(s.recipients) WHERE value = @user)) THEN o.body
                   ELSE COALESCE((SELECT value FROM json_each(o.own_bodies) WHERE key = @user), o.body) END AS body,
              o.created_at AS createdAt, o.sent_at AS sentAt
       FROM outbox o JOIN programs p ON p.id = o.program_id
       WHERE EXISTS (SELECT 1 FROM json_each(o.recipients) WHERE value = @user) ORDER BY o.created_at, o.id`,
    )
    .all({ user: userId }) as PersonData['messages'];
  const groupIds = person.programs.flatMap((p) => p.groups.map((g) => g.id));
  // Tables added for later features are included as they are, so "everything stored" stays true.
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
    name: string;
  }[];
  for (const { name } of tables) {
    if (KNOWN_TABLES.has(name)) continue;
    const all = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(name) as string[];
    const columns = all.filter((c) => PERSON_COLUMNS.has(c));
    // A table about groups (say the prompt each group got) holds what the person's groups received.
    const byGroup = all.includes('group_id') && groupIds.length > 0;
    if (columns.length === 0 && !byGroup) continue;
    const where = [...columns.map((c) => `"${c}" = ?`), ...(byGroup ? ['group_id IN (SELECT value FROM json_each(?))'] : [])].join(' OR ');
    const rows = db
      .prepare(`SELECT * FROM "${name}" WHERE ${where}`)
      .all(...columns.map(() => userId), ...(byGroup ? [JSON.stringify(groupIds)] : [])) as Record<string, unknown>[];
    if (rows.length > 0) person.other[name] = rows;
  }
  return person;
}
