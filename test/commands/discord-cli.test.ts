import { beforeEach, describe, expect, it } from 'vitest';
import type { APIUser } from 'discord-api-types/v10';
import { FakeDiscord } from '../fakes/discord.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';
import type { FeedbackReport } from '../../src/commands/collect-feedback.js';
import type { PruneReport } from '../../src/commands/prune.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * The built CLI, run as cron runs it, against the fake Discord server: a server of
 * 1,000+ members of whom a few dozen hold the program role, plus bots.
 */

// Discord allows a bot 50 requests a second, and the adapter keeps to it: a few dozen people keep this quick.
const HUMANS = 24;

describe('pairbot on Discord (built CLI, fake server)', () => {
  let humans: APIUser[];
  let bots: APIUser[];
  const box = useFakeServerSandbox(() => FakeDiscord.start());
  const { pairbot } = box;

  beforeEach(() => {
    humans = box.fake.addUsers(HUMANS, 'person');
    bots = [box.fake.addUser({ username: 'mee6', bot: true }), box.fake.addUser({ username: 'dyno', bot: true })];
    box.fake.addUsers(1_000, 'lurker', { withRole: false });
  });
  it('pairs every role holder by DM, bots and people without the role left out, and a re-run sends nothing twice', async () => {
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(r.stderr).not.toContain(box.fake.token);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(report.round).toBe('2026-W48');
    const ids = report.groups.flatMap((g) => g.members.map((m) => m.id));
    expect(new Set(ids)).toEqual(new Set(humans.map((u) => u.id)));
    for (const b of bots) expect(ids).not.toContain(b.id);
    expect(box.fake.requestCount({ method: 'GET', path: /\/members$/ })).toBe(2);

    for (const g of report.groups) {
      for (const m of g.members) {
        const [dm, ...more] = box.fake.dmsTo(m.id);
        expect(more).toEqual([]);
        for (const other of g.members) expect(dm!.content).toContain(`<@${other.id}>`);
      }
    }
    const sent = box.fake.botDMs();
    expect(sent).toHaveLength(HUMANS);
    for (const m of sent) expect(m.allowed_mentions).toMatchObject({ parse: [] });

    const again = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as PairReport).existing).toBe(true);
    const dry = await pairbot('pair', '--dry-run', '--date', '2026-11-30');
    expect(dry.code).toBe(0);
    expect(box.fake.botDMs()).toHaveLength(HUMANS);
  });

  it('rides out a rate limit, a 503 and a lost answer without double-posting', async () => {
    box.fake.inject({ kind: 'rate-limit', retryAfter: 0.2 }, { method: 'GET', path: /\/members$/ });
    box.fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/users\/@me\/channels$/ });
    box.fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /\/messages$/ });
    const r = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    expect(box.fake.botDMs()).toHaveLength(HUMANS);
    expect(box.fake.requests.filter((q) => q.fault).map((q) => q.fault)).toEqual(['rate-limit', 'status', 'reset']);
  });

  it('tells the partner of someone whose DMs are closed, and goes on', async () => {
    for (const u of humans.slice(1)) box.fake.closeDMs(u.id);
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/could not message/);
    expect(box.fake.dmsTo(humans[0]!.id)).toHaveLength(2);
  });

  it('status names whom the last round could not reach and lists the deliveries still pending', async () => {
    const closed = humans.slice(0, 2);
    for (const u of closed) box.fake.closeDMs(u.id);
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '1')).code).toBe(0);
    const status = async () => {
      const r = await pairbot('status', '--json', '--date', '2026-11-24');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const first = await status();
    expect(first.lastRound.unreachable).toEqual(
      closed.map((u) => ({ id: u.id, name: u.username })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
    expect(first.undelivered).toEqual([]);
    const text = await pairbot('status', '--date', '2026-11-24');
    expect(text.stdout).toContain(`could not reach ${closed.map((u) => u.username).join(', ')}`);

    // The platform failing part way: the round's messages stay pending, each listed with whom it is for and why.
    box.fake.inject(
      { kind: 'status', status: 503 },
      { method: 'POST', path: /^\/(users\/@me\/channels|channels\/\d+\/messages)$/, times: 1000 },
    );
    expect((await pairbot('pair', '--date', '2026-11-30', '--seed', '1')).code).toBe(3);
    const r = await pairbot('status', '--json', '--date', '2026-12-01');
    const second = JSON.parse(r.stdout);
    expect(second.deliveries.pending).toBeGreaterThan(0);
    expect(second.undelivered).toHaveLength(second.deliveries.pending + second.deliveries.failed);
    expect(second.undelivered[0]).toMatchObject({ kind: 'intro', round: '2026-W49', status: 'pending' });
    expect(second.undelivered[0].to.length).toBeGreaterThanOrEqual(2);
    expect(second.lastRound).toMatchObject({ round: '2026-W49', unreachable: [] });
    expect(second.undelivered.some((u: { attempts: number; error: string | null }) => u.attempts === 1 && /503/.test(u.error ?? ''))).toBe(
      true,
    );
    const lines = (await pairbot('status', '--date', '2026-12-01')).stdout;
    expect(lines).toMatch(/\n {2}pending: intro of 2026-W49 to \S+/);
  });

  it('exits 2 naming a missing setting, before connecting', async () => {
    delete box.env.DISCORD_ROLE_ID;
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DISCORD_ROLE_ID is not set');
    expect(box.fake.requestCount()).toBe(0);
  });

  it('exits 2 naming an unknown channel', async () => {
    box.env.DISCORD_CHANNEL_ID = '999999999999999999';
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DISCORD_CHANNEL_ID: no channel 999999999999999999');
  });

  it('exits 1 when the token is rejected, never printing it', async () => {
    box.env.DISCORD_TOKEN = 'not-the-right-token-9f8e7d';
    const r = await pairbot('pair', '--verbose', '--date', '2026-11-23');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`DISCORD_TOKEN was rejected by ${box.fake.apiUrl}`);
    expect(r.stderr + r.stdout).not.toContain('not-the-right-token-9f8e7d');
  });

  describe('a whole round: optout, pair, collect-feedback, prune', () => {
    async function playRound() {
      const announce = await pairbot('optout', '--date', '2026-11-21');
      expect(announce.code, announce.stderr).toBe(0);
      const [announcement, ...more] = box.fake.messagesIn(box.fake.channel.id);
      expect(more).toEqual([]);
      expect([...box.fake.reactionsOn(announcement!.id)]).toEqual([['❌', [box.fake.bot.id]]]);
      expect((await pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
      expect(box.fake.messagesIn(box.fake.channel.id)).toHaveLength(1);

      const skippers = humans.slice(0, 3).map((u) => u.id);
      for (const id of skippers) box.fake.react(id, announcement!.id, '❌');
      box.fake.react(humans[3]!.id, announcement!.id, '✅');
      const paired = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '3');
      expect(paired.code, paired.stderr).toBe(0);
      const report = JSON.parse(paired.stdout) as PairReport;
      expect([...report.excluded.optedOut].sort()).toEqual([...skippers].sort());
      const grouped = report.groups.flatMap((g) => g.members.map((m) => m.id));
      expect(grouped).toHaveLength(HUMANS - 3);

      const asked = await pairbot('collect-feedback', '--json', '--date', '2026-11-27');
      expect(asked.code, asked.stderr).toBe(0);
      expect((JSON.parse(asked.stdout) as FeedbackReport).asked).toBe(report.groups.length);
      const asks = report.groups.map((g) => {
        const byMember = g.members.map((m) => {
          const dms = box.fake.dmsTo(m.id);
          expect(dms).toHaveLength(2);
          expect([...box.fake.reactionsOn(dms[1]!.id).keys()]).toEqual(['✅', '❌', '📅']);
          return dms[1]!;
        });
        return { members: g.members.map((m) => m.id), asks: byMember };
      });

      const [met, missed, scheduled] = asks;
      box.fake.react(met!.members[0]!, met!.asks[0]!.id, '✅');
      box.fake.react(missed!.members[0]!, missed!.asks[0]!.id, '❌');
      box.fake.react(scheduled!.members[1]!, scheduled!.asks[1]!.id, '📅');
      const tallied = await pairbot('collect-feedback', '--json', '--date', '2026-11-28');
      expect(tallied.code, tallied.stderr).toBe(0);
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

    it('takes the role from the partner who never answered a missed meeting, and tells them', async () => {
      box.env.PAIRBOT_MAX_MISSES = '1';
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        { id: silentPartner, name: expect.any(String), misses: 1, removedFromPlace: true },
      ]);
      expect(box.fake.hasRole(silentPartner)).toBe(false);
      expect(box.fake.dmsTo(silentPartner)).toHaveLength(3);
    });

    it('flags the member but leaves the role when the bot may not manage roles', async () => {
      box.env.PAIRBOT_MAX_MISSES = '1';
      box.fake.canManageRoles = false;
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        expect.objectContaining({ id: silentPartner, removedFromPlace: false }),
      ]);
      expect(pruned.stderr).toMatch(/may not remove/);
      expect(box.fake.hasRole(silentPartner)).toBe(true);
    });
  });
});
