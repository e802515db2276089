import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';

/**
 * How an intro reads on Mattermost: the post the fake server stored, rendered as
 * Mattermost's web app renders posts (marked, GitHub-flavoured, a newline is a line break).
 * Usernames with underscores and dots, and a member without a time zone, are the cases
 * Markdown could trip on.
 */

const ZWSP = '\u200b';

/** The visible text of rendered HTML. */
function visible(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

describe('an intro as Mattermost renders it (built CLI, fake server)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

  it('has bold labels, one line per part, plain mentions of every member and nothing escaped', async () => {
    box.env.PAIRBOT_GROUP_SIZE = '4';
    const members = [
      box.fake.addUser({ username: 'mary_jane', timezone: 'America/Sao_Paulo' }),
      box.fake.addUser({ username: 'kim_', timezone: 'Asia/Kolkata' }),
      box.fake.addUser({ username: 'ann.lee', timezone: 'Europe/Berlin' }),
      box.fake.addUser({ username: 'bob' }),
    ];
    const r = await box.pairbot('pair', '--date', '2026-11-23', '--seed', '7');
    expect(r.code, r.stderr).toBe(0);
    const channel = box.fake.conversationOf(members.map((m) => m.id));
    expect(channel?.type).toBe('G');
    const [post, ...more] = box.fake.postsIn(channel!.id);
    expect(more).toEqual([]);
    const text = post!.message;

    // Nothing escaped and no mention made inert: every member is pinged as Mattermost spells it, and nobody else.
    expect(text).not.toContain('\\');
    expect(text).not.toContain(`@${ZWSP}`);
    const mentioned = [...text.matchAll(/@([a-z0-9._-]+[a-z0-9_-])/g)].map((m) => m[1]);
    expect(new Set(mentioned)).toEqual(new Set(members.map((m) => m.username)));

    const html = marked.parse(text, { gfm: true, breaks: true, async: false });
    // One paragraph, no list, heading, quote or emphasis an underscore in a name could start.
    expect(html.match(/<p>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<(ul|ol|h\d|blockquote|em|del|pre|a)\b/);
    expect(html).toContain('<strong>When to meet:</strong>');
    expect(html).toContain('<strong>To break the ice:</strong>');
    for (const command of ['skip', 'pause 3 weeks', 'help']) expect(html).toContain(`<code>${command}</code>`);

    const lines = html.split(/<br\s*\/?>/).map((line) => visible(line).trim());
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^👋 Hi @\S+, @\S+, @\S+ and @\S+! You are grouped for this week's group chat \(round 2026-W48\)\.$/);
    for (const m of members) expect(lines[0]).toContain(`@${m.username}`);
    expect(lines[1]).toMatch(/^Time zones: @\S+ \(\S+\), @\S+ \(\S+\), @\S+ \(\S+\); @bob has not set one\.$/);
    for (const zone of ['@mary_jane (America/Sao_Paulo)', '@kim_ (Asia/Kolkata)', '@ann.lee (Europe/Berlin)'])
      expect(lines[1]).toContain(zone);
    expect(lines[2]).toMatch(/^🕒 When to meet: your working hours \(09:00–18:00\) overlap for .+\.$/);
    for (const m of members.slice(0, 3))
      expect(lines[2]).toMatch(new RegExp(`@${m.username.replace('.', '\\.')} (Mon|Tue)–(Thu|Fri) \\d\\d:\\d\\d–\\d\\d:\\d\\d \\(UTC`));
    expect(lines[3]).toMatch(/^💬 To break the ice: \S.*\S$/);
    expect(lines[4]).toBe('Reply here to find a time that suits all of you; a short video call or coffee is perfect.');
    expect(lines[5]).toMatch(
      /^Can't make it\? Tell your group here\. To skip a round, react ❌ .* write skip to me; .*pause 3 weeks.*help lists everything I understand\)\.$/,
    );
  });
});
