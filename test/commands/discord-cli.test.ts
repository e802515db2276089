import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { APIUser } from 'discord-api-types/v10';
import { FakeDiscord } from '../fakes/discord.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
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
  let fake: FakeDiscord;
  let humans: APIUser[];
  let bots: APIUser[];
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const pairbot = (...args: string[]) => runCli(args, { cwd: dir, env });

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    humans = fake.addUsers(HUMANS, 'person');
    bots = [fake.addUser({ username: 'mee6', bot: true }), fake.addUser({ username: 'dyno', bot: true })];
    fake.addUsers(1_000, 'lurker', { withRole: false });
    ({ dir, cleanup } = tempDir());
    env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'data', 'pairbot.db') };
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  it('pairs every role holder by DM, bots and people without the role left out, and a re-run sends nothing twice', async () => {
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '7');
    expect(r.stderr).not.toContain(fake.token);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(report.round).toBe('2026-W48');
    const ids = report.groups.flatMap((g) => g.members.map((m) => m.id));
    expect(new Set(ids)).toEqual(new Set(humans.map((u) => u.id)));
    for (const b of bots) expect(ids).not.toContain(b.id);
    expect(fake.requestCount({ method: 'GET', path: /\/members$/ })).toBe(2);

    for (const g of report.groups) {
      for (const m of g.members) {
        const [dm, ...more] = fake.dmsTo(m.id);
        expect(more).toEqual([]);
        for (const other of g.members) expect(dm!.content).toContain(`<@${other.id}>`);
      }
    }
    const sent = fake.botDMs();
    expect(sent).toHaveLength(HUMANS);
    for (const m of sent) expect(m.allowed_mentions).toMatchObject({ parse: [] });

    const again = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as PairReport).existing).toBe(true);
    const dry = await pairbot('pair', '--dry-run', '--date', '2026-11-30');
    expect(dry.code).toBe(0);
    expect(fake.botDMs()).toHaveLength(HUMANS);
  });

  it('rides out a rate limit, a 503 and a lost answer without double-posting', async () => {
    fake.inject({ kind: 'rate-limit', retryAfter: 0.2 }, { method: 'GET', path: /\/members$/ });
    fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/users\/@me\/channels$/ });
    fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /\/messages$/ });
    const r = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    expect(fake.botDMs()).toHaveLength(HUMANS);
    expect(fake.requests.filter((q) => q.fault).map((q) => q.fault)).toEqual(['rate-limit', 'status', 'reset']);
  });

  it('tells the partner of someone whose DMs are closed, and goes on', async () => {
    for (const u of humans.slice(1)) fake.closeDMs(u.id);
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/could not message/);
    expect(fake.dmsTo(humans[0]!.id)).toHaveLength(2);
  });

  it('exits 2 naming a missing setting, before connecting', async () => {
    delete env.DISCORD_ROLE_ID;
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DISCORD_ROLE_ID is not set');
    expect(fake.requestCount()).toBe(0);
  });

  it('exits 2 naming an unknown channel', async () => {
    env.DISCORD_CHANNEL_ID = '999999999999999999';
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DISCORD_CHANNEL_ID: no channel 999999999999999999');
  });

  it('exits 1 when the token is rejected, never printing it', async () => {
    env.DISCORD_TOKEN = 'not-the-right-token-9f8e7d';
    const r = await pairbot('pair', '--verbose', '--date', '2026-11-23');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`DISCORD_TOKEN was rejected by ${fake.apiUrl}`);
    expect(r.stderr + r.stdout).not.toContain('not-the-right-token-9f8e7d');
  });

  describe('a whole round: optout, pair, collect-feedback, prune', () => {
    async function playRound() {
      const announce = await pairbot('optout', '--date', '2026-11-21');
      expect(announce.code, announce.stderr).toBe(0);
      const [announcement, ...more] = fake.messagesIn(fake.channel.id);
      expect(more).toEqual([]);
      expect([...fake.reactionsOn(announcement!.id)]).toEqual([['❌', [fake.bot.id]]]);
      expect((await pairbot('optout', '--date', '2026-11-21')).code).toBe(0);
      expect(fake.messagesIn(fake.channel.id)).toHaveLength(1);

      const skippers = humans.slice(0, 3).map((u) => u.id);
      for (const id of skippers) fake.react(id, announcement!.id, '❌');
      fake.react(humans[3]!.id, announcement!.id, '✅');
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
          const dms = fake.dmsTo(m.id);
          expect(dms).toHaveLength(2);
          expect([...fake.reactionsOn(dms[1]!.id).keys()]).toEqual(['✅', '❌', '📅']);
          return dms[1]!;
        });
        return { members: g.members.map((m) => m.id), asks: byMember };
      });

      const [met, missed, scheduled] = asks;
      fake.react(met!.members[0]!, met!.asks[0]!.id, '✅');
      fake.react(missed!.members[0]!, missed!.asks[0]!.id, '❌');
      fake.react(scheduled!.members[1]!, scheduled!.asks[1]!.id, '📅');
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
      env.PAIRBOT_MAX_MISSES = '1';
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        { id: silentPartner, name: expect.any(String), misses: 1, removedFromPlace: true },
      ]);
      expect(fake.hasRole(silentPartner)).toBe(false);
      expect(fake.dmsTo(silentPartner)).toHaveLength(3);
    });

    it('flags the member but leaves the role when the bot may not manage roles', async () => {
      env.PAIRBOT_MAX_MISSES = '1';
      fake.canManageRoles = false;
      const { silentPartner } = await playRound();
      const pruned = await pairbot('prune', '--json', '--date', '2026-11-30');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect((JSON.parse(pruned.stdout) as PruneReport).removed).toEqual([
        expect.objectContaining({ id: silentPartner, removedFromPlace: false }),
      ]);
      expect(pruned.stderr).toMatch(/may not remove/);
      expect(fake.hasRole(silentPartner)).toBe(true);
    });
  });
});
