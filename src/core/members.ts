/**
 * A program's members as plain data: who they are, in which order they are listed, and what a
 * roster sync does to them. Pure: the store reads and writes these, the commands compute with them.
 */
import { cleanName } from './messages.js';
import { addDays } from './periods.js';
import type { PlatformUser } from './types.js';

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

/**
 * A pause is stored as its first day back (`pauseUntil`: paused while today < it) and named,
 * read and shown everywhere as its last paused day D (SPEC §7: `pause until D` skips every
 * round formed on or before D). These two convert between them; nothing else should.
 */
export function lastPausedDay(pauseUntil: string): string {
  return addDays(pauseUntil, -1);
}

/** Days a pause may last from the day it is asked for, whichever way it is written (`pause 52 weeks`, `pause until D`). */
export const LONGEST_PAUSE_DAYS = 366;

/** What is wrong with a pause asked for on `day` whose first day back is `until`: over already, or longer than a year. */
export function pauseProblem(day: string, until: string): string | undefined {
  if (until <= day) return 'that date has passed';
  if (lastPausedDay(until) > addDays(day, LONGEST_PAUSE_DAYS)) return 'a pause can last at most a year';
  return undefined;
}

/** The stored `pauseUntil` of a pause whose last paused day is `lastDay`. */
export function pauseUntilAfter(lastDay: string): string {
  return addDays(lastDay, 1);
}

/** Whether a member is paused on `today`: in the program (kicked, left or removed say more than a pause) and before their first day back. */
export function isPaused(m: Pick<Member, 'state' | 'pauseUntil'>, today: string): boolean {
  return m.state === 'active' && m.pauseUntil !== undefined && today < m.pauseUntil;
}

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
    if (isPaused(m, today)) counts.paused++;
    else counts[m.state]++;
  }
  return counts;
}

/** How a member is named and addressed in a message, and whether they are still in the program. */
export type MemberAddress = Pick<Member, 'name' | 'timezone' | 'state'>;

interface SyncResult {
  joined: string[];
  rejoined: string[];
  left: string[];
}

/** A stored member with the time zone the platform gave (`timezone` is the effective one: an operator's override wins). */
export interface StoredMember {
  member: Member;
  platformTimezone?: string;
}

/** The members table as a roster sync leaves it, computed before anything is written (a dry run writes nothing). */
export interface RosterSync extends SyncResult {
  /** Every member of the program after the sync, in list order (name, then id; see byListOrder). */
  members: Member[];
  /** How many users the roster listed. */
  listed: number;
  /** The rows to write: new members, and members whose name, time zone, attributes or state the roster changed. */
  inserted: StoredMember[];
  changed: StoredMember[];
}

/**
 * Brings the members table in line with the platform's roster, as a computation on what is
 * stored: newcomers join, absentees leave, and someone who comes back after leaving — or
 * after `prune` removed them from the place — rejoins with a fresh start. A kicked member,
 * or a removed one the bot could not take out of the place, stays out. `stored` is every
 * member of the program; a user the roster lists twice counts once.
 */
