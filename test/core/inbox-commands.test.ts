import { describe, expect, it } from 'vitest';
import { isModeratorCommand, parseInboxMessage } from '../../src/core/inbox-commands.js';
import { humanDate, quoted, replyAvoid, shown } from '../../src/core/inbox-replies.js';

const bot = { id: '900', name: 'pairbot' };
const parse = (text: string, cadence: 'daily' | 'weekly' | 'monthly' = 'weekly') => parseInboxMessage(text, bot, cadence);

describe('parseInboxMessage', () => {
  it('reads every member command of SPEC §7', () => {
    expect(parse('help')).toEqual({ name: 'help' });
    expect(parse('join')).toEqual({ name: 'join' });
    expect(parse('leave')).toEqual({ name: 'leave' });
    expect(parse('skip')).toEqual({ name: 'skip' });
    expect(parse('pause 3 weeks')).toEqual({ name: 'pause', span: { days: 21 } });
    expect(parse('pause until 2027-01-15')).toEqual({ name: 'pause', span: { until: '2027-01-15' } });
    expect(parse('resume')).toEqual({ name: 'resume' });
    expect(parse('frequency 2')).toEqual({ name: 'frequency', every: 2 });
    expect(parse('every 2 weeks')).toEqual({ name: 'frequency', every: 2 });
    expect(parse('prefer @alice')).toEqual({ name: 'prefer', target: { who: 'alice' } });
    expect(parse('avoid <@123456>')).toEqual({ name: 'avoid', target: { who: '123456' } });
    expect(parse('unavoid @Bob')).toEqual({ name: 'unavoid', target: { who: 'Bob' } });
    expect(parse('timezone Europe/Berlin')).toEqual({ name: 'timezone', zone: 'Europe/Berlin' });
    expect(parse('partner')).toEqual({ name: 'partner' });
    expect(parse('history')).toEqual({ name: 'history' });
    expect(parse('me')).toEqual({ name: 'me' });
    expect(parse('my data')).toEqual({ name: 'my data' });
    expect(parse('forget me')).toEqual({ name: 'forget me', confirmed: false });
    expect(parse('forget me confirm')).toEqual({ name: 'forget me', confirmed: true });
  });

  it('reads moderator commands, with the named member kept as written', () => {
    expect(parse('kick @Carol')).toEqual({ name: 'kick', target: { who: 'Carol' } });
    expect(parse('pause @carol 2 weeks')).toEqual({ name: 'pause', span: { days: 14 }, target: { who: 'carol' } });
    expect(parse('resume <@!42>')).toEqual({ name: 'resume', target: { who: '42' } });
    expect(parse('frequency @carol 3')).toEqual({ name: 'frequency', every: 3, target: { who: 'carol' } });
    expect(parse('status')).toEqual({ name: 'status' });
    expect(parse('members')).toEqual({ name: 'members' });
    for (const text of ['kick @x', 'pause @x 1 week', 'resume @x', 'frequency @x 2', 'status', 'members'])
      expect(isModeratorCommand(parse(text)), text).toBe(true);
    for (const text of ['pause 1 week', 'resume', 'frequency 2', 'avoid @x', 'help'])
      expect(isModeratorCommand(parse(text)), text).toBe(false);
  });

  it('forgives case, prefixes, the bot mention, filler and extra words', () => {
    for (const text of [
      'SKIP',
      '!skip',
      '/skip',
      '@pairbot skip',
      '<@900> skip',
      'hey @pairbot, please skip this week',
      'skip @pairbot',
      'Skip!',
    ]) {
      expect(parse(text), text).toEqual({ name: 'skip' });
    }
    // An emoji before the command is a greeting, not the command.
    expect(parse('👋 skip')).toEqual({ name: 'skip' });
    expect(parse('🙏🏽 hi @pairbot, pause 2 weeks')).toEqual({ name: 'pause', span: { days: 14 } });
    expect(parse('👋')).toEqual({ name: 'unknown' });
    expect(parse('Pause for 2 Weeks please')).toEqual({ name: 'pause', span: { days: 14 } });
    expect(parse('pause 10d')).toEqual({ name: 'pause', span: { days: 10 } });
    expect(parse('pause a month')).toEqual({ name: 'pause', span: { months: 1 } });
    expect(parse('every other week')).toEqual({ name: 'frequency', every: 2 });
    expect(parse('My Data')).toEqual({ name: 'my data' });
    expect(parse('timezone america/new_york')).toEqual({ name: 'timezone', zone: 'america/new_york' });
    // The end of a sentence is not part of the zone.
    expect(parse('timezone Europe/Berlin.')).toEqual({ name: 'timezone', zone: 'Europe/Berlin' });
    expect(parse('time zone Europe/Berlin.')).toEqual({ name: 'timezone', zone: 'Europe/Berlin' });
  });

  it('says what is wrong with a malformed command, and reads anything else as unknown', () => {
    expect(parse('pause')).toMatchObject({ name: 'pause', malformed: true });
    expect(parse('pause banana')).toMatchObject({ name: 'pause', malformed: true });
    expect(parse('pause until tomorrow')).toMatchObject({ name: 'pause', malformed: true });
    expect(parse('pause 5 years')).toMatchObject({ name: 'pause', malformed: true });
    expect(parse('pause 1 year')).toEqual({ name: 'pause', span: { months: 12 } });
    expect(parse('pause until 2027-01-15.')).toEqual({ name: 'pause', span: { until: '2027-01-15' } });
    expect(parse('pause 2026-02-30')).toEqual({ name: 'pause', malformed: true, problem: '2026-02-30 is not a date on the calendar' });
    expect(parse('pause a year')).toEqual({ name: 'pause', span: { months: 12 } });
    // A date written right that is not on the calendar is said to be so, not asked for again in the same form.
    expect(parse('pause until 2026-02-30')).toEqual({
      name: 'pause',
      malformed: true,
      problem: '2026-02-30 is not a date on the calendar',
    });
    expect(parse('frequency 0')).toMatchObject({ name: 'frequency', malformed: true });
    expect(parse('frequency 99')).toMatchObject({ name: 'frequency', malformed: true });
    expect(parse('every 2 months')).toMatchObject({ name: 'frequency', malformed: true });
    expect(parse('every 2 days', 'daily')).toEqual({ name: 'frequency', every: 2 });
    expect(parse('avoid')).toMatchObject({ name: 'avoid', malformed: true });
    expect(parse('kick')).toMatchObject({ name: 'kick', malformed: true });
    expect(parse('timezone')).toMatchObject({ name: 'timezone', malformed: true });
    expect(parse('what is this?')).toEqual({ name: 'unknown' });
    expect(parse('')).toEqual({ name: 'unknown' });
    expect(parse('@pairbot')).toEqual({ name: 'unknown' });
  });

  it('reads a plain thank-you or ok as a courtesy, and anything with a command or other words as before', () => {
    for (const text of [
      'thanks!',
      'Thank you',
      'thank you so much!!',
      'ty',
      'THX',
      'ok',
      'Okay.',
      '👍',
      '👍🏽',
      '🙏',
      'thanks 🙏',
      '@pairbot thanks',
      '<@900> ty!',
      'Thanks for the help :)',
      'ok, got it',
      'cheers',
    ])
      expect(parse(text), text).toMatchObject({ name: 'thanks' });
    expect(parse('ok skip')).toEqual({ name: 'skip' });
    expect(parse('ok help')).toEqual({ name: 'help' });
    expect(parse('👍 skip')).toEqual({ name: 'skip' });
    // A thank-you before a command is passed over like "please": the command is done.
    expect(parse('thanks, pause 2 weeks')).toEqual({ name: 'pause', span: { days: 14 } });
    expect(parse('thanks! please skip this week')).toEqual({ name: 'skip' });
    expect(parse('Thank you! skip')).toEqual({ name: 'skip' });
    // Asking for help with a thank-you is asking for help; only thanks *for* the help is a courtesy.
    for (const text of ['help, thanks', 'Hi, could you help? Thanks!', 'I would like help please, thanks', 'help 🙏'])
      expect(parse(text), text).toEqual({ name: 'help' });
    for (const text of ['thank you for your help!', 'thanks for helping', 'thanks for all the help'])
      expect(parse(text), text).toEqual({ name: 'thanks', thanked: true });
    expect(parse('👋')).toEqual({ name: 'unknown' });
    expect(parse('hi')).toEqual({ name: 'unknown' });
    expect(parse('thanks but what is this')).toEqual({ name: 'unknown' });
    // A thank-you is told "you're welcome"; an ok, a "noted" or a 👍 only that it was read.
    for (const text of ['thanks!', 'ty', 'cheers', '🙏', 'ok thanks']) expect(parse(text), text).toEqual({ name: 'thanks', thanked: true });
    for (const text of ['ok', 'cool', 'noted', 'great', 'k', '👍', 'ok, got it'])
      expect(parse(text), text).toEqual({ name: 'thanks', thanked: false });
  });
});

