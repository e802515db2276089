import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderInboxHelp, renderIntro, renderSitOut } from '../../src/core/messages.js';
import { periodOfDate } from '../../src/core/periods.js';
import { renderTemplate, TEMPLATE_NAMES, TEMPLATES, templateProblem } from '../../src/core/templates.js';

const week = periodOfDate('2026-11-23', 'weekly');

describe('templates', () => {
  it('are the seven files of SPEC §10, and every built-in text uses only its own placeholders, each of them', () => {
    expect(TEMPLATE_NAMES).toEqual(['intro.md', 'sit-out.md', 'optout.md', 'feedback.md', 'removed.md', 'unreachable.md', 'inbox-help.md']);
    for (const name of TEMPLATE_NAMES) {
      const spec = TEMPLATES[name];
      expect(templateProblem(name, spec.text), name).toBeUndefined();
      for (const p of Object.keys(spec.placeholders)) expect(spec.text, `${name} {{${p}}}`).toContain(`{{${p}}}`);
    }
  });

  it('names the file, the placeholder and the ones the message has when a placeholder is unknown', () => {
    expect(templateProblem('feedback.md', 'Did you meet, {{members}}? {{ partner }}')).toBe(
      'feedback.md uses the placeholder {{partner}}, which this message does not have; its placeholders are {{opening}}, {{members}}, {{meeting}}, {{round}}',
    );
    expect(templateProblem('intro.md', '  \n')).toMatch(/intro.md is empty/);
    expect(templateProblem('intro.md', 'Hi {{ members }}')).toBeUndefined();
  });

  it('fills placeholders, drops a line whose placeholders are all empty, keeps lines without any', () => {
    const text = renderTemplate(
      'unreachable.md',
      { unreachable: '@a', round: '' },
      { 'unreachable.md': 'Round: {{round}}\n\nHi\n{{unreachable}} and {{round}}\r\nEnd' },
    );
    expect(text).toBe('Hi\n@a and\nEnd');
  });

  it("a template's own text pings nobody; mentions come only from placeholders", () => {
    const custom = '@channel @here @everyone @bob <@123456789012345678> <@&123456789012345678>: {{members}} paired!';
    const text = renderIntro([{ mention: '@ana' }, { mention: '<@222222222222222222>' }], week, 'weekly', {
      templates: { 'intro.md': custom },
    });
    const own = text.slice(0, text.indexOf(':'));
    expect(own).not.toMatch(/@(channel|here|everyone|bob)\b|<@\d|<@&/);
    expect(text).toContain('@ana and <@222222222222222222> paired!');
  });

  it('a community text replaces the built-in one', () => {
    const text = renderSitOut({ mention: '@ana' }, week, 'weekly', { 'sit-out.md': '**{{member}}**, no partner in {{round}}. {{next}}' });
    expect(text).toMatch(/^\*\*@ana\*\*, no partner in 2026-W48\. That was picked fairly .* priority next week\.$/);
  });

  it("the inbox help lists what members can write, and the moderators' commands only to a moderator", () => {
    const member = renderInboxHelp({ mention: '@ana' }, false, 'discord');
    expect(member).toMatch(/^Hi @ana! I understand these commands:/);
    for (const word of [
      'join',
      'leave',
      'skip',
      'pause',
      'resume',
      'frequency',
      'prefer',
      'avoid',
      'timezone',
      'partner',
      'history',
      'my data',
      'forget me',
    ])
      expect(member).toContain(word);
    expect(member).not.toContain('kick');
    // Where to write: a mention in the channel always reaches the bot; a DM only once the bot wrote there (Discord).
    expect(member).toMatch(/mention me in the program's channel/i);
    expect(member).toMatch(/direct message.*once I have messaged you/i);
    expect(renderInboxHelp({ mention: '@mod' }, true, 'discord')).toContain('`kick @x`');
    const local = renderInboxHelp({ mention: '@ana' }, false, 'local');
    expect(local).toMatch(/or send me a direct message\.$/m);
    expect(local).not.toMatch(/once I have messaged you/);
  });

  it('README lists every template with each of its placeholders', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of TEMPLATE_NAMES) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      for (const p of Object.keys(TEMPLATES[name].placeholders)) expect(row, `${name} {{${p}}}`).toContain(`\`{{${p}}}\``);
    }
  });
});
