import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord, PERMISSIONS } from '../fakes/discord.js';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import type { PairReport } from '../../src/commands/pair.js';

/** PAIRBOT_DISCORD_DELIVERY=thread against the fake Discord: one private thread per group (SPEC §10). */

const HUMANS = 8;

describe('Discord thread delivery (built CLI, fake server)', () => {
  let fake: FakeDiscord;
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const pairbot = (...args: string[]) => runCli(args, { cwd: dir, env });
  const threads = () => fake.threadsIn(fake.channel.id);

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    fake.addUsers(HUMANS, 'person');
    ({ dir, cleanup } = tempDir());
    env = {
      PAIRBOT_PLATFORM: 'discord',
      PAIRBOT_DISCORD_DELIVERY: 'thread',
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_TOKEN: fake.token,
      DISCORD_GUILD_ID: fake.guild.id,
      DISCORD_ROLE_ID: fake.role.id,
      DISCORD_CHANNEL_ID: fake.channel.id,
      PAIRBOT_DB: join(dir, 'data', 'pairbot.db'),
    };
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  it('opens one private thread per group with its members, posts the intro and the feedback ask there, once', async () => {
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '5');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(threads()).toHaveLength(report.groups.length);
    expect(fake.botDMs()).toHaveLength(0);
    for (const g of report.groups) {
      const ids = g.members.map((m) => m.id);
      const thread = threads().find((t) => ids.every((id) => fake.threadMembers.get(t.id)!.has(id)))!;
      expect(thread).toBeDefined();
      expect([...fake.threadMembers.get(thread.id)!].sort()).toEqual([fake.bot.id, ...ids].sort());
      expect((thread as { thread_metadata?: { invitable?: boolean } }).thread_metadata?.invitable).toBe(false);
      const [intro, ...more] = fake.messagesIn(thread.id);
      expect(more).toEqual([]);
      for (const id of ids) expect(intro!.content).toContain(`<@${id}>`);
      // One conversation for the group: "reply here" reaches everyone.
      expect(intro!.content).toContain('Reply here');
    }

    expect((await pairbot('pair', '--date', '2026-11-24')).code).toBe(0);
    const asked = await pairbot('collect-feedback', '--date', '2026-11-27');
    expect(asked.code, asked.stderr).toBe(0);
    expect(threads()).toHaveLength(report.groups.length);
    expect(fake.botDMs()).toHaveLength(0);
    for (const t of threads()) {
      const [, ask, ...more] = fake.messagesIn(t.id);
      expect(more).toEqual([]);
      expect(ask!.content).toMatch(/did your 1-on-1 for round 2026-W48 happen/);
      expect([...fake.reactionsOn(ask!.id).keys()]).toEqual(['✅', '❌', '📅']);
    }
    // ❌ in a group's thread means "didn't happen", not "skip".
    const first = threads()[0]!;
    const [, ask] = fake.messagesIn(first.id);
    const reporter = [...fake.threadMembers.get(first.id)!].find((id) => id !== fake.bot.id)!;
    fake.react(reporter, ask!.id, '❌');
    const tallied = await pairbot('collect-feedback', '--json', '--date', '2026-11-28');
    expect(tallied.code, tallied.stderr).toBe(0);
    expect(JSON.parse(tallied.stdout)).toMatchObject({ missed: 1, asked: 0 });
  });

  it('a run killed after opening threads, and a lost answer to a create, leave one thread per group and one intro each', async () => {
    fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /\/threads$/ });
    fake.inject({ kind: 'latency', ms: 60_000 }, { method: 'PUT', path: /\/thread-members\// });
    const child = spawn(process.execPath, [BIN, 'pair', '--date', '2026-11-23', '--seed', '5'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    for (let i = 0; i < 600 && fake.requestCount({ method: 'PUT', path: /\/thread-members\// }) === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    expect(threads()).toHaveLength(1);
    expect(fake.messagesIn(threads()[0]!.id)).toHaveLength(0);

    const rerun = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    const groups = (JSON.parse(rerun.stdout) as PairReport).groups;
    expect(threads()).toHaveLength(groups.length);
    for (const t of threads()) {
      expect(fake.messagesIn(t.id)).toHaveLength(1);
      expect(fake.threadMembers.get(t.id)!.size).toBe(3);
    }
  });

  it('a run killed after creating a thread but before storing it finds the thread on the rerun though Discord archived it meanwhile', async () => {
    // The thread is made, but its answer never comes back before the kill.
    fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /\/threads$/ });
    const child = spawn(process.execPath, [BIN, 'pair', '--date', '2026-11-23', '--seed', '5'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    for (let i = 0; i < 600 && threads().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const [orphan, ...others] = threads();
    expect(others).toEqual([]);
    // Days later: no activity, so Discord has archived it (it is no longer among the active threads).
    fake.clock.advance(7 * 24 * 3600_000);
    fake.archiveThread(orphan!.id);

    const rerun = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    const groups = (JSON.parse(rerun.stdout) as PairReport).groups;
    expect(threads()).toHaveLength(groups.length);
    expect(threads().map((t) => t.id)).toContain(orphan!.id);
    expect(fake.isArchived(orphan!.id)).toBe(false);
    for (const t of threads()) {
      expect(fake.messagesIn(t.id)).toHaveLength(1);
      expect(fake.threadMembers.get(t.id)!.size).toBe(3);
    }
  });

  it('posts the feedback ask in a group thread Discord archived since the intro', async () => {
    const r = await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '5');
    expect(r.code, r.stderr).toBe(0);
    for (const t of threads()) fake.archiveThread(t.id);
    const asked = await pairbot('collect-feedback', '--date', '2026-11-27');
    expect(asked.code, asked.stderr).toBe(0);
    expect(threads()).toHaveLength((JSON.parse(r.stdout) as PairReport).groups.length);
    for (const t of threads()) {
      expect(fake.isArchived(t.id)).toBe(false);
      expect(fake.messagesIn(t.id).map((m) => m.content)).toEqual([
        expect.stringContaining('Hi'),
        expect.stringMatching(/did your 1-on-1/),
      ]);
    }
  });

  it('exits 2 naming Create Private Threads when the bot lacks it, before anything is stored', async () => {
    fake.revokeBotPermission(PERMISSIONS.createPrivateThreads);
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /PAIRBOT_DISCORD_DELIVERY=thread: the bot \(@pairbot\) lacks the Create Private Threads permission in #coffee-pairs/,
    );
    expect(threads()).toHaveLength(0);
    expect(fake.requestCount({ method: 'GET', path: /\/members$/ })).toBe(0);
  });

  it('keeps DMs for messages to one person: a sit-out notice is a DM', async () => {
    fake.addUser({ username: 'odd' });
    env.PAIRBOT_ODD = 'sit-out';
    const r = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as PairReport;
    expect(report.satOut).toHaveLength(1);
    expect(fake.dmsTo(report.satOut[0]!)).toHaveLength(1);
    expect(fake.botDMs()).toHaveLength(1);
    expect(threads()).toHaveLength(report.groups.length);
  });
});
