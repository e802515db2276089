/**
 * Every text pairbot sends, as pure render functions. User-supplied text (names,
 * time zones) passes through `neutraliseMentions`; platform mentions are made by
 * the adapter and passed in ready-made.
 */

import {
  clock,
  DAY,
  dayRange,
  duration,
  offsetLabel,
  suggestMeetingTime,
  type MeetingSuggestion,
  type WorkingHours,
} from './meeting-time.js';
import type { Cadence, Period } from './periods.js';

import { Memo } from './memo.js';
import { neutraliseMentions } from './mentions.js';
import { renderTemplate, type TemplateOverrides } from './templates.js';
import type { PlatformKind } from './types.js';

export { neutraliseMentions };

/** "1 group", "2 groups": counts in operator output read naturally. */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
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
const unitWord: Record<Cadence, string> = { daily: 'day', weekly: 'week', monthly: 'month' };
const thisWord: Record<Cadence, string> = { daily: 'today', weekly: 'this week', monthly: 'this month' };

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
 * When to meet, for the members with a known time zone, read at the round's first day;
 * empty when fewer than two have one. With a `reader` (the member a copy is for), their
 * own local time comes first and the others' follow.
 */
function meetingTimeText(members: readonly Addressee[], hours: WorkingHours, period: Period, reader?: string): string {
  const known = members.filter((m): m is Addressee & { timezone: string } => !!m.timezone);
  const readerAt = reader === undefined ? -1 : known.findIndex((m) => m.mention === reader);
  const parts = meetingTexts.get(JSON.stringify([hours.start, hours.end, period.start, readerAt, known.map((m) => m.timezone)]), () =>
    meetingTimeParts(
      known.map((m) => m.timezone),
      hours,
      period,
      readerAt,
    ),
  );
  return parts.map((part, i) => (i % 2 === 1 ? known[Number(part)]!.mention : part)).join('');
}

/**
 * The text depends on the members' time zones, not on who they are: a round of 50,000 groups
 * has a few dozen distinct sets. It is kept with each member's mention left out, as text and
 * member numbers alternating (["overlap for 7 h: ", "0", " Mon–Fri …"]).
 */
const meetingTexts = new Memo<string[]>();
const PLACE = '\u0000';

function meetingTimeParts(timezones: readonly string[], hours: WorkingHours, period: Period, readerAt: number): string[] {
  const placeholder = (i: number): string => `${PLACE}${i}${PLACE}`;
  const suggestion = suggestMeetingTime(
    timezones.map((timezone, i) => ({ key: placeholder(i), timezone })),
    hours,
    new Date(`${period.start}T12:00:00Z`),
  );
  // Only the placeholders hold PLACE: the rest is pairbot's own words, clocks and offsets.
  return suggestion ? describeMeetingTime(suggestion, hours, readerAt === -1 ? undefined : placeholder(readerAt)).split(PLACE) : [''];
}

type LocalWindow = MeetingSuggestion['members'][number];

/** "Mon–Thu 16:00–18:00"; an overlap of a day or more (working hours 00:00–24:00) "Mon 17:00 – Fri 24:00". */
function localWindow(m: LocalWindow): string {
  if (m.days.length === 1 && m.end - m.start >= DAY) {
    const last = m.days[0]! + Math.floor((m.end - 1) / DAY);
    return `${dayRange(m.days)} ${clock(m.start)} – ${dayRange([last])} ${clock(m.end)}`;
  }
  return `${dayRange(m.days)} ${clock(m.start)}–${clock(m.end)}`;
}

/** "UTC−8, 1 h after working hours" */
function offsetAndStrain(m: LocalWindow, whose: string): string {
  const strain = m.outside === 0 ? '' : `, ${duration(Math.abs(m.outside))} ${m.outside < 0 ? 'before' : 'after'} ${whose}working hours`;
  return `${offsetLabel(m.offset)}${strain}`;
}

