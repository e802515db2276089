import { describe, expect, it } from 'vitest';
import { neutraliseMentions, renderFeedbackAsk, renderIntro, renderOptOutAnnouncement, renderSitOut } from '../../src/core/messages.js';
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
    const text = renderIntro([{ mention: '<@1>' }, { mention: '<@2>' }], week, 'weekly', false);
    expect(text).not.toMatch(/Reply here|here\./);
    expect(text).toMatch(/message your partner directly/);
  });

  it('a time zone from user data cannot ping anyone', () => {
    expect(renderIntro([{ mention: '@a', timezone: '@here' }, { mention: '@b' }], week, 'weekly')).not.toMatch(/@here\b/);
  });

  it('explains sitting out, announces opt-out and asks for feedback', () => {
    expect(renderSitOut({ mention: '@a' }, week, 'weekly')).toMatch(/odd number .* priority next week/s);
    expect(renderOptOutAnnouncement(week, 'Monday 2026-11-23', 'weekly')).toMatch(/Monday 2026-11-23.*❌/s);
    expect(renderFeedbackAsk([{ mention: '@a' }, { mention: '@b' }], week, false)).toMatch(/✅.*❌.*📅/s);
  });
});
