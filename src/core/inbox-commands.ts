/**
 * What a member or moderator wrote to the bot, read as a command (SPEC §7).
 * Pure and forgiving: case, a leading `!` or `/`, the bot's mention, polite
 * filler ("hi", "please") and trailing words are all ignored.
 */

import { LONGEST_PAUSE_DAYS } from './members.js';
import { isIsoDate, type Cadence } from './periods.js';

/** Someone named in a command: `<@id>` (or `@id`) resolves by id first, a bare word by name. */
export interface Target {
  /** As written, without `<@…>`/`@` decoration: a user id or a username. */
  who: string;
}

/** How long `pause` lasts: a count of days, or until a date (inclusive). */
type PauseSpan = { days: number } | { months: number } | { until: string };

export type InboxCommand =
  | { name: 'help' }
  | { name: 'join' }
  | { name: 'leave' }
  | { name: 'skip' }
  | { name: 'pause'; span: PauseSpan; target?: Target }
  | { name: 'resume'; target?: Target }
  | { name: 'frequency'; every: number; target?: Target }
  | { name: 'prefer' | 'avoid' | 'unavoid'; target: Target }
  | { name: 'timezone'; zone: string }
  | { name: 'partner' }
  | { name: 'history' }
  | { name: 'me' }
  | { name: 'my data' }
  | { name: 'forget me'; confirmed: boolean }
  | { name: 'kick'; target: Target }
  | { name: 'status' }
  | { name: 'members' };

type CommandName = InboxCommand['name'];

/** A command word was recognised but what follows it is not usable: the reply shows the right form. */
interface MalformedCommand {
  name: CommandName;
  malformed: true;
  /** What is wrong, in a few words, for the reply. */
  problem: string;
}

/** Nothing recognisable: the sender gets the help. */
interface UnknownCommand {
  name: 'unknown';
}

/** A plain courtesy ("thanks!", "ok", 👍): the sender gets a one-line acknowledgement, not the help. */
interface Courtesy {
  name: 'thanks';
  /** A thank-you ("thanks", 🙏), answered "you're welcome"; otherwise an ok, a "noted" or a 👍. */
  thanked: boolean;
}

export type ParsedMessage = InboxCommand | MalformedCommand | UnknownCommand | Courtesy;

/** Commands only moderators may give (SPEC §7), and member commands that become moderator ones with a target. */
const MODERATOR_ONLY: readonly CommandName[] = ['kick', 'status', 'members'];

export function isModeratorCommand(c: ParsedMessage): boolean {
  if ('malformed' in c || c.name === 'unknown' || c.name === 'thanks') return false;
  return (
    MODERATOR_ONLY.includes(c.name) || ((c.name === 'pause' || c.name === 'resume' || c.name === 'frequency') && c.target !== undefined)
  );
}

export interface BotIdentity {
  id: string;
  name: string;
}

/** Words people put before a command that change nothing ("hey @pairbot, please skip"). */
const FILLER = new Set([
  'hi',
  'hey',
  'hello',
  'hallo',
  'yo',
  'ok',
  'okay',
  'please',
  'pls',
  'plz',
  'can',
  'could',
  'you',
  'i',
  'want',
  'would',
  'like',
  'to',
  'kindly',
  'bot',
  'pairbot',
]);

const UNIT_DAYS: Record<string, number> = {
  d: 1,
  day: 1,
  days: 1,
  w: 7,
  wk: 7,
  wks: 7,
  week: 7,
  weeks: 7,
  fortnight: 14,
  fortnights: 14,
};
const MONTH_UNITS = new Set(['m', 'mo', 'month', 'months']);
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
};

const CADENCE_UNITS: Record<Cadence, readonly string[]> = {
  daily: ['day', 'days', 'd'],
  weekly: ['week', 'weeks', 'w', 'wk', 'wks'],
  monthly: ['month', 'months', 'm', 'mo'],
};