describe('parseInboxMessage: what a member may mean, never applied to the wrong person', () => {
  const malformed = (text: string, name: string, problem: RegExp) => {
    const got = parse(text) as { name: string; malformed?: boolean; problem?: string };
    expect(got, text).toMatchObject({ name, malformed: true });
    expect(got.problem, text).toMatch(problem);
  };

  it('leave takes the member out only when it says just that: "leave me out this week" is not leaving', () => {
    for (const text of ['leave', 'Leave.', 'please leave the program', 'leave now please', 'quit', 'unsubscribe pls'])
      expect(parse(text), text).toEqual({ name: 'leave' });
    for (const text of ['Can you leave me out this week?', 'please leave me in for next week', 'leave it', 'leave me alone this week'])
      malformed(text, 'leave', /`skip`.*just `leave`.*nothing changed/);
  });

  it("a mention after the command's words names the member a moderator acts on, never the sender", () => {
    expect(parse('pause 2 weeks @dave')).toEqual({ name: 'pause', span: { days: 14 }, target: { who: 'dave' } });
    expect(parse('frequency 2 @erin')).toEqual({ name: 'frequency', every: 2, target: { who: 'erin' } });
    expect(parse('resume please @frank')).toEqual({ name: 'resume', target: { who: 'frank' } });
    malformed('pause @dave 2 weeks @erin', 'pause', /one name per message/);
    for (const [text, name] of [
      ['skip @frank', 'skip'],
      ['leave @carol', 'leave'],
      ['join @bob', 'join'],
    ] as const)
      malformed(text, name, /only for yourself.*nothing changed/);
  });

  it('one command a message: a second one, or skip for longer than a round, changes nothing and says so', () => {
    for (const [text, name] of [
      ['skip and pause 2 weeks', 'skip'],
      ['pause 2 weeks and frequency 2', 'pause'],
      ['timezone Europe/Berlin and skip', 'timezone'],
      ['prefer @alice, then skip', 'prefer'],
    ] as const)
      malformed(text, name, /one command per message/);
    malformed('skip 2 weeks', 'skip', /one round.*`pause 2 weeks`/);
    malformed('skip for 3 weeks', 'skip', /one round.*`pause 3 weeks`/);
    expect(parse('skip this week please')).toEqual({ name: 'skip' });
    expect(parse('skip next week, I am away')).toEqual({ name: 'skip' });
    expect(parse('pause 2 weeks, thanks')).toEqual({ name: 'pause', span: { days: 14 } });
  });

  it('avoid and prefer name one person: "and bob" after the name is refused, not dropped', () => {
    malformed('avoid @alice and bob', 'avoid', /one name per message/);
    malformed('prefer alice & bob', 'prefer', /one name per message/);
    expect(parse('avoid @alice please')).toEqual({ name: 'avoid', target: { who: 'alice' } });
  });

  it("reads Mattermost's and Slack's emoji shortcodes, and thanks for anything, as courtesies", () => {
    for (const text of [':+1:', ':thumbsup:', ':ok_hand:', 'ok :slightly_smiling_face:', ':+1::skin-tone-3:'])
      expect(parse(text), text).toEqual({ name: 'thanks', thanked: false });
    for (const text of [
      ':pray:',
      'thanks :slightly_smiling_face:',
      'Thanks for the match!',
      'thanks for the intro',
      'thank you for setting this up',
    ])
      expect(parse(text), text).toEqual({ name: 'thanks', thanked: true });
    // A thank-you for something that holds a command or a name is read as that command, or the help.
    expect(parse('thanks for the reminder, skip')).toEqual({ name: 'unknown' });
    expect(parse('thanks for pairing me with @bob')).toEqual({ name: 'unknown' });
  });
});

describe('inbox replies', () => {
  it('never turn a name or echoed text into a mention', () => {
    for (const name of ['@everyone', 'here', '<@&123>', '<@42>', '@channel']) {
      expect(shown(name)).not.toMatch(/@(everyone|here|channel)\b|<@/);
      expect(quoted(name)).not.toMatch(/@(everyone|here|channel)\b|<@/);
    }
    expect(shown('alice')).toBe('alice');
  });

  it('dates read like "Friday 15 January", with the year only when it differs', () => {
    expect(humanDate('2027-01-15', '2027-01-02')).toBe('Friday 15 January');
    expect(humanDate('2027-01-15', '2026-12-20')).toBe('Friday 15 January 2027');
  });

  it('an avoid reply names nobody', () => {
    expect(replyAvoid(true)).not.toMatch(/@/);
    expect(replyAvoid(false)).not.toMatch(/@/);
  });
});
