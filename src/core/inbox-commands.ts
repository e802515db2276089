/**
 * What a member or moderator wrote to the bot, read as a command (SPEC §7).
 * Pure and forgiving: case, a leading `!` or `/`, the bot's mention, polite
 * filler ("hi", "please") and trailing words are all ignored.
 */

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

/**
 * The courtesy the whole message is, if it is one: every word one of the above or a filler word
 * (case and punctuation ignored), at least one a thank-you, an ok or such an emoji. "help" counts
 * only as what a thank-you is for ("thanks for the help"): "help, thanks" and "ok help" ask for it.
 */
function readCourtesy(words: readonly string[]): Courtesy | undefined {
  let thanksEmoji = false;
  let okEmoji = false;
  const bare = words
    .map((w) =>
      w
        .toLowerCase()
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
  const fits = (w: string, i: number): boolean =>
    COURTESY.has(w) ||
    COURTESY_FILLER.has(w) ||
    FILLER.has(w) ||
    ((w === 'help' || w === 'helping') && thankedAt >= 0 && thankedAt < i && ['for', 'the', 'your', 'all'].includes(bare[i - 1]!));
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
    return days > 366 ? 'a pause can last at most a year' : { days };
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
  const args = lower.slice(i + 1);
  const bad = (name: CommandName, problem: string): MalformedCommand => ({ name, malformed: true, problem });

  switch (first) {
    case 'help':
    case 'commands':
    case '?':
      return { name: 'help' };
    case 'join':
    case 'rejoin':
    case 'subscribe':
      return { name: 'join' };
    case 'leave':
    case 'quit':
    case 'unsubscribe':
      return { name: 'leave' };
    case 'skip':
      return { name: 'skip' };
    case 'pause':
    case 'snooze': {
      const target = readTarget(args[0]);
      const span = readPauseSpan(target ? args.slice(1) : args);
      if (typeof span === 'string') return bad('pause', span);
      return { name: 'pause', span, ...(target ? { target } : {}) };
    }
    case 'resume':
    case 'unpause':
    case 'unsnooze': {
      const target = readTarget(args[0]);
      return { name: 'resume', ...(target ? { target } : {}) };
    }
    case 'every': {
      const every = readFrequency(['every', ...args], cadence);
      return typeof every === 'string' ? bad('frequency', every) : { name: 'frequency', every };
    }
    case 'frequency':
    case 'freq': {
      const target = readTarget(args[0]);
      const every = readFrequency(target ? args.slice(1) : args, cadence);
      if (typeof every === 'string') return bad('frequency', every);
      return { name: 'frequency', every, ...(target ? { target } : {}) };
    }
    case 'prefer':
    case 'avoid':
    case 'unavoid': {
      const target = readTarget(args[0]) ?? (args[0] ? { who: words[i + 1]!.replace(/[,.;:!?]+$/, '') } : undefined);
      if (!target) return bad(first, `name the person, e.g. \`${first} @alice\``);
      // SPEC §7 reads one `@x`: a second name changes nothing rather than being silently dropped.
      // The problem names nobody, as the reply may be read by others and an avoid is never revealed.
      if (args.slice(1).some(isTargetWord))
        return bad(first, `one name per message, e.g. \`${first} @alice\`, then the next name in another message; nothing changed`);
      return { name: first, target };
    }
    case 'timezone':
    case 'tz':
    case 'zone': {
      // No zone name ends in punctuation: a sentence's full stop is not part of it.
      const zone = words[i + 1]?.replace(/[,.;:!?]+$/, '');
      if (!zone) return bad('timezone', 'give an IANA time zone, e.g. `timezone Europe/Berlin`');
      return { name: 'timezone', zone };
    }
    case 'time':
      if (args[0] === 'zone' && words[i + 2]) return { name: 'timezone', zone: words[i + 2]!.replace(/[,.;:!?]+$/, '') };
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
      const target = readTarget(args[0]) ?? (args[0] ? { who: words[i + 1]!.replace(/[,.;:!?]+$/, '') } : undefined);
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
