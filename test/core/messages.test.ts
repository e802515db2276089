import { describe, expect, it } from 'vitest';
import {
  cleanName,
  listItem,
  neutraliseMentions,
  renderFeedbackAsk,
  renderIntro,
  renderOptOutAnnouncement,
  renderSitOut,
  renderUnpaired,
} from '../../src/core/messages.js';
import { periodOfDate } from '../../src/core/periods.js';

const week = periodOfDate('2026-11-23', 'weekly');

describe('messages', () => {
  it('neutralises mass mentions and role pings in user text', () => {
    for (const text of ['@everyone', '@here', '@channel', '@all', 'hi @Everyone!', '<@&123456789012345678>', '<@123456789012345678>']) {
      expect(neutraliseMentions(text)).not.toMatch(/@(everyone|here|channel|all)\b|<@&|<@\d/i);
    }
    expect(neutraliseMentions('@alice and @allison')).toBe('@alice and @allison');
  });

  it('names every partner with their time zone and says how to skip', () => {
    const text = renderIntro([{ mention: '@ana', timezone: 'Europe/Berlin' }, { mention: '@ben' }], week, 'weekly');
    expect(text).toContain('@ana and @ben');
    expect(text).toContain('@ana (Europe/Berlin)');
    expect(text).toContain('round 2026-W48');
    expect(text).toMatch(/skip a round, react ❌/);
    const trio = renderIntro([{ mention: '@a' }, { mention: '@b' }, { mention: '@c' }], week, 'weekly');
    expect(trio).toContain('@a, @b and @c');
    expect(trio).not.toContain('Time zones');
  });

  it('tells members who each got their own copy to message each other directly', () => {
    const text = renderIntro([{ mention: '<@1>' }, { mention: '<@2>' }], week, 'weekly', { shared: false });
    expect(text).not.toMatch(/Reply here|here\./);
    expect(text).toMatch(/message your partner directly/);
  });

  it('a time zone from user data cannot ping anyone', () => {
    expect(renderIntro([{ mention: '@a', timezone: '@here' }, { mention: '@b' }], week, 'weekly')).not.toMatch(/@here\b/);
  });

  it('explains sitting out, announces opt-out and asks for feedback', () => {
    expect(renderSitOut({ mention: '@a' }, week, 'weekly')).toMatch(/odd number .* priority next week/s);
    expect(renderOptOutAnnouncement(week, 'Monday 2026-11-23', 'weekly', 'local')).toMatch(/Monday 2026-11-23.*❌/s);
    expect(renderFeedbackAsk([{ mention: '@a' }, { mention: '@b' }], week, false)).toMatch(/✅.*❌.*📅/s);
  });

  it('the announcement says to mention the bot in the channel: on Discord a DM the member starts is never read', () => {
    const text = renderOptOutAnnouncement(week, 'Monday 2026-11-23', 'weekly', 'discord');
    expect(text).toMatch(/mention me in this channel/i);
    expect(text).toMatch(/direct message.*once I have messaged you/i);
    // Elsewhere the bot reads any DM: no Discord caveat.
    const mattermost = renderOptOutAnnouncement(week, 'Monday 2026-11-23', 'weekly', 'mattermost');
    expect(mattermost).toMatch(/or send me a direct message\.$/);
    expect(mattermost).not.toMatch(/once I have messaged you/);
  });

  it('tells a trio it has a group chat, not a 1-on-1, in the intro and the feedback ask', () => {
    const trio = [{ mention: '@a' }, { mention: '@b' }, { mention: '@c' }];
    expect(renderIntro(trio, week, 'weekly')).toContain("You are grouped for this week's group chat (round 2026-W48)");
    expect(renderIntro(trio, week, 'weekly')).not.toContain('1-on-1');
    expect(renderFeedbackAsk(trio, week, false)).toContain('did your group chat for round 2026-W48 happen?');
    expect(renderIntro(trio.slice(0, 2), week, 'weekly')).toContain("You are paired for this week's 1-on-1");
  });

  it('lists only known time zones and says whose is not set, without a dangling mention', () => {
    const text = renderIntro(
      [{ mention: '@ana', timezone: 'Europe/Berlin' }, { mention: '@ben', timezone: 'UTC' }, { mention: '@olivia' }],
      week,
      'weekly',
    );
    expect(text).toContain('Time zones: @ana (Europe/Berlin), @ben (UTC); @olivia has not set one.');
  });

  it('never reveals an avoid nor promises a priority to someone left without a group', () => {
    for (const alone of [false, true]) {
      const text = renderUnpaired({ mention: '@a' }, week, alone);
      expect(text).not.toMatch(/asked not to|avoid|first in line|priority/i);
      expect(text).toContain('round 2026-W48');
    }
    expect(renderUnpaired({ mention: '@a' }, week, true)).toContain('the only one available');
  });

  it('cleans names of control and bidi-override characters, and quotes list items holding separators', () => {
    expect(cleanName('ann\nsmith\t')).toBe('ann smith');
    expect(cleanName('\u202eevil\u202c\u2066x\u2069\u200f')).toBe('evilx');
    expect(listItem('Smith, John')).toBe('"Smith, John"');
    expect(listItem('ann')).toBe('ann');
  });

  it('suggests when to meet in each member local time, or says plainly there is no overlap', () => {
    const hours = { start: 540, end: 1080 };
    const text = renderIntro(
      [{ mention: '@erin', timezone: 'America/Los_Angeles' }, { mention: '@grace', timezone: 'Asia/Tokyo' }, { mention: '@olivia' }],
      week,
      'weekly',
      { workingHours: hours },
    );
    expect(text).toContain(
      '🕒 **When to meet:** your working hours (09:00–18:00) overlap for 2 h: @erin Mon–Thu 16:00–18:00 (UTC−8) and @grace Tue–Fri 09:00–11:00 (UTC+9).',
    );
    const apart = renderIntro(
      [
        { mention: '@erin', timezone: 'America/Los_Angeles' },
        { mention: '@dave', timezone: 'Asia/Kolkata' },
      ],
      week,
      'weekly',
      { workingHours: hours },
    );
    expect(apart).toContain(
      'do not overlap; the least-bad hour is @erin Mon–Thu 18:15–19:15 (UTC−8, 1 h 15 min after working hours) and @dave Tue–Fri 07:45–08:45 (UTC+5:30, 1 h 15 min before working hours).',
    );
    expect(
      renderIntro(
        [
          { mention: '@a', timezone: 'Europe/Berlin' },
          { mention: '@b', timezone: 'Europe/Paris' },
        ],
        week,
        'weekly',
        { workingHours: hours },
      ),
    ).toContain('you share a clock (UTC+1), so any time in your working hours (Mon–Fri 09:00–18:00) suits you all.');
    expect(
      renderIntro([{ mention: '@a', timezone: 'Europe/Berlin' }, { mention: '@b' }], week, 'weekly', { workingHours: hours }),
    ).not.toContain('When to meet');
  });

  it('names the first and last day of an overlap that spans days (working hours 00:00–24:00)', () => {
    const text = renderIntro(
      [
        { mention: '@erin', timezone: 'America/Los_Angeles' },
        { mention: '@grace', timezone: 'Asia/Tokyo' },
      ],
      week,
      'weekly',
      { workingHours: { start: 0, end: 1440 } },
    );
    // Los Angeles works Mon 08:00 to Sat 08:00 UTC, Tokyo Sun 15:00 to Fri 15:00 UTC.
    expect(text).toContain(
      'your working hours (00:00–24:00) overlap for 103 h: @erin Mon 00:00 – Fri 07:00 (UTC−8) and @grace Mon 17:00 – Fri 24:00 (UTC+9).',
    );
  });

  it("tells the meeting time in the reader's own local time first in a copy of their own", () => {
    const hours = { start: 540, end: 1080 };
    const group = [
      { mention: '<@1>', timezone: 'America/Los_Angeles' },
      { mention: '<@2>', timezone: 'Asia/Tokyo' },
      { mention: '<@3>', timezone: 'Europe/Berlin' },
    ];
    const pair = group.slice(0, 2);
    const forTokyo = renderIntro(pair, week, 'weekly', { shared: false, workingHours: hours, reader: '<@2>' });
    expect(forTokyo).toContain(
      '🕒 **When to meet:** your working hours (09:00–18:00) overlap for 2 h: Tue–Fri 09:00–11:00 your time (UTC+9); that is Mon–Thu 16:00–18:00 for <@1> (UTC−8).',
    );
    const forLosAngeles = renderIntro(pair, week, 'weekly', { shared: false, workingHours: hours, reader: '<@1>' });
    expect(forLosAngeles).toContain(
      'overlap for 2 h: Mon–Thu 16:00–18:00 your time (UTC−8); that is Tue–Fri 09:00–11:00 for <@2> (UTC+9).',
    );
    // No overlap: the strain is the reader's own ("your working hours"), the others' plain.
    const apart = renderIntro(
      [
        { mention: '<@1>', timezone: 'America/Los_Angeles' },
        { mention: '<@4>', timezone: 'Asia/Kolkata' },
      ],
      week,
      'weekly',
      { shared: false, workingHours: hours, reader: '<@4>' },
    );
    expect(apart).toContain(
      'the least-bad hour is Tue–Fri 07:45–08:45 your time (UTC+5:30, 1 h 15 min before your working hours); that is Mon–Thu 18:15–19:15 for <@1> (UTC−8, 1 h 15 min after working hours).',
    );
    // A trio: the two others follow, in the order of the group.
    expect(renderIntro(group, week, 'weekly', { shared: false, workingHours: hours, reader: '<@3>' })).toMatch(
      /your time \(UTC\+1[^)]*\); that is .* for <@1> \(UTC−8[^)]*\) and .* for <@2> \(UTC\+9[^)]*\)\./,
    );
    // A reader without a known time zone, and the shared form, list every member's.
    const unknownReader = renderIntro([...pair, { mention: '<@5>' }], week, 'weekly', {
      shared: false,
      workingHours: hours,
      reader: '<@5>',
    });
    expect(unknownReader).toContain('<@1> Mon–Thu 16:00–18:00 (UTC−8) and <@2> Tue–Fri 09:00–11:00 (UTC+9).');
    expect(renderIntro(pair, week, 'weekly', { workingHours: hours })).not.toContain('your time');
  });
});
