import { tzOffset } from '@date-fns/tz';
import type { Candidate, Meeting, OddPolicy } from './matching-types.js';
import { isDue, nextPeriod, periodsSince, type Cadence, type Period } from './periods.js';

/** What the round planner needs to know about a member. */
export interface RosterEntry {
  id: string;
  frequency: number;
  /** Paired again from this local date on (YYYY-MM-DD). */
  pauseUntil?: string;
  /** Period index of the member's last round in a group. */
  lastGroupedIndex?: number;
  sitOuts: number;
  lastSatOut?: number;
  timezone?: string;
  attributes?: Readonly<Record<string, string>>;
}

export interface Exclusions {
  optedOut: string[];
  paused: string[];
  notDue: string[];
}

/**
 * Splits active members into candidates and the excluded, by reason. Someone
 * who sat out last round is due whatever their frequency: they were promised priority.
 */
export function selectCandidates(
  members: readonly RosterEntry[],
  period: Period,
  today: string,
  optedOut: ReadonlySet<string>,
): { candidates: RosterEntry[]; excluded: Exclusions } {
  const excluded: Exclusions = { optedOut: [], paused: [], notDue: [] };
  const candidates: RosterEntry[] = [];
  for (const m of members) {
    if (optedOut.has(m.id)) excluded.optedOut.push(m.id);
    else if (m.pauseUntil !== undefined && today < m.pauseUntil) excluded.paused.push(m.id);
    else if (!isDueIn(m, period)) excluded.notDue.push(m.id);
    else candidates.push(m);
  }
  return { candidates, excluded };
}

type DueFacts = Pick<RosterEntry, 'lastGroupedIndex' | 'frequency' | 'lastSatOut'>;

/** The due rule of a round: its frequency's periods since the last group, or sat out the period before (priority). */
function isDueIn(m: DueFacts, period: Period): boolean {
  return isDue(m.lastGroupedIndex, m.frequency, period) || m.lastSatOut === period.index - 1;
}

/**
 * The first round from `from` on that a member not paused is in: the due rule's, past the
 * rounds they skip. What the bot tells a member who comes back or asks when they are next paired.
 */
export function firstRoundFrom(m: DueFacts, from: Period, cadence: Cadence, skipped: ReadonlySet<string> = new Set()): Period {
  let period = from;
  // Due at the latest `frequency` periods after the last group; skips are a few periods each.
  for (let i = 0; i <= m.frequency + skipped.size && (skipped.has(period.key) || !isDueIn(m, period)); i++) {
    period = nextPeriod(period, cadence);
  }
  return period;
}

export interface DatedMeeting {
  a: string;
  b: string;
  /** Local date the group was formed, YYYY-MM-DD. */
  formedOn: string;
}

/** Meetings as the engine sees them: age in periods of this program's cadence. */
export function ageMeetings(meetings: readonly DatedMeeting[], period: Period, cadence: Cadence): Meeting[] {
  // Meetings come in rounds: a year of history has a few hundred distinct dates among millions of meetings.
  const ages = new Map<string, number>();
  return meetings.map((m) => {
    let age = ages.get(m.formedOn);
    if (age === undefined) {
      age = periodsSince(m.formedOn, period, cadence);
      ages.set(m.formedOn, age);
    }
    return { a: m.a, b: m.b, age };
  });
}

export interface PreferenceEntry {
  userId: string;
  otherId: string;
  kind: 'prefer' | 'avoid';
  createdOn: string;
}

/**
 * Avoids always hold; a preference holds until the two have met on or after the
 * day it was set (then it is fulfilled).
 */
export function activeConstraints(
  preferences: readonly PreferenceEntry[],
  meetings: readonly DatedMeeting[],
): { avoid: [string, string][]; prefer: [string, string][] } {
  const lastMet = new Map<string, string>();
  for (const m of meetings) {
    const key = m.a < m.b ? `${m.a}\u0000${m.b}` : `${m.b}\u0000${m.a}`;
    if ((lastMet.get(key) ?? '') < m.formedOn) lastMet.set(key, m.formedOn);
  }
  const avoid: [string, string][] = [];
  const prefer: [string, string][] = [];
  for (const p of preferences) {
    if (p.kind === 'avoid') avoid.push([p.userId, p.otherId]);
    else {
      const key = p.userId < p.otherId ? `${p.userId}\u0000${p.otherId}` : `${p.otherId}\u0000${p.userId}`;
      if ((lastMet.get(key) ?? '') < p.createdOn) prefer.push([p.userId, p.otherId]);
    }
  }
  return { avoid, prefer };
}

export function toCandidates(entries: readonly RosterEntry[], at: Date): Candidate[] {
  // A community has a few hundred time zones at most: each zone's offset is looked up once.
  const offsets = new Map<string, number>();
  const offsetOf = (timeZone: string): number => {
    let offset = offsets.get(timeZone);
    if (offset === undefined) {
      offset = tzOffset(timeZone, at);
      offsets.set(timeZone, offset);
    }
    return offset;
  };
  return entries.map((e) => {
    const c: Candidate = { id: e.id, sitOuts: e.sitOuts };
    if (e.lastSatOut !== undefined) c.lastSatOut = e.lastSatOut;
    if (e.timezone) c.utcOffsetMinutes = offsetOf(e.timezone);
    if (e.attributes && Object.keys(e.attributes).length) c.attributes = e.attributes;
    return c;
  });
}

