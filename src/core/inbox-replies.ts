/**
 * Every reply `pairbot inbox` sends, one function each. Names and anything a
 * member wrote pass through `shown`/`quoted`, so a reply can never ping anyone:
 * the adapter adds the sender's own mention where a conversation is shared.
 */

import { cleanName, count, neutraliseMentions } from './messages.js';
import type { Cadence } from './periods.js';

const ZWSP = '\u200b';

/** Another person's name in a reply: never a mention, whatever the name is. */
export function shown(name: string): string {
  return (
    neutraliseMentions(cleanName(name))
      .replace(/@/g, `@${ZWSP}`)
      .replace(/[`*_~|<>]/g, '') || '(no name)'
  );
}

/** Something the sender wrote, echoed back inert and short. */
export function quoted(text: string): string {
  const inert = neutraliseMentions(cleanName(text)).replace(/@/g, `@${ZWSP}`).replace(/`/g, "'");
  return `\`${inert.length > 40 ? `${inert.slice(0, 39)}…` : inert}\``;
}

/** "Friday 15 January" (with the year when it is not this year's). */
export function humanDate(date: string, today: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  const options: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' };
  if (date.slice(0, 4) !== today.slice(0, 4)) options.year = 'numeric';
  const parts = new Intl.DateTimeFormat('en-GB', options).formatToParts(d);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return [part('weekday'), part('day'), part('month'), part('year')].filter(Boolean).join(' ');
}

const unitOf: Record<Cadence, string> = { daily: 'day', weekly: 'week', monthly: 'month' };

function every(n: number): string {
  return n === 1 ? 'every round' : `every ${n} rounds`;
}

export function replyMalformed(command: string, problem: string): string {
  return `I did not get that \`${command}\`: ${problem}. Write \`help\` for everything I understand.`;
}

/** To a thank-you ("you're welcome"), an ok or a 👍 (a 👍 back): one line, not the whole help. */
export function replyThanks(thanked: boolean): string {
  return `${thanked ? "You're welcome!" : '👍'} Write \`help\` to see what I can do.`;
}

export function replyModeratorsOnly(what: string): string {
  return `Only moderators can ${what}; nothing changed.`;
}

export function replyNotInProgram(): string {
  return 'You are not in the pairing program, so there is nothing to change. Write `join` to join it.';
}

/** How someone out of the program comes back: by `join`, unless a moderator took them out (`join` refuses them). */
function comeBack(kicked: boolean): string {
  return kicked ? 'a moderator took you out; ask a moderator to let you back in.' : 'write `join` to come back.';
}

export function replyOutOfProgram(kicked: boolean): string {
  return `You are not taking part in the pairing program at the moment: ${comeBack(kicked)}`;
}

export function replyUnknownPerson(who: string): string {
  return `I don't know anyone called ${quoted(who)} in this program. Use their username, e.g. \`@alice\`.`;
}

/** Names nobody (the reply may be read by others): only asks for the name as it is spelled. */
export function replyAmbiguousPerson(who: string): string {
  return `More than one member is called ${quoted(who)}: write the name exactly as it is spelled, upper and lower case included, e.g. \`@alice\`; nothing changed.`;
}

export function replyNotYourself(command: string): string {
  return `You cannot ${command} yourself; nothing changed.`;
}

/** When a member is paired next: the next round, a later one (their frequency, their skips), or after a pause. */
export type Standing = { next: true } | { round: string; every: number } | { pausedThrough: string };

/** A round after the next one: by the member's frequency, or past the rounds they skip. */
function laterRound(s: { round: string; every: number }, cadence: Cadence): string {
  return `round ${s.round}${s.every > 1 ? `, as you meet every ${s.every} ${unitOf[cadence]}s` : ''}`;
}

/**
 * A join once this period's round is paired: `pair --catch-up` may still group them in it
 * (`may`), they wait for the next round (`next`), or they left and come back while their group
 * of that round stands (`grouped`).
 */
export type LateJoin = 'may' | 'next' | { grouped: string; partners: number };

const thisPeriod: Record<Cadence, [string, string]> = {
  daily: ["Today's", 'today'],
  weekly: ["This week's", 'this week'],
  monthly: ["This month's", 'this month'],
};

export function replyJoined(s: Standing, cadence: Cadence, today: string, late?: LateJoin): string {
  if ('pausedThrough' in s)
    return `Welcome! You are in the program; you are paused until ${humanDate(s.pausedThrough, today)} (write \`resume\` to come back earlier).`;
  if ('round' in s) return `Welcome! You are in the program, and in ${laterRound(s, cadence)}.`;
  if (typeof late === 'object')
    return `Welcome back! You are in the program, and your group of round ${late.grouped} stands: ${tellPartners(late.partners)}`;
  const [round, when] = thisPeriod[cadence];
  if (late === 'may')
    return `Welcome! You are in the program. ${round} round was paired already: I may still pair you with someone ${when}, otherwise you are in the next round.`;
  if (late === 'next') return `Welcome! You are in the program. ${round} round was paired already, so you are in the next round.`;
  return 'Welcome! You are in the program and in the next round.';
}

export function replyAlreadyIn(): string {
  return 'You are already in the program. Write `help` to see what you can change.';
}

export function replyJoinNeedsPlace(howTo: string): string {
  return `I cannot add you myself: ${howTo} Then you are in the next round.`;
}

export function replyJoinKicked(): string {
  return 'A moderator took you out of the program, so I cannot put you back; ask a moderator.';
}

export function replyLeft(placeRemoved: boolean, placeName: string, howTo: string): string {
  const place = placeRemoved ? ` I removed you from ${placeName}.` : howTo ? ` You are still in ${placeName}: ${howTo}` : '';
  return `Done: you are out of the program and won't be paired any more; your history is kept.${place} Write \`join\` to come back any time.`;
}

export function replyNotIn(kicked: boolean): string {
  return kicked ? `You are not in the program: ${comeBack(true)}` : 'You are not in the program. Write `join` to join it.';
}

export function replySkip(round: string, start: string, today: string): string {
  return `Done: you sit out round ${round} (from ${humanDate(start, today)}). Changed your mind? Write \`resume\` before it is paired.`;
}

export function replySkipAgain(round: string): string {
  return `You already sit out round ${round}. Write \`resume\` to take part after all.`;
}

/** Added to `resume` when the member has ❌ on the next round's announcement, which only they can take back. */
export function reactedOptOut(round: string): string {
  return `You reacted ❌ on the announcement of round ${round}: take the reaction back to be in that round too.`;
}

/** How a member still in a group with `partners` others is asked to warn them. */
function tellPartners(partners: number): string {
  return `tell your ${partners > 1 ? 'partners' : 'partner'} if you cannot make it.`;
}

/** Added to a skip or pause read after a round that has the member (with `partners` others) was paired. */
export function pairedBeforeRead(round: string, partners: number): string {
  return `Round ${round} was paired before I read your message, and you are in it: ${tellPartners(partners)}`;
}

/** Added to a pause from mid-round on: the round's group (the member and `partners` others) is not undone. */
export function stillInGroup(round: string, partners: number): string {
  return `You are still in your group of round ${round}: ${tellPartners(partners)}`;
}

export function replyPaused(lastDay: string, today: string): string {
  return `Paused until ${humanDate(lastDay, today)}; write \`resume\` to come back earlier.`;
}

/** `s` is never a pause: `resume` ends it. */
export function replyResumed(changed: boolean, s: Standing, cadence: Cadence): string {
  if ('round' in s) return `${changed ? 'Welcome back' : 'You were not paused'}: you are in ${laterRound(s, cadence)}.`;
  return changed ? 'Welcome back: you are in the next round again.' : 'You were not paused; you are in the next round.';
}

export function replyFrequency(n: number, cadence: Cadence): string {
  return n === 1
    ? `Done: you are paired every ${unitOf[cadence]}.`
    : `Done: you are paired ${every(n)} (every ${n} ${unitOf[cadence]}s). Write \`frequency 1\` to go back to every round.`;
}

/** `liftedAvoid`: the preference replaced the member's own avoid (said only in a direct message). */
/** `away`: they are out of the program (left, removed, kicked), so no meeting is soon. */
export function replyPrefer(name: string, liftedAvoid = false, away = false): string {
  const noted = away
    ? `Noted: ${shown(name)} is not in the program at the moment; I will try to pair you with them if they come back.`
    : `Noted: I will try to pair you with ${shown(name)} soon.`;
  return `${noted}${liftedAvoid ? ' That replaces your avoid: you no longer avoid them.' : ''}`;
}

/**
 * Names nobody: the reply may be read by others, and an avoid is never revealed. `groupRound`:
 * the member is in a group with them in that round, which the avoid does not undo (direct messages only).
 */
export function replyAvoid(shared: boolean, replacedPreference = false, groupRound?: string): string {
  if (shared) return 'Noted; you will not be paired with them. Avoids are private: next time, write them to me in a direct message.';
  const when = groupRound
    ? `from the next round on you will never be paired with them; your group of round ${groupRound} stays as it is`
    : 'you will never be paired with them';
  return `Noted; ${when}${replacedPreference ? ' (this replaces your wish to meet them)' : ''}. This stays private: they are not told.`;
}

/** `shared`: others read the reply, so it says the same whether there was an avoid or not. */
export function replyUnavoid(found: boolean, shared: boolean): string {
  if (shared) return 'Done: you do not avoid them. Avoids are private: next time, write them to me in a direct message.';
  return found ? 'Done: that avoid is lifted.' : 'You were not avoiding them; nothing changed.';
}

export function replyTimezone(zone: string): string {
  return `Done: your time zone is ${zone}.`;
}

export function replyBadTimezone(written: string): string {
  return `${quoted(written)} is not a time zone I know. Use an IANA name such as \`Europe/Berlin\` or \`America/New_York\`.`;
}

/**
 * `partners` is undefined when the member has no group in the round, and empty when every
 * other member of their group has since been deleted (`forget me`, retention).
 */
export function replyPartner(round: string, partners: readonly string[] | undefined, roundExists: boolean): string {
  if (!roundExists) return `Round ${round} has not been paired yet; you will hear from me when it is.`;
  if (!partners) return `You have no group in round ${round}.`;
  if (partners.length === 0)
    return `Round ${round}: your partner is no longer in the program; I will group you with someone else when I can.`;
  return `Round ${round}: you are with ${partners.map(shown).join(', ')}.`;
}

/** Stands for the other members of a past group who were all deleted since (`forget me`, retention). */
export const FORGOTTEN = 'someone whose data was deleted';

/** Who a past group was with; a group whose other members were all deleted is said so, never left blank. */
function partnersText(names: readonly string[]): string {
  return names.length ? names.map(shown).join(', ') : FORGOTTEN;
}

export function replyHistory(entries: readonly { on: string; with: readonly string[] }[]): string {
  if (entries.length === 0) return 'You have not been paired with anyone yet.';
  // One line a group: counted as partners while every group was a pair, as groups once one was larger.
  const unit = entries.every((e) => e.with.length <= 1) ? 'partner' : 'group';
  return [
    entries.length === 1 ? `Your last ${unit}:` : `Your last ${entries.length} ${unit}s:`,
    ...entries.map((e) => `• ${e.on}: ${partnersText(e.with)}`),
  ].join('\n');
}

export interface MemberSettings {
  state: string;
  frequency: number;
  /** Last paused day, when paused. */
  pausedThrough?: string;
  timezone?: string;
  prefers: readonly string[];
  avoids: readonly string[];
  skips: readonly string[];
}

/** `shared`: others read the reply, so whom the member avoids (and whether anyone) is left to a direct message. */
export function replyMe(s: MemberSettings, cadence: Cadence, today: string, shared: boolean): string {
  return [
    s.state === 'active'
      ? `You are in the program, paired ${every(s.frequency)} (${cadence} rounds).`
      : `You are out of the program: ${comeBack(s.state === 'kicked')}`,
    s.pausedThrough ? `Paused until ${humanDate(s.pausedThrough, today)}.` : '',
    s.skips.length ? `Sitting out round ${s.skips.join(', ')}.` : '',
    `Time zone: ${s.timezone ?? 'not set (write `timezone Europe/Berlin`)'}.`,
    s.prefers.length ? `You prefer: ${s.prefers.map(shown).join(', ')}.` : '',
    shared
      ? 'Avoids are private: write `me` to me in a direct message to see yours.'
      : s.avoids.length
        ? `You avoid (private): ${s.avoids.map(shown).join(', ')}.`
        : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export interface DataSummary {
  programs: number;
  name: string;
  timezone?: string;
  groups: number;
  feedbackAnswers: number;
  preferences: number;
  messages: number;
}

export function replyMyData(d: DataSummary): string {
  return [
    `What I store about you: your user id and name (${shown(d.name)})${d.timezone ? `, your time zone (${d.timezone})` : ''}, your settings in ${count(d.programs, 'program')}, ` +
      `${count(d.groups, 'group')} you were in, ${count(d.feedbackAnswers, 'feedback answer')}, ${count(d.preferences, 'preference')} you set, and ${count(d.messages, 'message')} I sent you.`,
    'Write `forget me` to have all of it deleted.',
  ].join('\n');
}

export function replyForgetAsk(): string {
  return 'This deletes everything I store about you: settings, history, preferences and feedback. It cannot be undone. Write `forget me confirm` to go ahead.';
}

export function replyForgotten(stillInPlace: boolean): string {
  return `Done: everything I stored about you is deleted.${stillInPlace ? ' You are still in the channel, so the next round would count you as a newcomer; leave the channel (or write `leave` first) to stay out.' : ''}`;
}

export function replyKicked(name: string): string {
  return `Done: ${shown(name)} is out of the program (\`resume @name\` lets them back in).`;
}

export function replyKickSelf(): string {
  return 'You cannot kick yourself; nothing changed. Write `leave` to leave the program, or `pause 3 weeks` to sit out a while.';
}

/**
 * `grouped.round`: a round already paired that has them in a group, which the pause does not undo;
 * `grouped.endsBefore`: the next round, when the pause is over before it.
 */
export function replyModPaused(name: string, lastDay: string, today: string, grouped?: { round: string; endsBefore?: string }): string {
  const after = grouped?.endsBefore
    ? `, and the pause ends before round ${grouped.endsBefore}.`
    : ': the pause applies to the rounds after it.';
  const stands = grouped ? ` Their group of round ${grouped.round} stands${after}` : '';
  return `Done: ${shown(name)} is paused until ${humanDate(lastDay, today)}.${stands}`;
}

/**
 * `place`: they had left the place (channel, role) too; `added`, the bot put them back in it,
 * otherwise they come back once they join it (the kick is lifted).
 */
export function replyModResumed(name: string, place?: { added: boolean; place: string }): string {
  if (!place) return `Done: ${shown(name)} is back in the rotation.`;
  if (place.added) return `Done: ${shown(name)} is back in the rotation; I added them back to ${place.place}.`;
  return `Done: ${shown(name)} may come back, but they are not in ${place.place} any more and I cannot add them: they are back in the rotation once they join it (writing \`join\` to me tells them how).`;
}

/** `left`: they left by themselves; only their own `join` brings them back. */
export function replyModNotPaused(name: string, left: boolean): string {
  return left
    ? `${shown(name)} left the program by themselves; they can come back by writing \`join\`. Nothing changed.`
    : `${shown(name)} was not paused or out of the program; nothing changed.`;
}

/** A moderator's pause or frequency of someone out of the program: nothing changes, and how they come back. */
export function replyModTargetOut(name: string, state: 'left' | 'removed' | 'kicked'): string {
  const why = { kicked: 'a moderator took them out', removed: 'they were removed', left: 'they left by themselves' }[state];
  const back = state === 'left' ? 'They can come back by writing `join`.' : `\`resume @${shown(name)}\` lets them back in.`;
  return `${shown(name)} is not in the program (${why}); nothing changed. ${back}`;
}

export function replyModFrequency(name: string, n: number): string {
  return `Done: ${shown(name)} is paired ${every(n)}.`;
}

export interface StatusSummary {
  program: string;
  /** As `pairbot status` (countMembers): active and not paused; the paused apart; out = left, removed or kicked. */
  active: number;
  paused: number;
  out: number;
  lastRound?: { round: string; groups: number };
  nextRound: string;
  pending: number;
}

export function replyStatus(s: StatusSummary): string {
  return [
    `Program ${shown(s.program)}: ${s.active} active, ${s.paused} paused, ${s.out} out.`,
    s.lastRound ? `Last round ${s.lastRound.round}: ${count(s.lastRound.groups, 'group')}.` : 'No round yet.',
    `Next round: ${s.nextRound}. Messages pending: ${s.pending}.`,
  ].join('\n');
}

/** At most this many names in a chat reply; `pairbot members` has them all. */
const MEMBERS_SHOWN = 50;

export function replyMembers(members: readonly { name: string; state: string }[]): string {
  if (members.length === 0) return 'The program has no members yet.';
  const listed = members.slice(0, MEMBERS_SHOWN).map((m) => `${shown(m.name)}${m.state === 'active' ? '' : ` (${m.state})`}`);
  const more = members.length > MEMBERS_SHOWN ? `, and ${members.length - MEMBERS_SHOWN} more (\`pairbot members\` lists all)` : '';
  return `${count(members.length, 'member')}: ${listed.join(', ')}${more}.`;
}