/** Words that make a message a courtesy on their own ("thanks", "ok"). */
const COURTESY = new Set([
  'thanks',
  'thank',
  'thankyou',
  'thanx',
  'thnx',
  'thx',
  'ty',
  'tyvm',
  'tysm',
  'cheers',
  'ok',
  'okay',
  'k',
  'kk',
  'cool',
  'great',
  'perfect',
  'awesome',
  'nice',
  'noted',
  'alright',
  'gotcha',
]);
const THANKS = new Set(['thanks', 'thank', 'thankyou', 'thanx', 'thnx', 'thx', 'ty', 'tyvm', 'tysm', 'cheers']);
/** Emoji that are a courtesy too, with any skin tone or variation selector: thank-yous (🙏 ❤️) and oks (👍 👌 🙌 🙂 😊). */
const THANKS_EMOJI = /(?:🙏|❤)[\u{1F3FB}-\u{1F3FF}\uFE0F]*/gu;
const OK_EMOJI = /(?:👍|👌|🙌|🙂|😊)[\u{1F3FB}-\u{1F3FF}\uFE0F]*/gu;
/** Words that may go with them ("thank you so much", "ok got it") and change nothing. */
const COURTESY_FILLER = new Set(['you', 'u', 'so', 'very', 'much', 'a', 'lot', 'many', 'again', 'all', 'for', 'the', 'your', 'it', 'got']);

/** Emoji as Mattermost's and Slack's pickers write them (`:+1:`, `:pray:`), with a skin tone or not. */
const SHORTCODES: Record<string, string> = {
  '+1': '👍',
  thumbsup: '👍',
  thumbs_up: '👍',
  ok_hand: '👌',
  raised_hands: '🙌',
  slightly_smiling_face: '🙂',
  smile: '🙂',
  smiley: '🙂',
  blush: '😊',
  pray: '🙏',
  heart: '❤',
};
const SHORTCODE = /:([a-z0-9_+-]+):/g;

/** Words of a command that changes something: a message holding one is never taken for a mere courtesy. */
const CHANGING_WORDS = new Set([
  'skip',
  'pause',
  'snooze',
  'resume',
  'unpause',
  'unsnooze',
  'frequency',
  'freq',
  'prefer',
  'avoid',
  'unavoid',
  'timezone',
  'tz',
  'leave',
  'quit',
  'unsubscribe',
  'join',
  'rejoin',
  'subscribe',
  'kick',
  'remove',
  'forget',
]);

/**
 * The courtesy the whole message is, if it is one: every word one of the above or a filler word
 * (case and punctuation ignored), at least one a thank-you, an ok or such an emoji; after "thanks
 * for" anything goes ("thanks for the match") but a name or a command that changes something.
 * "help" before a thank-you asks for it: "help, thanks" and "ok help" get the help.
 */
function readCourtesy(words: readonly string[]): Courtesy | undefined {
  let thanksEmoji = false;
  let okEmoji = false;
  const bare = words
    .map((w) =>
      w
        .toLowerCase()
        .replace(SHORTCODE, (code, name: string) => SHORTCODES[name] ?? (name.startsWith('skin-tone-') ? '' : code))
        .replace(THANKS_EMOJI, () => {
          thanksEmoji = true;
          return '';
        })
        .replace(OK_EMOJI, () => {
          okEmoji = true;
          return '';
        })
        .replace(/^[!/]+|[,.;:!?)(]+$/g, ''),
    )
    .filter((w) => w !== '');
  const thankedAt = bare.findIndex((w) => THANKS.has(w));
  const forAt = thankedAt < 0 ? -1 : bare.indexOf('for', thankedAt);
  const fits = (w: string, i: number): boolean =>
    COURTESY.has(w) || COURTESY_FILLER.has(w) || FILLER.has(w) || (forAt >= 0 && i > forAt && !CHANGING_WORDS.has(w) && !/^<?@/.test(w));
  if (!(thanksEmoji || okEmoji || bare.some((w) => COURTESY.has(w))) || !bare.every(fits)) return undefined;
  return { name: 'thanks', thanked: thanksEmoji || thankedAt >= 0 };
}

/** Removes the bot's own mention wherever it is, so `@pairbot skip` and `skip @pairbot` read the same. */
function stripBotMention(text: string, bot: BotIdentity): string {
  const escaped = bot.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text
    .replace(new RegExp(`<@!?${bot.id.replace(/[^\w-]/g, '')}>`, 'g'), ' ')
    .replace(new RegExp(`(^|\\s)@${escaped}(?![\\w.-])`, 'gi'), ' ');
}

/** `<@123>`, `<@!123>`, `@alice` or `alice` → the id or name written. */
function readTarget(word: string | undefined): Target | undefined {
  if (!word) return undefined;
  const mention = /^<@!?([^>\s]+)>[,.;:!?]*$/.exec(word);
  if (mention) return { who: mention[1]! };
  const at = /^@([^\s]+?)[,.;:!?]*$/.exec(word);
  if (at) return { who: at[1]! };
  return undefined;
}

function isTargetWord(word: string | undefined): boolean {
  return readTarget(word) !== undefined;
}