export interface RoundGroup {
  id: number;
  source: 'pair' | 'catch-up' | 'manual';
  memberIds: readonly string[];
}

/**
 * Where each member of a round is now: the id of the group of their latest placement
 * (a catch-up join or regrouping comes after the round's own groups).
 */
export type Placement = ReadonlyMap<string, number>;

/**
 * Catch-up (mid-period): who is waiting for a group. A member with no group this
 * round who was not excluded on purpose (opted out, paused, not due), or whose
 * group has nobody active left in it now — partners who left or were kicked, or who
 * catch-up moved on (so a member resumed after a kick is placed again) — but never
 * someone catch-up already placed.
 */
export function selectWaiting(
  active: readonly RosterEntry[],
  groups: readonly RoundGroup[],
  placement: Placement,
  excludedOnPurpose: ReadonlySet<string>,
  stillActive: ReadonlySet<string>,
  period: Period,
  today: string,
): RosterEntry[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  return active.filter((m) => {
    if (excludedOnPurpose.has(m.id)) return false;
    if (m.pauseUntil !== undefined && today < m.pauseUntil) return false;
    const mine = groups.filter((g) => g.memberIds.includes(m.id));
    if (mine.length === 0) return isDue(m.lastGroupedIndex, m.frequency, period) || m.lastSatOut === period.index;
    if (mine.some((g) => g.source === 'catch-up')) return false;
    const now = byId.get(placement.get(m.id) ?? -1);
    return !now || now.memberIds.every((id) => id === m.id || !stillActive.has(id) || placement.get(id) !== now.id);
  });
}

/**
 * The largest group a lone waiting member may join at catch-up (0: none). One over the target
 * size, as a round places whoever the count leaves over; but pairs under PAIRBOT_ODD=sit-out
 * never grow into a trio: that member waits for someone to pair with. PAIRBOT_ODD applies to
 * pairs only, as in the engine: with larger groups a round grows one by a member.
 */
export function joinLimit(groupSize: number, odd: OddPolicy): number {
  return groupSize <= 2 && odd === 'sit-out' ? 0 : groupSize + 1;
}

/**
 * Where a lone waiting member joins: the smallest group of active members they
 * may be with, and among those the one whose members they met least recently.
 */
export function groupToJoin(
  memberId: string,
  groups: readonly RoundGroup[],
  stillActive: ReadonlySet<string>,
  avoid: readonly (readonly [string, string])[],
  history: readonly Meeting[],
  maxSize: number,
): RoundGroup | undefined {
  const avoided = new Set(avoid.filter(([a, b]) => a === memberId || b === memberId).map(([a, b]) => (a === memberId ? b : a)));
  const familiarity = new Map<string, number>();
  for (const m of history) {
    const other = m.a === memberId ? m.b : m.b === memberId ? m.a : undefined;
    if (other !== undefined) familiarity.set(other, (familiarity.get(other) ?? 0) + 1 / (1 + m.age));
  }
  const cost = (g: RoundGroup): number => g.memberIds.reduce((sum, id) => sum + (familiarity.get(id) ?? 0), 0);
  return [...groups]
    .filter((g) => g.source !== 'manual' && g.memberIds.length < maxSize && !g.memberIds.includes(memberId))
    .filter((g) => g.memberIds.every((id) => stillActive.has(id) && !avoided.has(id)))
    .sort((a, b) => a.memberIds.length - b.memberIds.length || cost(a) - cost(b) || a.id - b.id)[0];
}

/**
 * The round as it stands after catch-up: everyone appears once, in the group of their
 * latest placement; a group left with fewer than two such members is gone.
 */
export function currentGroups<G extends { id: number; memberIds: readonly string[] }>(groups: readonly G[], placement: Placement): G[] {
  return groups
    .map((g) => ({ ...g, memberIds: g.memberIds.filter((id) => placement.get(id) === g.id) }))
    .filter((g) => g.memberIds.length >= 2);
}

/**
 * Members whose avoids (their own or others') rule out every other member of
 * `ids`: the engine can never place them, so operators are told.
 */
export function ruledOutByAvoids(ids: readonly string[], avoid: readonly (readonly [string, string])[]): string[] {
  if (ids.length < 2) return [];
  const present = new Set(ids);
  const avoided = new Map<string, Set<string>>();
  for (const [a, b] of avoid) {
    if (!present.has(a) || !present.has(b) || a === b) continue;
    avoided.set(a, (avoided.get(a) ?? new Set()).add(b));
    avoided.set(b, (avoided.get(b) ?? new Set()).add(a));
  }
  return ids.filter((id) => (avoided.get(id)?.size ?? 0) === ids.length - 1);
}
