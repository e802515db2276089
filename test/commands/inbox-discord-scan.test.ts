import { join } from 'node:path';
import type { APIUser } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxReport } from '../../src/commands/inbox.js';
import { FakeDiscord } from '../fakes/discord.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * What an `inbox` run reads on Discord once the program has a history (issue 11): a run's
 * requests grow with the conversations that have something new, not with the rounds
 * delivered so far nor the community.
 */
describe('inbox on Discord after many rounds (built CLI, fake server)', () => {
  let fake: FakeDiscord;
  let people: APIUser[];
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const pairbot = (...args: string[]) => runCli(args, { cwd: dir, env });
  const inbox = async (at?: number): Promise<InboxReport> => {
    const r = await runCli(['inbox', '--json'], {
      cwd: dir,
      env: at === undefined ? env : { ...env, PAIRBOT_NOW: new Date(at).toISOString() },
    });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as InboxReport;
  };
  const reads = () => fake.requestCount({ method: 'GET', path: /^\/channels\/\d+\/messages$/ });
  const readsOf = (channelId: string) => fake.requestCount({ method: 'GET', path: new RegExp(`^/channels/${channelId}/messages$`) });

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    people = fake.addUsers(6, 'person');
    ({ dir, cleanup } = tempDir());
    env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'data', 'pairbot.db') };
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  /** Weekly rounds from 2026-09-07 on; each round's threads are archived a week later, as Discord does with idle ones. */
  const pairRounds = async (rounds: number): Promise<void> => {
    for (let week = 0; week < rounds; week++) {
      for (const t of fake.threadsIn(fake.channel.id)) if (!fake.isArchived(t.id)) fake.archiveThread(t.id);
      const day = new Date(Date.UTC(2026, 8, 7 + 7 * week)).toISOString().slice(0, 10);
      const r = await pairbot('pair', '--date', day, '--seed', String(week + 1));
      expect(r.code, r.stderr).toBe(0);
    }
  };

  it('thread delivery: a quiet run reads no thread, whatever the number of past rounds; a mention in an old thread is answered at once', async () => {
    env.PAIRBOT_DISCORD_DELIVERY = 'thread';
    await pairRounds(8);
    const threads = fake.threadsIn(fake.channel.id);
    expect(threads).toHaveLength(24);
    expect(threads.filter((t) => !fake.isArchived(t.id))).toHaveLength(3);
    // The first run reads this round's threads (their intros are new to it), and the channel.
    await inbox();

    fake.clearRequests();
    expect(await inbox()).toEqual({ program: 'default', handled: [], ignored: 0 });
    // One look at the server's active threads tells that no thread has anything new: only the channel is read.
    expect(fake.requestCount({ method: 'GET', path: /^\/guilds\/\d+\/threads\/active$/ })).toBe(1);
    expect(reads()).toBe(1);
    expect(readsOf(fake.channel.id)).toBe(1);

    // A member writes in the first round's thread, archived weeks ago: writing brings it back.
    const old = threads[0]!;
    const writer = [...fake.threadMembers.get(old.id)!].find((id) => id !== fake.bot.id)!;
    fake.say(writer, old.id, `<@${fake.bot.id}> history`);
    fake.clearRequests();
    const answered = await inbox();
    expect(answered.handled.map((h) => [h.from, h.command])).toEqual([[writer, 'history']]);
    expect(readsOf(old.id)).toBe(1);
    expect(reads()).toBe(2);
    const reply = fake.messagesIn(old.id).at(-1)!;
    expect(reply.author.id).toBe(fake.bot.id);
    expect(reply.content.startsWith(`<@${writer}> `)).toBe(true);
    expect(people.some((p) => p.id === writer)).toBe(true);
  });

  it('DM delivery: dormant DMs are read in rotation, each about hourly; a message there is answered on its turn, nothing twice', async () => {
    // Eight weekly rounds, the last one five weeks ago: every DM is dormant.
    await pairRounds(8);
    const dms = people.map((p) => fake.dmWith(p.id)!);
    expect(dms.every((id) => id !== undefined)).toBe(true);
    const t0 = Date.now();
    const minutes = (n: number) => t0 + n * 60_000;
    // The first run ever reads every conversation once.
    await inbox(minutes(0));

    // Five minutes later: a twelfth of the dormant DMs (one of six), and the channel.
    fake.clearRequests();
    expect(await inbox(minutes(5))).toEqual({ program: 'default', handled: [], ignored: 0 });
    expect(reads()).toBe(2);
    expect(readsOf(fake.channel.id)).toBe(1);

    const writer = people[4]!;
    fake.say(writer.id, dms[4]!, 'frequency 2');
    const handled: string[] = [];
    let turns = 0;
    // Each run reads one dormant DM, longest unread first: within the hour every DM has had its turn.
    for (let run = 2; run <= 12 && handled.length === 0; run++) {
      fake.clearRequests();
      const report = await inbox(minutes(5 * run));
      turns = run - 1;
      expect(reads()).toBe(2);
      handled.push(...report.handled.map((h) => `${h.from} ${h.command}`));
    }
    expect(handled).toEqual([`${writer.id} frequency`]);
    expect(turns).toBeLessThanOrEqual(dms.length);
    expect(fake.messagesIn(dms[4]!).at(-1)!.content).toMatch(/^Done: you are paired every 2 rounds/);

    // Answered, the conversation is recent again: read every run from now on, the rotation goes on beside it.
    fake.say(writer.id, dms[4]!, 'me');
    fake.clearRequests();
    const next = await inbox(minutes(5 * (turns + 2)));
    expect(next.handled.map((h) => h.command)).toEqual(['me']);
    expect(readsOf(dms[4]!)).toBe(1);
    expect(reads()).toBe(3);
    fake.clearRequests();
    expect((await inbox(minutes(5 * (turns + 3)))).handled).toEqual([]);
    expect(reads()).toBe(3);

    // An hour or more since the last run: every dormant DM is read.
    fake.clearRequests();
    await inbox(minutes(5 * (turns + 3) + 61));
    expect(reads()).toBe(1 + dms.length);
  });
});