function readCount(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  if (/^\d{1,4}$/.test(word)) return Number(word);
  return NUMBER_WORDS[word];
}

/** `3 weeks`, `3w`, `for 10 days`, `a month`, `until 2027-01-15`, `2027-01-15`. */
function readPauseSpan(words: readonly string[]): PauseSpan | string {
  // A sentence's punctuation is not part of a date or a unit ("pause until 2027-01-15.").
  const rest = (words[0] === 'for' ? words.slice(1) : words).map((w) => w.replace(/[,.;:!?]+$/, ''));
  if (rest.length === 0) return 'say how long, e.g. `pause 3 weeks` or `pause until 2027-01-15`';
  const shaped = (w: string | undefined): boolean => w !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(w);
  if (rest[0] === 'until' || rest[0] === 'till' || rest[0] === 'til' || shaped(rest[0])) {
    const date = rest[0] === 'until' || rest[0] === 'till' || rest[0] === 'til' ? rest[1] : rest[0];
    if (!shaped(date)) return 'give the date as YYYY-MM-DD, e.g. `pause until 2027-01-15`';
    return isIsoDate(date!) ? { until: date! } : `${date} is not a date on the calendar`;
  }
  const glued = /^(\d{1,4})([a-z]+)$/.exec(rest[0]!);
  const [n, unit] = glued ? [Number(glued[1]), glued[2]] : [readCount(rest[0]), rest[1] ?? 'weeks'];
  if (n === undefined || n < 1) return 'say how long, e.g. `pause 3 weeks` or `pause until 2027-01-15`';
  const u = unit!.replace(/[,.;:!?]+$/, '');
  if (UNIT_DAYS[u] !== undefined) {
    const days = n * UNIT_DAYS[u]!;
    return days > LONGEST_PAUSE_DAYS ? 'a pause can last at most a year' : { days };
  }
  if (MONTH_UNITS.has(u)) return n > 12 ? 'a pause can last at most a year' : { months: n };
  if (u === 'year' || u === 'years' || u === 'y') return n > 1 ? 'a pause can last at most a year' : { months: 12 };
  return 'say how long in days, weeks or months, e.g. `pause 3 weeks`';
}

/** `2`, `every 2 weeks`, `every other week`, `every week`. */
function readFrequency(words: readonly string[], cadence: Cadence): number | string {
  const usage = `give a number of rounds from 1 to 52, e.g. \`frequency 2\`${cadence === 'weekly' ? ' or `every 2 weeks`' : ''}`;
  let rest = [...words];
  if (rest[0] === 'every' || rest[0] === 'each') rest = rest.slice(1);
  if (rest.length === 0) return usage;
  let n: number | undefined;
  let unit: string | undefined;
  if (rest[0] === 'other' || rest[0] === 'second') [n, unit] = [2, rest[1]];
  else if (CADENCE_UNITS[cadence].includes(rest[0]!) || rest[0] === 'round') [n, unit] = [1, rest[0]];
  else [n, unit] = [readCount(rest[0]), rest[1]];
  if (n === undefined || n < 1 || n > 52) return usage;
  unit = unit?.replace(/[,.;:!?]+$/, '');
  if (
    unit &&
    !['round', 'rounds', 'time', 'times'].includes(unit) &&
    !CADENCE_UNITS[cadence].includes(unit) &&
    readCount(unit) === undefined
  ) {
    const other = (Object.keys(CADENCE_UNITS) as Cadence[]).find((c) => CADENCE_UNITS[c].includes(unit!));
    if (other) return `this program pairs ${cadence === 'daily' ? 'daily' : cadence}; give a number of rounds, e.g. \`frequency 2\``;
  }
  return n;
}

/** Reads one message. `cadence` lets `every 2 weeks` be told from a mistaken unit. */
export function parseInboxMessage(text: string, bot: BotIdentity, cadence: Cadence): ParsedMessage {
  const cleaned = stripBotMention(text, bot)
    .replace(/[\u200b-\u200d\ufeff]/g, '')
    .trim();
  const words = cleaned.split(/\s+/).filter((w) => w !== '' && !/^[,.;:!?-]+$/.test(w));
  // Mentions keep their case (ids, usernames); everything else is compared in lower case.
  const courtesy = readCourtesy(words);
  if (courtesy) return courtesy;
  const lower = words.map((w) => (isTargetWord(w) ? w : w.toLowerCase()));
  let i = 0;
  // Filler words, a thank-you, and an emoji or other symbol before the command ("👋 skip", "thanks! skip") are passed over.
  const passed = (w: string): boolean => {
    const bare = w.replace(/[,.;:!?]+$/, '');
    return FILLER.has(bare) || THANKS.has(bare) || !/[\p{L}\p{N}]/u.test(w);
  };
  while (i < lower.length && passed(lower[i]!)) i++;
  const first = lower[i]?.replace(/^[!/]+/, '').replace(/[,.;:!?]+$/, '');
  if (!first) return { name: 'unknown' };
  const command = readCommand(first, lower.slice(i + 1), words.slice(i + 1), cadence);
  // A second command in the same message ("skip and pause 2 weeks") would be silently dropped.
  if (!('malformed' in command) && command.name !== 'unknown' && command.name !== 'thanks' && secondCommand(lower.slice(i + 1)))
    return bad(command.name, 'one command per message: nothing changed, so write them to me one at a time');
  return command;
}