function describeMeetingTime(s: MeetingSuggestion, hours: WorkingHours, reader?: string): string {
  const range = `${clock(hours.start)}–${clock(hours.end)}`;
  const offsets = new Set(s.members.map((m) => m.offset));
  if (offsets.size === 1)
    return `you share a clock (${offsetLabel(s.members[0]!.offset)}), so any time in your working hours (Mon–Fri ${range}) suits you all.`;
  const head = s.overlap
    ? `your working hours (${range}) overlap for ${duration(s.minutes)}:`
    : `your working hours (${range}) do not overlap; the least-bad hour is`;
  const own = s.members.find((m) => m.key === reader);
  if (!own) return `${head} ${list(s.members.map((m) => `${m.key} ${localWindow(m)} (${offsetAndStrain(m, '')})`))}.`;
  const others = s.members.filter((m) => m !== own).map((m) => `${localWindow(m)} for ${m.key} (${offsetAndStrain(m, '')})`);
  return `${head} ${localWindow(own)} your time (${offsetAndStrain(own, 'your ')}); that is ${list(others)}.`;
}

export interface IntroOptions {
  /** The group reads this in one conversation, so "reply here" reaches everyone; otherwise each member got their own copy. */
  shared?: boolean;
  /** Members' working hours, for the meeting-time hint; no hint without them. */
  workingHours?: WorkingHours;
  /** A conversation prompt to start with. */
  icebreaker?: string;
  /** A late joiner added to an existing group: the intro says so. */
  joined?: Addressee;
  /**
   * The mention of the member this copy is for, when each member gets their own: the
   * meeting time is told in their local time first. Without it, every member's is listed.
   */
  reader?: string;
  templates?: TemplateOverrides;
}

export function renderIntro(members: readonly Addressee[], period: Period, cadence: Cadence, options: IntroOptions = {}): string {
  const shared = options.shared ?? true;
  const group = members.length > 2;
  const partner = group ? 'your group' : 'your partner';
  return renderTemplate(
    'intro.md',
    {
      members: list(members.map((m) => m.mention)),
      round: period.key,
      paired: group ? 'grouped' : 'paired',
      when: cadenceWord[cadence],
      meeting: meetingWord(members.length),
      partner,
      everyone: group ? 'all of you' : 'you both',
      joined: options.joined ? `${withZone(options.joined)} joins your group: welcome them!` : '',
      time_zones: timeZonesLine(members),
      meeting_time: options.workingHours ? meetingTimeText(members, options.workingHours, period, options.reader) : '',
      icebreaker: options.icebreaker ? neutraliseMentions(options.icebreaker) : '',
      reach_out: shared ? 'Reply here' : `Each of you got this message on your own: message ${partner} directly (click a name above)`,
      here: shared ? ' here' : '',
    },
    options.templates,
  );
}

export function renderSitOut(member: Addressee, period: Period, cadence: Cadence, templates?: TemplateOverrides): string {
  return renderTemplate(
    'sit-out.md',
    {
      member: member.mention,
      round: period.key,
      reason: 'there was an odd number of people, so you sit this one out.',
      next: `That was picked fairly (whoever sat out least recently goes first), and you have priority ${nextWord[cadence]}.`,
    },
    templates,
  );
}

/** Why a member waits at catch-up when no pair may grow into a trio (PAIRBOT_ODD=sit-out; pairs only). */
export type WaitReason = 'partnerLeft' | 'late';

/**
 * To a member catch-up leaves waiting under PAIRBOT_ODD=sit-out: their partner left the program
 * after the round was formed (they get a sit-out's priority), or the round was paired before they
 * were available (joined or came back since; a pause over mid-round waits for the next round)
 * and nobody is left to pair them with: not "nobody else is waiting", which an avoid between two
 * late joiners makes untrue (and the avoid is never said). `dueIn` is the round they are in next:
 * not the next one for someone grouped this round (then away) who meets every few rounds.
 */
