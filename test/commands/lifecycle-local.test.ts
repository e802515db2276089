import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Post {
  id: string;
  conversation: string;
  recipients: string[];
  text: string;
  reactions: { userId: string; emoji: string }[];
}
interface Group {
  members: { id: string; name: string }[];
}

/**
 * A month and more of one community on the local platform, command by command as
 * cron would run them, with --date: announce → opt-outs → pair → ask → mixed
 * answers → tally → three misses → prune → rejoin → catch-up.
 */
describe('the round lifecycle on the local platform (built CLI)', () => {
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const roster = (ids: string[]) =>
    writeFileSync(
      join(dir, 'roster.csv'),
      `id,name,timezone\n${ids.map((id) => `${id},${{ a: 'ann', b: 'bea', c: 'cal', d: 'dan', e: 'eve', f: 'fay' }[id]},UTC`).join('\n')}\n`,
    );
  const run = async (...args: string[]) => {
    const r = await runCli(args, { cwd: dir, env });
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  const json = async (...args: string[]) => JSON.parse((await run(...args, '--json')).stdout);
  const posts = async (): Promise<Post[]> => (await json('local', 'messages')).posts;
  const react = (post: Post, who: string, emoji: string, ...more: string[]) => run('local', 'react', post.id, who, emoji, ...more);
  const askFor = async (round: string, member: string) =>
    (await posts()).find((p) => p.text.includes(`for round ${round} happen?`) && p.recipients.includes(member))!;
  const partnerOf = (groups: Group[], member: string) =>
    groups
      .find((g) => g.members.some((m) => m.id === member))!
      .members.map((m) => m.id)
      .filter((id) => id !== member);
  const otherGroup = (groups: Group[], member: string) =>
    groups.find((g) => !g.members.some((m) => m.id === member))!.members.map((m) => m.id);

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    roster(['a', 'b', 'c', 'd']);
    env = { PAIRBOT_ROSTER: join(dir, 'roster.csv'), PAIRBOT_DB: join(dir, 'pairbot.db') };
  });
  afterAll(() => cleanup());

  it('announces the next round once, with the bot’s ❌', async () => {
    const first = await run('optout', '--date', '2026-11-21');
    expect(first.stdout).toMatch(/announcement for round 2026-W48/);
    await run('optout', '--date', '2026-11-21');
    const channel = (await posts()).filter((p) => p.conversation === 'channel');
    expect(channel).toHaveLength(1);
    expect(channel[0]!.text).toMatch(/Monday 23 November/);
    expect(channel[0]!.reactions).toEqual([{ userId: 'pairbot', emoji: 'x' }]);
    const dry = await run('optout', '--dry-run', '--date', '2026-11-28');
    expect(dry.stdout).toMatch(/round 2026-W49/);
    expect((await posts()).filter((p) => p.conversation === 'channel')).toHaveLength(1);
  });

  it('pair honours ❌ reactions; a reaction taken back is no opt-out', async () => {
    const [announcement] = (await posts()).filter((p) => p.conversation === 'channel');
    await react(announcement!, 'dan', '❌');
    await react(announcement!, 'cal', 'x');
    await react(announcement!, 'cal', 'x', '--remove');
    const w48 = await json('pair', '--date', '2026-11-23');
    expect(w48.excluded.optedOut).toEqual(['d']);
    expect(w48.groups).toHaveLength(1);
    expect(w48.groups[0].members.map((m: { id: string }) => m.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('asks each group once and keeps disagreeing answers (any ✅ → met)', async () => {
    const ask = await json('collect-feedback', '--date', '2026-11-26');
    expect(ask).toMatchObject({ round: '2026-W48', asked: 1, met: 0, unanswered: 1 });
    expect((await json('collect-feedback', '--date', '2026-11-26')).asked).toBe(0);
    const post = await askFor('2026-W48', 'a');
    expect(post.reactions.map((r) => r.emoji)).toEqual(['white_check_mark', 'x', 'calendar']);
    expect((await posts()).filter((p) => p.text.includes('for round 2026-W48 happen?'))).toHaveLength(1);
    await react(post, 'ann', '✅');
    await react(post, 'bea', '❌');
    const tally = await json('collect-feedback', '--date', '2026-11-30');
    expect(tally).toMatchObject({ round: '2026-W48', asked: 0, met: 1, missed: 0, scheduled: 0, unanswered: 0 });
  });

  it('charges misses to the member who never answers, re-asks a 📅 group, then prune removes exactly them', async () => {
    const weeks = [
      { pair: '2026-11-30', ask: '2026-12-03', round: '2026-W49' },
      { pair: '2026-12-07', ask: '2026-12-10', round: '2026-W50' },
      { pair: '2026-12-14', ask: '2026-12-17', round: '2026-W51' },
    ];
    for (const [i, w] of weeks.entries()) {
      const round = await json('pair', '--date', w.pair);
      expect(round.round).toBe(w.round);
      expect((await json('collect-feedback', '--date', w.ask)).asked).toBe(2);
      const [partner] = partnerOf(round.groups, 'd');
      await react(await askFor(w.round, 'd'), partner!, '❌');
      const others = otherGroup(round.groups, 'd');
      if (i === 0) {
        await react(await askFor(w.round, others[0]!), others[0]!, '📅');
        const monday = await json('collect-feedback', '--date', '2026-12-07');
        expect(monday).toMatchObject({ round: '2026-W49', missed: 1, scheduled: 1, reminded: 1 });
        expect((await json('collect-feedback', '--date', '2026-12-07')).reminded).toBe(0);
        const reminder = (await posts()).filter((p) => p.text.includes('Checking again') && p.recipients.includes(others[0]!));
        expect(reminder).toHaveLength(1);
        await react(reminder[0]!, others[1]!, '✅');
      } else {
        await react(await askFor(w.round, others[0]!), others[0]!, '✅');
      }
    }
    const tally = await json('collect-feedback', '--date', '2026-12-21');
    expect(tally).toMatchObject({ round: '2026-W51', met: 1, missed: 1 });
    expect(tally.rounds.find((r: { round: string }) => r.round === '2026-W49')).toMatchObject({ met: 1, missed: 1, scheduled: 0 });
    // --quiet: what the full output says, on one line for a cron log.
    const full = (await run('collect-feedback', '--date', '2026-12-21')).stdout;
    expect(full).toMatch(
      /^Round 2026-W51: asked 0 new groups and reminded 0 groups\.\nFeedback so far: 1 met, 1 missed, 0 scheduled, 0 unanswered\.\nEarlier rounds:\n/,
    );
    expect((await run('collect-feedback', '--quiet', '--date', '2026-12-21')).stdout).toBe(
      'Round 2026-W51: asked 0 new groups and reminded 0 groups; feedback so far: 1 met, 1 missed, 0 scheduled, 0 unanswered; ' +
        'earlier rounds: 2026-W50 (1 met, 1 missed, 0 scheduled, 0 unanswered), 2026-W49 (1 met, 1 missed, 0 scheduled, 0 unanswered), ' +
        '2026-W48 (1 met, 0 missed, 0 scheduled, 0 unanswered).\n',
    );

    const shown = await json('member', 'show', 'dan', '--date', '2026-12-21');
    expect(shown.misses).toBe(3);
    const dry = await json('prune', '--dry-run', '--date', '2026-12-21');
    expect(dry.removed).toEqual([{ id: 'd', name: 'dan', misses: 3, removedFromPlace: null }]);
    expect((await run('prune', '--dry-run', '--date', '2026-12-21')).stdout).toBe(
      "Would remove 1 member after 3 missed meetings in a row:\n  dan (d): 3 misses\nHistory before 2025-12-21: would delete 0 groups and 0 long-gone members, keeping everyone's 10 latest partners.\n",
    );
    expect((await run('prune', '--dry-run', '--quiet', '--date', '2026-12-21')).stdout).toBe(
      "Would remove 1 member after 3 missed meetings in a row: dan (d, 3 misses); history before 2025-12-21: would delete 0 groups and 0 long-gone members, keeping everyone's 10 latest partners.\n",
    );
    expect((await json('members')).members.find((m: { id: string }) => m.id === 'd').state).toBe('active');

    const pruned = await json('prune', '--date', '2026-12-21');
    expect(pruned.removed).toEqual([{ id: 'd', name: 'dan', misses: 3, removedFromPlace: true }]);
    expect((await json('prune', '--date', '2026-12-21')).removed).toEqual([]);
    expect((await run('prune', '--date', '2026-12-21')).stdout).toBe(
      "Nobody has missed 3 meetings in a row; nobody was removed.\nHistory before 2025-12-21: deleted 0 groups and 0 long-gone members, keeping everyone's 10 latest partners.\n",
    );
    expect((await run('prune', '--quiet', '--date', '2026-12-21')).stdout).toBe(
      "Nobody has missed 3 meetings in a row; nobody was removed; history before 2025-12-21: deleted 0 groups and 0 long-gone members, keeping everyone's 10 latest partners.\n",
    );
    const dms = (await posts()).filter((p) => p.recipients.length === 1 && p.recipients[0] === 'd');
    expect(dms).toHaveLength(1);
    expect(dms[0]!.text).toMatch(/last 3 pairings .* rejoin/s);
    // The next step works on every platform (a Discord member holds a role, not a channel seat): `join` to the bot.
    expect(dms[0]!.text).toContain('write `join` to me');
    const members = (await json('members')).members;
    expect(members.filter((m: { state: string }) => m.state !== 'active').map((m: { id: string }) => m.id)).toEqual(['d']);
    expect(
      (await json('pair', '--dry-run', '--date', '2026-12-21')).groups.flatMap((g: Group) => g.members.map((m) => m.id)),
    ).not.toContain('d');
  });

  it('a member who rejoins starts again with no misses', async () => {
    await run('local', 'rejoin', 'dan', '--date', '2026-12-27');
    const w53 = await json('pair', '--date', '2026-12-28');
    expect(w53.round).toBe('2026-W53');
    expect(w53.groups.flatMap((g: Group) => g.members.map((m) => m.id))).toContain('d');
    const shown = await json('member', 'show', 'dan', '--date', '2026-12-28');
    expect(shown).toMatchObject({ state: 'active', misses: 0, joinedOn: '2026-12-28' });
  });

  it('catch-up pairs late joiners, then regroups someone whose partner left, touching nobody else', async () => {
    const before = await json('pair', '--date', '2026-12-29');
    roster(['a', 'b', 'c', 'd', 'e', 'f']);
    const caught = await json('pair', '--catch-up', '--date', '2026-12-30');
    expect(caught.groups.map((g: Group) => g.members.map((m) => m.id).sort())).toEqual([['e', 'f']]);
    expect(caught.joined).toEqual([]);
    expect((await json('pair', '--catch-up', '--date', '2026-12-30')).groups).toEqual([]);
    const after = await json('pair', '--date', '2026-12-30');
    expect(after.existing).toBe(true);
    for (const g of before.groups) expect(after.groups).toContainEqual(g);

    const [partner] = partnerOf(before.groups, 'd');
    await run('member', 'kick', partner!, '--date', '2026-12-31');
    const regroup = await json('pair', '--catch-up', '--date', '2026-12-31');
    expect(regroup.joined).toHaveLength(1);
    expect(regroup.joined[0].id).toBe('d');
    expect(regroup.joined[0].group.map((m: { id: string }) => m.id).sort()).toEqual(['d', 'e', 'f']);
    // The round as it stands everywhere: the pair catch-up dissolved is not counted as a group.
    const standing = (await json('pair', '--date', '2026-12-31')).groups.length;
    expect((await json('status', '--date', '2026-12-31')).lastRound.groups).toBe(standing);
    expect((await json('pair', '--catch-up', '--date', '2027-01-01')).joined).toEqual([]);
    expect((await run('pair', '--catch-up', '--quiet', '--date', '2027-01-01')).stdout).toBe(
      'Catch-up for round 2026-W53: 0 new groups, 0 joined an existing group; 0 still waiting.\n',
    );
    const round = await json('pair', '--date', '2027-01-01');
    const ids = round.groups.flatMap((g: Group) => g.members.map((m) => m.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(partner);
    const welcome = (await posts()).filter((p) => p.text.includes('joins your group'));
    expect(welcome).toHaveLength(1);
    expect([...welcome[0]!.recipients].sort()).toEqual(['d', 'e', 'f']);

    // The round's groups as they stand are asked whether they met: d once, in the group catch-up
    // moved them to, not also about the pair it dissolved; the kicked partner is asked nothing.
    const feedback = await json('collect-feedback', '--date', '2027-01-02');
    const asks = (await posts()).filter((p) => p.text.includes('for round 2026-W53 happen?'));
    expect(asks.map((p) => [...p.recipients].sort().join('+')).sort()).toEqual(
      [otherGroup(before.groups, 'd').sort().join('+'), 'd+e+f'].sort(),
    );
    expect(feedback.asked).toBe(2);
  });
});
