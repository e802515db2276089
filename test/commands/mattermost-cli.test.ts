import { beforeEach, describe, expect, it } from 'vitest';
import type { UserProfile } from '@mattermost/types/users';
import { FakeMattermost } from '../fakes/mattermost.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';
import type { FeedbackReport } from '../../src/commands/collect-feedback.js';
import type { PruneReport } from '../../src/commands/prune.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * The built CLI, run as cron runs it, against the fake Mattermost server with a
 * channel of 450+ people, bots and deactivated accounts.
 */

const HUMANS = 452;

describe('pairbot on Mattermost (built CLI, fake server)', () => {
  let humans: UserProfile[];
  let others: UserProfile[];
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));
  const { pairbot } = box;

  beforeEach(() => {
    humans = box.fake.addUsers(HUMANS, 'person');
    others = [
      box.fake.addBot('standupbot'),
      box.fake.addBot('githubbot'),
      box.fake.addBot('pollbot'),
      ...box.fake.addUsers(6, 'former', { deactivated: true }),
    ];
  });
  it('pairs everyone in the channel, one group channel per group, bots and deactivated left out', async () => {
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(r.stderr).not.toContain(box.fake.token);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(report.round).toBe('2026-W48');
    const ids = report.groups.flatMap((g) => g.members.map((m) => m.id));
    expect(new Set(ids)).toEqual(new Set(humans.map((u) => u.id)));
    expect(ids).toHaveLength(HUMANS);
    for (const o of others) expect(ids).not.toContain(o.id);
    expect(report.groups.every((g) => g.members.length === 2)).toBe(true);

    for (const g of report.groups) {
      const channel = box.fake.conversationOf(g.members.map((m) => m.id));
      expect(channel?.type).toBe('G');
      const posts = box.fake.postsIn(channel!.id);
      expect(posts).toHaveLength(1);
      for (const m of g.members) expect(posts[0]!.message).toContain(`@${m.name}`);
    }
    expect(box.fake.botMessages()).toHaveLength(report.groups.length);
    // Roster: 462 channel members in 3 pages, read twice to see they agree; then 2 requests per group; plus connecting (2).
    expect(box.fake.requestCount({ path: /^\/api\/v4\/users$/ })).toBe(6);
    expect(box.fake.requestCount()).toBeLessThanOrEqual(6 + 2 * report.groups.length + 2);
  });

  it('runs again for the same round without sending anything twice, and a dry run sends nothing', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23')).code).toBe(0);
    const sent = box.fake.botMessages().length;
    const again = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as PairReport).existing).toBe(true);
    const dry = await pairbot('pair', '--dry-run', '--date', '2026-11-30');
    expect(dry.code).toBe(0);
    expect(box.fake.botMessages()).toHaveLength(sent);
    expect(box.fake.requestCount({ method: 'POST' })).toBe(2 * sent);
  });

  it('rides out a rate limit, a 503 and a dropped connection', async () => {
    box.fake.inject({ kind: 'rate-limit', waitSeconds: 1 }, { method: 'GET', path: /^\/api\/v4\/users$/ });
    box.fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/api\/v4\/channels\/group$/ });
    box.fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /^\/api\/v4\/posts$/ });
    const r = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(box.fake.botMessages()).toHaveLength(report.groups.length);
    expect(box.fake.requests.filter((q) => q.fault).map((q) => q.fault)).toEqual(['rate-limit', 'status', 'reset']);
  });

  it('tells the partner of someone who cannot be messaged, and goes on', async () => {
    for (const h of humans.slice(1)) box.fake.refuseDirectMessages(h.id);
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/could not message @person\d+/);
    // Only person001 can be messaged: they get their intro and a note about their partner.
    const first = box.fake.conversationOf([humans[0]!.id])!;
    expect(box.fake.postsIn(first.id)).toHaveLength(2);
  });

  it('refuses a channel member list that comes back empty, changing nothing, unless --accept-roster', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '7')).code).toBe(0);
    const statusBefore = await pairbot('status', '--json', '--date', '2026-11-24');
    // A glitching API (or a wrong channel) answers an empty member list.
    box.fake.members.get(box.fake.channel.id)!.clear();
    const sentBefore = box.fake.botMessages().length;
    const refused = await pairbot('pair', '--date', '2026-11-30');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[mattermost\] the roster lists none of the 452 active members\. That looks like a fault/);
    expect(refused.stderr).toContain('--accept-roster');
    expect((await pairbot('status', '--json', '--date', '2026-11-24')).stdout).toBe(statusBefore.stdout);
    expect(box.fake.botMessages()).toHaveLength(sentBefore);

    const accepted = await pairbot('pair', '--json', '--date', '2026-11-30', '--accept-roster');
    expect(accepted.code, accepted.stderr).toBe(0);
    expect((JSON.parse(accepted.stdout) as PairReport).groups).toEqual([]);
  });

  it('exits 2 naming a missing setting, before connecting', async () => {
    delete box.env.MATTERMOST_TOKEN;
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MATTERMOST_TOKEN is not set');
    expect(box.fake.requestCount()).toBe(0);
  });

  it('exits 2 naming an unknown channel', async () => {
    box.env.MATTERMOST_CHANNEL = 'no-such-channel';
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MATTERMOST_CHANNEL: no channel "no-such-channel"');
  });

  it('exits 1 when the token is rejected, never printing it', async () => {
    box.env.MATTERMOST_TOKEN = 'not-the-right-token-9f8e7d';
    const r = await pairbot('pair', '--verbose', '--date', '2026-11-23');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`MATTERMOST_TOKEN was rejected by ${box.fake.url}`);
    expect(r.stderr + r.stdout).not.toContain('not-the-right-token-9f8e7d');
  });

  describe('a whole round: optout, pair, collect-feedback, prune', () => {
    /** Announce, let three people skip, pair, ask, and have three groups answer. Returns who answered what. */
    async function playRound() {
      const announce = await pairbot('optout', '--date', '2026-11-21');
      expect(announce.code).toBe(0);
      const [announcement, ...more] = box.fake.postsIn(box.fake.channel.id);
      expect(more).toEqual([]);
      expect(announcement!.user_id).toBe(box.fake.bot.id);
      expect(box.fake.reactions.get(announcement!.id)?.map((r) => [r.user_id, r.emoji_name])).toEqual([[box.fake.bot.id, 'x']]);
      expect((await pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
      expect(box.fake.postsIn(box.fake.channel.id)).toHaveLength(1);

      const skippers = humans.slice(0, 3).map((u) => u.id);
      for (const id of skippers) box.fake.react(id, announcement!.id, 'x');
      box.fake.react(humans[3]!.id, announcement!.id, 'white_check_mark');
      const paired = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '3');
      expect(paired.code).toBe(0);
      const report = JSON.parse(paired.stdout) as PairReport;
      expect([...report.excluded.optedOut].sort()).toEqual([...skippers].sort());
      const grouped = report.groups.flatMap((g) => g.members.map((m) => m.id));
      expect(grouped).toHaveLength(HUMANS - 3);
      for (const id of skippers) expect(grouped).not.toContain(id);

      const asked = await pairbot('collect-feedback', '--json', '--date', '2026-11-27');
      expect(asked.code).toBe(0);
      expect((JSON.parse(asked.stdout) as FeedbackReport).asked).toBe(report.groups.length);
      const asks = report.groups.map((g) => {
        const conversation = box.fake.conversationOf(g.members.map((m) => m.id))!;
        const posts = box.fake.postsIn(conversation.id);
        expect(posts).toHaveLength(2);
        expect(box.fake.reactions.get(posts[1]!.id)?.map((r) => r.emoji_name)).toEqual(['white_check_mark', 'x', 'date']);
        return { members: g.members.map((m) => m.id), ask: posts[1]! };
      });

      const [met, missed, scheduled] = asks;
      box.fake.react(met!.members[0]!, met!.ask.id, 'white_check_mark');
      box.fake.react(missed!.members[0]!, missed!.ask.id, 'x');
      box.fake.react(scheduled!.members[1]!, scheduled!.ask.id, 'date');
      // Someone outside the group answering does not count.
      box.fake.react(humans[0]!.id, asks[3]!.ask.id, 'white_check_mark');
      const tallied = await pairbot('collect-feedback', '--json', '--date', '2026-11-28');
      expect(tallied.code).toBe(0);
      expect(JSON.parse(tallied.stdout) as FeedbackReport).toMatchObject({
        round: '2026-W48',
        asked: 0,
        met: 1,
        missed: 1,
        scheduled: 1,
        unanswered: report.groups.length - 3,
      });
      return { silentPartner: missed!.members[1]! };
    }

    it('removes the partner who never answered a missed meeting, and tells them', async () => {
      box.env.PAIRBOT_MAX_MISSES = '1';
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        { id: silentPartner, name: expect.any(String), misses: 1, removedFromPlace: true },
      ]);
      expect(box.fake.isInChannel(silentPartner)).toBe(false);
      const dm = box.fake.conversationOf([silentPartner])!;
      expect(dm.type).toBe('D');
      expect(box.fake.postsIn(dm.id)).toHaveLength(1);
    });

    it('flags the member but leaves them in the channel when the bot may not remove them', async () => {
      box.env.PAIRBOT_MAX_MISSES = '1';
      box.fake.canRemoveMembers = false;
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        expect.objectContaining({ id: silentPartner, removedFromPlace: false }),
      ]);
      expect(pruned.stderr).toMatch(/may not remove/);
      expect(box.fake.isInChannel(silentPartner)).toBe(true);
    });
  });
});