export function planRosterSync(stored: readonly StoredMember[], users: readonly PlatformUser[], today: string): RosterSync {
  const sync: RosterSync = { joined: [], rejoined: [], left: [], members: [], listed: 0, inserted: [], changed: [] };
  /** Where each stored member is in `stored`, and NEW for a roster user not stored (one map: 100,000 members are looked up once each). */
  const index = new Map<string, number>();
  for (let i = 0; i < stored.length; i++) index.set(stored[i]!.member.userId, i);
  /** Each stored member the roster lists, as the sync leaves them (by index in `stored`). */
  const listed: (Member | undefined)[] = new Array(stored.length);
  for (const u of users) {
    const i = index.get(u.id);
    if (i === NEW || (i !== undefined && listed[i] !== undefined)) continue;
    sync.listed++;
    const attributes = u.attributes ?? {};
    const name = cleanName(u.name) || u.id;
    const timezone = u.timezone || undefined;
    if (i === undefined) {
      index.set(u.id, NEW);
      const member = { userId: u.id, name } as Member;
      if (timezone) member.timezone = timezone;
      member.attributes = attributes;
      member.state = 'active';
      member.frequency = 1;
      member.joinedOn = today;
      member.sitOuts = 0;
      sync.inserted.push(timezone ? { member, platformTimezone: timezone } : { member });
      sync.joined.push(u.id);
      continue;
    }
    const s = stored[i]!;
    const m = s.member;
    let next = m;
    // What the roster sets, as stored: a member whose name, time zone and attributes did not change is not rewritten.
    if (m.name !== name || s.platformTimezone !== timezone || !sameAttributes(m.attributes, attributes)) {
      const { timezone: _effective, ...rest } = m;
      const effective = m.timezoneOverride ?? timezone;
      next = reorder({ ...rest, name, attributes, ...(effective ? { timezone: effective } : {}) });
    }
    if (m.state === 'left' || (m.state === 'removed' && m.leftOn)) {
      const { leftOn: _gone, ...rest } = next;
      next = reorder({ ...rest, state: 'active', joinedOn: today });
      sync.rejoined.push(u.id);
    }
    if (next !== m) sync.changed.push(timezone ? { member: next, platformTimezone: timezone } : { member: next });
    listed[i] = next;
  }
  // In the stored order, then the newcomers: sorting a list that is mostly in order already is linear.
  for (let i = 0; i < stored.length; i++) {
    const s = stored[i]!;
    const m = s.member;
    const next = listed[i];
    if (next !== undefined) sync.members.push(next);
    else if (m.leftOn) sync.members.push(m);
    else {
      const gone = reorder({ ...m, state: m.state === 'active' ? 'left' : m.state, leftOn: today });
      if (m.state === 'active') sync.left.push(m.userId);
      sync.changed.push({ ...s, member: gone });
      sync.members.push(gone);
    }
  }
  for (const { member } of sync.inserted) sync.members.push(member);
  sync.members.sort(byListOrder);
  return sync;
}

/** Marks a roster user not stored yet in planRosterSync's index. */
const NEW = -1;

/** Whether two attribute sets are the same, keys in the same order (as their stored JSON would be). */
function sameAttributes(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]!] !== b[kb[i]!]) return false;
  return true;
}

/** A member's fields in the order toMember sets them (JSON output keeps its shape whichever way a member was made). */
function reorder(m: Member): Member {
  return {
    userId: m.userId,
    name: m.name,
    ...(m.timezone ? { timezone: m.timezone } : {}),
    ...(m.timezoneOverride ? { timezoneOverride: m.timezoneOverride } : {}),
    attributes: m.attributes,
    state: m.state,
    frequency: m.frequency,
    ...(m.pauseUntil ? { pauseUntil: m.pauseUntil } : {}),
    joinedOn: m.joinedOn,
    ...(m.leftOn ? { leftOn: m.leftOn } : {}),
    sitOuts: m.sitOuts,
    ...(m.lastSatOut !== undefined ? { lastSatOut: m.lastSatOut } : {}),
  };
}

/**
 * The order members are listed in, everywhere (and the order the engine receives them in, so a
 * seed replays the same round): by name ignoring ASCII case, then by id. The same order as SQLite's
 * `ORDER BY name COLLATE NOCASE, user_id`, which compares UTF-8 bytes: code points, not UTF-16 units.
 */
function byListOrder(a: Pick<Member, 'name' | 'userId'>, b: Pick<Member, 'name' | 'userId'>): number {
  return compareCodePoints(a.name, b.name, true) || compareCodePoints(a.userId, b.userId, false);
}

/** Ids in the store's order (`ORDER BY user_id`: UTF-8 bytes, so code points). */
export function compareIds(a: string, b: string): number {
  return compareCodePoints(a, b, false);
}

function compareCodePoints(a: string, b: string, foldAscii: boolean): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (foldAscii) {
      if (x >= 65 && x <= 90) x += 32;
      if (y >= 65 && y <= 90) y += 32;
      if (x === y) continue;
    }
    // Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF in UTF-8.
    return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  return u >= 0xe000 ? u - 0x800 : u;
}
