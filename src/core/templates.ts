/**
 * Every text pairbot sends is a template with `{{placeholders}}`; a community replaces
 * one by putting a file of the same name in PAIRBOT_TEMPLATES_DIR. The built-in texts
 * are templates of the same form, rendered the same way, so there is one way messages
 * are made.
 *
 * Safety: a template's own text is neutralised like a name (it can ping nobody); the
 * values put in for placeholders are made by the caller, mentions by the adapter.
 */

import { neutraliseAllMentions } from './mentions.js';

export interface TemplateSpec {
  /** What the message is, for README and errors. */
  what: string;
  /** Placeholder → what it holds. */
  placeholders: Readonly<Record<string, string>>;
  text: string;
}

const ROUND = 'the round, e.g. 2026-W48';

// A mention in the channel always reaches the bot; on Discord a DM the member starts is read only once the bot has written there (no gateway).
const DIRECT_MESSAGE =
  'how else to reach the bot: "or send me a direct message"; on Discord "or send me a direct message once I have messaged you"';

export const TEMPLATES = {
  'intro.md': {
    what: 'the intro a group gets when it is formed (or when a late joiner is added to it)',
    placeholders: {
      members: 'mentions of the group\'s members, "@a, @b and @c"',
      round: ROUND,
      paired: '"paired" (two people) or "grouped" (more)',
      when: '"today\'s", "this week\'s" or "this month\'s", after the cadence',
      meeting: '"1-on-1" or "group chat"',
      partner: '"your partner" or "your group"',
      everyone: '"you both" or "all of you"',
      joined: 'a late joiner added to an existing group: "@x joins your group." (empty otherwise)',
      time_zones: 'the members\' time zones, "Time zones: @a (Europe/Berlin), @b (UTC)." (empty when nobody set one)',
      meeting_time:
        "when to meet: the weekday window where members' working hours overlap, in each one's local time; in a copy of a member's own (Discord DMs) their local time first (empty with fewer than two known time zones)",
      icebreaker: 'a conversation prompt (empty when PAIRBOT_ICEBREAKERS=off)',
      reach_out:
        'how to reach the others: "Reply here" in a shared conversation, "Message your partner directly (click a name above)" when each member got their own copy',
      here: '" here" in a shared conversation, empty otherwise',
    },
    text: [
      '👋 Hi {{members}}! You are {{paired}} for {{when}} {{meeting}} (round {{round}}).',
      '{{joined}}',
      '{{time_zones}}',
      '🕒 **When to meet:** {{meeting_time}}',
      '💬 **To break the ice:** {{icebreaker}}',
      '{{reach_out}} to find a time that suits {{everyone}}; a short video call or coffee is perfect.',
      "Can't make it? Tell {{partner}}{{here}}. To skip a round, react ❌ on the opt-out announcement or write `skip` to me; for a longer break write `pause 3 weeks` (`help` lists everything I understand).",
    ].join('\n'),
  },
  'sit-out.md': {
    what: 'the DM to a member left without a group in a round',
    placeholders: {
      member: 'mention of the member',
      round: ROUND,
      reason:
        'why: the odd one out, the only one available, no partner possible (never whose avoid), or (catch-up) a partner who left mid-round or a round paired before they were available',
      next: 'what happens next: priority next time (odd one out, partner left) or staying in the rotation',
    },
    text: 'Hi {{member}}, you have no group for round {{round}}: {{reason}}\n{{next}}\nNeed a break? Write `skip` or `pause 3 weeks` to me (`help` lists the rest).',
  },
  'optout.md': {
    what: 'the announcement in the channel before each round (the bot adds ❌ to it)',
    placeholders: {
      round: ROUND,
      pairing_day: 'when pairing happens, e.g. "Monday 2026-11-23"',
      unit: '"day", "week" or "month", after the cadence',
      direct_message: DIRECT_MESSAGE,
    },
    text: [
      '☕ Pairing for round {{round}} happens on {{pairing_day}}.',
      'React with ❌ on this post to sit this round out; remove the reaction to change your mind before then.',
      'Want a longer break or a different rhythm (e.g. every other {{unit}})? Mention me in this channel with `pause 3 {{unit}}s`, `frequency 2`, or `help` for everything I understand, {{direct_message}}.',
    ].join('\n'),
  },
  'feedback.md': {
    what: 'the ask whether the meeting happened (the bot adds ✅ ❌ 📅 to it)',
    placeholders: {
      opening: '"📝 Quick check", or "⏰ Checking again" on a reminder',
      members: "mentions of the group's members",
      meeting: '"1-on-1" or "group chat"',
      round: ROUND,
    },
    text: '{{opening}}, {{members}}: did your {{meeting}} for round {{round}} happen?\nReact ✅ if you met, ❌ if it did not happen, 📅 if it is scheduled.',
  },
  'removed.md': {
    what: 'the DM to a member `prune` removes after missed meetings',
    placeholders: {
      member: 'mention of the member',
      misses: 'how many meetings in a row were reported as not having happened',
      rejoin: 'how to come back',
    },
    text: [
      'Hi {{member}}, your last {{misses}} pairings were reported as not having happened, so I have taken you out of the 1-on-1 rotation for now.',
      'No hard feelings — it is only so your future partners are not left waiting. {{rejoin}}',
    ].join('\n'),
  },
  'unreachable.md': {
    what: 'the note to the rest of a group when a member cannot be messaged',
    placeholders: {
      unreachable: 'mentions of the members who could not be messaged',
      round: ROUND,
    },
    text: 'Heads-up for round {{round}}: I could not message {{unreachable}} directly (their DMs may be closed). Please reach out to them yourself on the server.',
  },
  'inbox-help.md': {
    what: 'the reply to a message to the bot that is not a command (and to `help`)',
    placeholders: {
      sender: 'mention of the person who wrote',
      moderator_commands: "the moderators' commands, for a moderator (empty for everyone else)",
      direct_message: DIRECT_MESSAGE,
    },
    text: [
      'Hi {{sender}}! I understand these commands:',
      '• `join` / `leave` — join or leave the pairing',
      '• `skip` — sit out the next round',
      '• `pause 3 weeks`, `pause until 2027-01-15`, `resume` — take a break and come back',
      '• `frequency 2` — be paired every 2nd round',
      '• `prefer @x`, `avoid @x`, `unavoid @x` — who you would like to meet or not (an avoid is never revealed)',
      '• `timezone Europe/Berlin` — your time zone, for meeting-time hints',
      '• `partner`, `history`, `me` — your group, your last partners, your settings',
      '• `my data`, `forget me` — what I store about you, or delete it all',
      "Mention me in the program's channel with any of these, {{direct_message}}.",
      '{{moderator_commands}}',
    ].join('\n'),
  },
} as const satisfies Record<string, TemplateSpec>;

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];
export type PlaceholderOf<N extends TemplateName> = keyof (typeof TEMPLATES)[N]['placeholders'];