const bad = (name: CommandName, problem: string): MalformedCommand => ({ name, malformed: true, problem });

/** Words that join a second command on ("and pause", "then skip", ", skip"). */
const JOINERS = new Set(['and', 'then', 'also', 'plus', '&', '+']);

/** Whether the words after a command hold another command that changes something, joined on. */
function secondCommand(args: readonly string[]): boolean {
  return args.some((w, j) => {
    if (!CHANGING_WORDS.has(w.replace(/^[!/]+|[,.;:!?]+$/g, ''))) return false;
    const before = j > 0 ? args[j - 1]! : '';
    return JOINERS.has(before) || /[,;.]$/.test(before);
  });
}

/** Words that may follow `leave` ("leave the program please"); anything else may mean a skip. */
const LEAVE_WORDS = new Set([
  ...FILLER,
  'now',
  'the',
  'program',
  'programme',
  'pairing',
  'pairings',
  'coffee',
  'chats',
  'for',
  'good',
  'thanks',
  'thank',
  'everything',
  'bye',
  'all',
]);

/** For pause, frequency and resume: the one person named anywhere after the command, and the other words. */
function splitTarget(args: readonly string[]): { target?: Target; rest: string[] } | 'several' {
  const at = args.findIndex(isTargetWord);
  if (at < 0) return { rest: [...args] };
  const rest = args.filter((_, j) => j !== at);
  if (rest.some(isTargetWord)) return 'several';
  return { target: readTarget(args[at])!, rest };
}

/** A pause span as a member would write it after `pause`, for a reply's example. */
function spanWords(span: PauseSpan): string {
  if ('until' in span) return `until ${span.until}`;
  if ('months' in span) return `${span.months} month${span.months === 1 ? '' : 's'}`;
  return span.days % 7 === 0 ? `${span.days / 7} week${span.days === 7 ? '' : 's'}` : `${span.days} day${span.days === 1 ? '' : 's'}`;
}

/** One round of each cadence, as a pause span: `skip 1 week` on a weekly program is just `skip`. */
function isOneRound(span: PauseSpan, cadence: Cadence): boolean {
  if (cadence === 'monthly') return 'months' in span && span.months === 1;
  return 'days' in span && span.days === (cadence === 'daily' ? 1 : 7);
}

/**
 * The command `first` is, read from the words after it: `args` in lower case (mentions as
 * written), `raw` as written (names and zones keep their case).
 */
