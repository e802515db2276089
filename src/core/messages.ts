/**
 * Every text pairbot sends, as pure render functions. User-supplied text (names,
 * time zones) passes through `neutraliseMentions`; platform mentions are made by
 * the adapter and passed in ready-made.
 */

import { clock, dayRange, duration, offsetLabel, suggestMeetingTime, type MeetingSuggestion, type WorkingHours } from './meeting-time.js';
import type { Cadence, Period } from './periods.js';

const ZWSP = '\u200b';

/** "1 group", "2 groups": counts in operator output read naturally. */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

/** Makes mass mentions and role pings in user-supplied text inert. */
export function neutraliseMentions(text: string): string {
  return text
    .replace(/@(everyone|here|channel|all)\b/gi, `@${ZWSP}$1`)
    .replace(/<@&/g, `<${ZWSP}@&`)
    .replace(/<@!?(\d)/g, `<${ZWSP}@$1`);
}

/**
 * A name as stored and shown: control characters (line breaks included) become
 * spaces and bidirectional overrides go, so a name can neither break a line or
 * table nor make the text around it read backwards.
 */
export function cleanName(name: string): string {
  return name
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A name as one item of a list: quoted when a comma, "+" or quote in it would read as a separator. */
export function listItem(name: string): string {
  return /[,+"]/.test(name) ? JSON.stringify(name) : name;
}

/** A group member as it appears in a message. */
export interface Addressee {
  /** Platform mention, made by the adapter (`@alice`, `<@123>`). */
  mention: string;
  timezone?: string;
}

const cadenceWord: Record<Cadence, string> = { daily: "today's", weekly: "this week's", monthly: "this month's" };
const nextWord: Record<Cadence, string> = { daily: 'tomorrow', weekly: 'next week', monthly: 'next month' };

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function withZone(a: Addressee): string {
  return a.timezone ? `${a.mention} (${neutraliseMentions(a.timezone)})` : a.mention;
}

/** "Time zones: @a (Europe/Berlin), @b (UTC); @c has not set one." — empty when nobody's is known. */
function timeZonesLine(members: readonly Addressee[]): string {
  const known = members.filter((m) => m.timezone);
  if (known.length === 0) return '';
  const unknown = members.filter((m) => !m.timezone).map((m) => m.mention);
  const rest = unknown.length ? `; ${list(unknown)} ${unknown.length === 1 ? 'has' : 'have'} not set one` : '';
  return `Time zones: ${known.map(withZone).join(', ')}${rest}.`;
}

/** What the members of a group of this size are meeting for: two have a 1-on-1, more a group chat. */
function meetingWord(size: number): string {
  return size > 2 ? 'group chat' : '1-on-1';
}

/**
 * "🕒 When to meet: …" for the members with a known time zone, read at the round's first
 * day; empty when fewer than two have one.
 */
export function meetingTimeLine(members: readonly Addressee[], hours: WorkingHours, period: Period): string {
  const known = members.filter((m): m is Addressee & { timezone: string } => !!m.timezone);
  const suggestion = suggestMeetingTime(
    known.map((m) => ({ key: m.mention, timezone: m.timezone })),
    hours,
    new Date(`${period.start}T12:00:00Z`),
  );
  return suggestion ? describeMeetingTime(suggestion, hours) : '';
}

function describeMeetingTime(s: MeetingSuggestion, hours: WorkingHours): string {
  const range = `${clock(hours.start)}–${clock(hours.end)}`;
  const offsets = new Set(s.members.map((m) => m.offset));
  if (offsets.size === 1) return `🕒 When to meet: you share a clock (${offsetLabel(s.members[0]!.offset)}), so any time in your working hours (Mon–Fri ${range}) suits you all.`;
  const each = s.members.map((m) => {
    const strain = m.outside === 0 ? '' : `, ${duration(Math.abs(m.outside))} ${m.outside < 0 ? 'before' : 'after'} working hours`;
    return `${m.key} ${dayRange(m.days)} ${clock(m.start)}–${clock(m.end)} (${offsetLabel(m.offset)}${strain})`;
  });
  return s.overlap
    ? `🕒 When to meet: your working hours (${range}) overlap for ${duration(s.minutes)}: ${list(each)}.`
    : `🕒 When to meet: your working hours (${range}) do not overlap; the least-bad hour is ${list(each)}.`;
}

export interface IntroOptions {
  /** The group reads this in one conversation, so "reply here" reaches everyone; otherwise each member got their own copy. */
  shared?: boolean;
  /** Members' working hours, for the meeting-time hint; no hint without them. */
  workingHours?: WorkingHours;
  /** A conversation prompt to start with. */
  icebreaker?: string;
}

export function renderIntro(members: readonly Addressee[], period: Period, cadence: Cadence, options: IntroOptions = {}): string {
  const shared = options.shared ?? true;
  const others = members.length > 2 ? 'your group' : 'your partner';
  const everyone = members.length > 2 ? 'all of you' : 'you both';
  return [
    `👋 Hi ${list(members.map((m) => m.mention))}! You are ${members.length > 2 ? 'grouped' : 'paired'} for ${cadenceWord[cadence]} ${meetingWord(members.length)} (round ${period.key}).`,
    timeZonesLine(members),
    options.workingHours ? meetingTimeLine(members, options.workingHours, period) : '',
    options.icebreaker ? `💬 To break the ice: ${neutraliseMentions(options.icebreaker)}` : '',
    shared
      ? `Reply here to find a time that suits ${everyone}; a short video call or coffee is perfect.`
      : `Each of you got this message on your own: message ${others} directly (click a name above) to find a time that suits ${everyone}; a short video call or coffee is perfect.`,
    `Can't make it? Tell ${others}${shared ? ' here' : ''}. To skip a round, react ❌ on the opt-out announcement posted before each round; to pause for longer, ask a moderator.`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderSitOut(member: Addressee, period: Period, cadence: Cadence): string {
  return [
    `Hi ${member.mention}, there was an odd number of people for round ${period.key}, so you sit this one out.`,
    `That was picked fairly (whoever sat out least recently goes first), and you have priority ${nextWord[cadence]}.`,
  ].join('\n');
}

/**
 * Says nothing about why beyond "the only one available": the reason may be
 * someone's avoid, which is never revealed, and it promises no priority, which
 * the engine does not give.
 */
export function renderUnpaired(member: Addressee, period: Period, alone: boolean): string {
  const why = alone ? 'you were the only one available this round' : 'I could not find a partner for you this time, sorry';
  return `Hi ${member.mention}, you have no group for round ${period.key}: ${why}. You stay in the rotation for the next rounds; nothing to do on your side.`;
}

export function renderOptOutAnnouncement(period: Period, pairingDay: string, cadence: Cadence): string {
  return [
    `☕ Pairing for round ${period.key} happens on ${pairingDay}.`,
    `React with ❌ on this post to sit this round out; remove the reaction to change your mind before then.`,
    `Want a longer break or a different rhythm (e.g. every other ${cadence === 'monthly' ? 'month' : cadence === 'daily' ? 'day' : 'week'})? Ask a moderator to pause you or change your frequency.`,
  ].join('\n');
}

export function renderFeedbackAsk(members: readonly Addressee[], period: Period, reminder: boolean): string {
  return [
    `${reminder ? '⏰ Checking again' : '📝 Quick check'}, ${list(members.map((m) => m.mention))}: did your ${meetingWord(members.length)} for round ${period.key} happen?`,
    'React ✅ if you met, ❌ if it did not happen, 📅 if it is scheduled.',
  ].join('\n');
}

export function renderUnreachableNote(unreachable: readonly Addressee[], period: Period): string {
  return `Heads-up for round ${period.key}: I could not message ${list(unreachable.map((m) => m.mention))} directly (their DMs may be closed). Please reach out to them yourself on the server.`;
}

export function renderRemoval(member: Addressee, misses: number, rejoinHint: string): string {
  return [
    `Hi ${member.mention}, your last ${misses} pairings were reported as not having happened, so I have taken you out of the 1-on-1 rotation for now.`,
    `No hard feelings — it is only so your future partners are not left waiting. ${rejoinHint}`,
  ].join('\n');
}

export function renderJoin(newcomer: Addressee, group: readonly Addressee[], period: Period): string {
  return `👋 ${list(group.map((m) => m.mention))}: ${withZone(newcomer)} joins your group for round ${period.key}. Welcome them and find a time that suits everyone!`;
}