/** Texts replacing built-in templates, by file name (from PAIRBOT_TEMPLATES_DIR). */
export type TemplateOverrides = Readonly<Partial<Record<TemplateName, string>>>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(TEMPLATES, name);
}

/** What is wrong with a template's text, or undefined when every placeholder is its message's. */
export function templateProblem(name: TemplateName, text: string): string | undefined {
  const known = Object.keys(TEMPLATES[name].placeholders);
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!known.includes(m[1]!)) {
      return `${name} uses the placeholder {{${m[1]}}}, which this message does not have; its placeholders are ${known.map((k) => `{{${k}}}`).join(', ')}`;
    }
  }
  if (text.trim() === '') return `${name} is empty; delete the file to use the built-in text`;
  return undefined;
}

/** A template's line split once: its text (already inert) between the placeholders. */
interface CompiledLine {
  /** `parts[0]`, then for each placeholder `names[i]` the text `parts[i + 1]` after it. */
  parts: string[];
  names: string[];
}

/** Templates by text: a round renders the same few texts 50,000 times, and splitting one costs more than filling it. */
const compiled = new Map<string, CompiledLine[]>();

function compile(text: string): CompiledLine[] {
  let lines = compiled.get(text);
  if (!lines) {
    lines = text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => {
        const parts: string[] = [];
        const names: string[] = [];
        let last = 0;
        for (const m of line.matchAll(PLACEHOLDER)) {
          parts.push(neutraliseAllMentions(line.slice(last, m.index)));
          names.push(m[1]!);
          last = m.index + m[0].length;
        }
        parts.push(neutraliseAllMentions(line.slice(last)));
        return { parts, names };
      });
    // Built-in texts and a directory of overrides: a handful, but never let it grow without bound.
    if (compiled.size >= 100) compiled.clear();
    compiled.set(text, lines);
  }
  return lines;
}

/**
 * Fills a template. A line whose placeholders all come out empty is left out (so an
 * optional part takes its line with it); lines without placeholders always stay.
 */
export function renderTemplate<N extends TemplateName>(
  name: N,
  values: Readonly<Record<PlaceholderOf<N>, string>>,
  overrides: TemplateOverrides = {},
): string {
  const lines: string[] = [];
  for (const { parts, names } of compile(overrides[name] ?? TEMPLATES[name].text)) {
    let filled = 0;
    let out = parts[0]!;
    for (let i = 0; i < names.length; i++) {
      const value = (values as Record<string, string>)[names[i]!] ?? '';
      if (value !== '') filled++;
      out += value + parts[i + 1]!;
    }
    if (names.length > 0 && filled === 0) continue;
    lines.push(out.trimEnd());
  }
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