function readCommand(first: string, args: readonly string[], raw: readonly string[], cadence: Cadence): ParsedMessage {
  // Commands for oneself only: naming someone else must not act on the sender instead.
  const forSelf = (name: CommandName): MalformedCommand | undefined =>
    args.some(isTargetWord)
      ? bad(
          name,
          `\`${name}\` is only for yourself and cannot name someone else, so nothing changed${name === 'skip' ? ' (a moderator can write `pause @name 1 week`)' : ''}`,
        )
      : undefined;
  switch (first) {
    case 'help':
    case 'commands':
    case '?':
      return { name: 'help' };
    case 'join':
    case 'rejoin':
    case 'subscribe':
      return forSelf('join') ?? { name: 'join' };
    case 'leave':
    case 'quit':
    case 'unsubscribe': {
      // Leaving is not undone by a skip: "leave me out this week" asks for something else.
      if (args.some((w) => !LEAVE_WORDS.has(w.replace(/[,.;:!?]+$/, ''))))
        return (
          forSelf('leave') ??
          bad('leave', 'to sit out one round write `skip`; to leave the program for good write just `leave`; nothing changed')
        );
      return { name: 'leave' };
    }
    case 'skip': {
      const self = forSelf('skip');
      if (self) return self;
      // "skip 2 weeks" is a pause: one skip would leave the member in the round after.
      const span = readPauseSpan(args);
      if (typeof span !== 'string' && !isOneRound(span, cadence))
        return bad('skip', `\`skip\` sits out one round; to be away longer write \`pause ${spanWords(span)}\`; nothing changed`);
      return { name: 'skip' };
    }
    case 'pause':
    case 'snooze': {
      const split = splitTarget(args);
      if (split === 'several') return bad('pause', 'one name per message, e.g. `pause @alice 2 weeks`; nothing changed');
      const span = readPauseSpan(split.rest);
      if (typeof span === 'string') return bad('pause', span);
      return { name: 'pause', span, ...(split.target ? { target: split.target } : {}) };
    }
    case 'resume':
    case 'unpause':
    case 'unsnooze': {
      const split = splitTarget(args);
      if (split === 'several') return bad('resume', 'one name per message, e.g. `resume @alice`; nothing changed');
      return { name: 'resume', ...(split.target ? { target: split.target } : {}) };
    }
    case 'every': {
      const every = readFrequency(['every', ...args], cadence);
      return typeof every === 'string' ? bad('frequency', every) : { name: 'frequency', every };
    }
    case 'frequency':
    case 'freq': {
      const split = splitTarget(args);
      if (split === 'several') return bad('frequency', 'one name per message, e.g. `frequency @alice 2`; nothing changed');
      const every = readFrequency(split.rest, cadence);
      if (typeof every === 'string') return bad('frequency', every);
      return { name: 'frequency', every, ...(split.target ? { target: split.target } : {}) };
    }
    case 'prefer':
    case 'avoid':
    case 'unavoid': {
      const target = readTarget(args[0]) ?? (args[0] ? { who: raw[0]!.replace(/[,.;:!?]+$/, '') } : undefined);
      if (!target) return bad(first, `name the person, e.g. \`${first} @alice\``);
      // SPEC §7 reads one `@x`: a second name ("@alice @bob", "alice and bob") changes nothing
      // rather than being silently dropped. The problem names nobody, as the reply may be read
      // by others and an avoid is never revealed.
      const after = (j: number): string => (args[j] ?? '').replace(/[,.;:!?]+$/, '');
      const more = args
        .slice(1)
        .some((w, j) => isTargetWord(w) || (JOINERS.has(w) && after(j + 2) !== '' && !CHANGING_WORDS.has(after(j + 2))));
      if (more) return bad(first, `one name per message, e.g. \`${first} @alice\`, then the next name in another message; nothing changed`);
      return { name: first, target };
    }
    case 'timezone':
    case 'tz':
    case 'zone': {
      // No zone name ends in punctuation: a sentence's full stop is not part of it.
      const zone = raw[0]?.replace(/[,.;:!?]+$/, '');
      if (!zone) return bad('timezone', 'give an IANA time zone, e.g. `timezone Europe/Berlin`');
      return { name: 'timezone', zone };
    }
    case 'time':
      if (args[0] === 'zone' && raw[1]) return { name: 'timezone', zone: raw[1].replace(/[,.;:!?]+$/, '') };
      return { name: 'unknown' };
    case 'partner':
    case 'partners':
    case 'group':
    case 'match':
      return { name: 'partner' };
    case 'history':
      return { name: 'history' };
    case 'me':
    case 'settings':
    case 'whoami':
      return { name: 'me' };
    case 'my':
      if (args[0]?.startsWith('data')) return { name: 'my data' };
      if (args[0]?.startsWith('settings')) return { name: 'me' };
      if (args[0]?.startsWith('partner') || args[0]?.startsWith('group')) return { name: 'partner' };
      if (args[0]?.startsWith('history')) return { name: 'history' };
      return { name: 'unknown' };
    case 'forget':
      if (args[0]?.replace(/[,.;:!?]+$/, '') !== 'me') return bad('forget me', 'write `forget me` to have everything about you deleted');
      return { name: 'forget me', confirmed: args[1]?.replace(/[,.;:!?]+$/, '') === 'confirm' };
    case 'kick':
    case 'remove': {
      const target = readTarget(args[0]) ?? (args[0] ? { who: raw[0]!.replace(/[,.;:!?]+$/, '') } : undefined);
      if (!target) return bad('kick', 'name the member, e.g. `kick @alice`');
      return { name: 'kick', target };
    }
    case 'status':
      return { name: 'status' };
    case 'members':
    case 'roster':
      return { name: 'members' };
    default:
      return { name: 'unknown' };
  }
}