export function renderWaiting(
  member: Addressee,
  period: Period,
  cadence: Cadence,
  why: WaitReason,
  dueIn: { round: Period; every: number },
  templates?: TemplateOverrides,
): string {
  const meanwhile = 'if someone joins before then I pair you with them.';
  const later = `You are in round ${dueIn.round.key}, as you meet every ${dueIn.every} ${unitWord[cadence]}s; if someone joins ${thisWord[cadence]} I pair you with them.`;
  return renderTemplate(
    'sit-out.md',
    {
      member: member.mention,
      round: period.key,
      reason:
        why === 'partnerLeft'
          ? 'your partner is no longer in the program, so you sit out the rest of this round.'
          : 'it was paired before you were available, and there is nobody to pair you with yet.',
      next:
        why === 'partnerLeft'
          ? `Sorry about that: you have priority ${nextWord[cadence]}, and ${meanwhile}`
          : dueIn.round.index === period.index + 1
            ? `You are in ${nextWord[cadence]}'s round; ${meanwhile}`
            : later,
    },
    templates,
  );
}

/**
 * Says nothing about why beyond "the only one available": the reason may be
 * someone's avoid, which is never revealed, and it promises no priority, which
 * the engine does not give.
 */
export function renderUnpaired(member: Addressee, period: Period, alone: boolean, templates?: TemplateOverrides): string {
  return renderTemplate(
    'sit-out.md',
    {
      member: member.mention,
      round: period.key,
      reason: alone ? 'you were the only one available this round.' : 'I could not find a partner for you this time, sorry.',
      next: 'You stay in the rotation for the next rounds; nothing to do on your side.',
    },
    templates,
  );
}

/**
 * How else a member reaches the bot: a DM, which on Discord the bot reads only in a
 * conversation it opened itself (it has no gateway to learn of new ones).
 */
function directMessageHint(platform: PlatformKind): string {
  return platform === 'discord' ? 'or send me a direct message once I have messaged you' : 'or send me a direct message';
}

export function renderOptOutAnnouncement(
  period: Period,
  pairingDay: string,
  cadence: Cadence,
  platform: PlatformKind,
  templates?: TemplateOverrides,
): string {
  return renderTemplate(
    'optout.md',
    { round: period.key, pairing_day: pairingDay, unit: unitWord[cadence], direct_message: directMessageHint(platform) },
    templates,
  );
}

export function renderFeedbackAsk(members: readonly Addressee[], period: Period, reminder: boolean, templates?: TemplateOverrides): string {
  return renderTemplate(
    'feedback.md',
    {
      opening: reminder ? '⏰ Checking again' : '📝 Quick check',
      members: list(members.map((m) => m.mention)),
      meeting: meetingWord(members.length),
      round: period.key,
    },
    templates,
  );
}

export function renderUnreachableNote(unreachable: readonly Addressee[], period: Period, templates?: TemplateOverrides): string {
  return renderTemplate('unreachable.md', { unreachable: list(unreachable.map((m) => m.mention)), round: period.key }, templates);
}

export function renderRemoval(member: Addressee, misses: number, rejoinHint: string, templates?: TemplateOverrides): string {
  return renderTemplate('removed.md', { member: member.mention, misses: String(misses), rejoin: rejoinHint }, templates);
}

/** The moderators' commands (SPEC §7), listed in the help a moderator gets. */
const MODERATOR_HELP =
  'As a moderator you can also write `kick @x`, `pause @x 2 weeks`, `resume @x`, `frequency @x 2`, `status` and `members`.';

/** The reply to a message that is not a command, and to `help`: what the bot understands. */
export function renderInboxHelp(sender: Addressee, moderator: boolean, platform: PlatformKind, templates?: TemplateOverrides): string {
  return renderTemplate(
    'inbox-help.md',
    { sender: sender.mention, moderator_commands: moderator ? MODERATOR_HELP : '', direct_message: directMessageHint(platform) },
    templates,
  );
}
