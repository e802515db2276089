import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboxReport } from '../src/commands/inbox.js';
import { FakeDiscord } from '../test/fakes/discord.js';
import { runCli } from '../test/helpers/cli.js';

/**
 * `inbox` on Discord (issue 11): the built CLI as a subprocess against the fake server, with
 * `members` people holding the program role and `rounds` weekly rounds delivered in the past
 * (each round's threads archived a week later, as Discord does with idle ones). Then a first
 * inbox run catches up, and `writers` members write a command: half in their DM (or, with
 * thread delivery, their group's thread of the last round), half mentioning the bot in the
 * channel. Runs are 5 minutes apart (PAIRBOT_NOW), as cron's. The bot's REST layer keeps
 * Discord's 50 requests a second, so wall time follows the request count.
 */

interface Run {
  wallMs: number;
  requests: number;
  reads: number;
  handled: number;
}

export async function runDiscordInboxBench(
  options: { members?: number; rounds?: number; writers?: number; print?: (line: string) => void } = {},
): Promise<void> {
  const count = options.members ?? 1000;
  const rounds = options.rounds ?? 3;
  const writers = options.writers ?? 20;
  const print = options.print ?? ((line: string) => console.log(line));
  for (const delivery of ['dm', 'thread'] as const) {
    const fake = await FakeDiscord.start();
    const dir = mkdtempSync(join(tmpdir(), 'pairbot-bench-'));
    try {
      const people = fake.addUsers(count, 'person');
      const env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'pairbot.db'), PAIRBOT_DISCORD_DELIVERY: delivery };
      const t0 = Date.now();
      const day = (offsetDays: number) => new Date(t0 + offsetDays * 86_400_000).toISOString().slice(0, 10);
      // Past rounds: with DMs the last one is 3 weeks old (every DM dormant); with threads the last is this week's.
      const lastRoundDaysAgo = delivery === 'dm' ? 21 : 0;
      for (let r = rounds - 1; r >= 0; r--) {
        for (const t of fake.threadsIn(fake.channel.id)) if (!fake.isArchived(t.id)) fake.archiveThread(t.id);
        const pair = await runCli(['pair', '--quiet', '--seed', String(r + 1), '--date', day(-lastRoundDaysAgo - 7 * r)], {
          cwd: dir,
          env,
        });
        if (pair.code !== 0) throw new Error(`pair exited ${pair.code}: ${pair.stderr.trim()}`);
      }
      let minute = 0;
      const inbox = async (): Promise<Run> => {
        fake.clearRequests();
        const started = performance.now();
        const run = await runCli(['inbox', '--json', '--quiet'], {
          cwd: dir,
          env: { ...env, PAIRBOT_NOW: new Date(t0 + minute * 60_000).toISOString() },
        });
        minute += 5;
        const wallMs = performance.now() - started;
        if (run.code !== 0) throw new Error(`inbox exited ${run.code}: ${run.stderr.trim()}`);
        const report = JSON.parse(run.stdout) as InboxReport;
        const reads = fake.requestCount({ method: 'GET', path: /^\/channels\/\d+\/messages$/ });
        return { wallMs, requests: fake.requestCount(), reads, handled: report.handled.length };
      };
      const catchUp = await inbox();
      const threads = fake.threadsIn(fake.channel.id);
      const active = threads.filter((t) => !fake.isArchived(t.id));
      const commands = ['skip', 'pause 2 weeks', 'frequency 2', 'help', 'me'];
      const step = Math.floor(count / writers);
      for (let i = 0; i < writers; i++) {
        const user = people[i * step]!;
        const command = commands[i % commands.length]!;
        if (i % 2 === 1) fake.say(user.id, fake.channel.id, `<@${fake.bot.id}> ${command}`);
        else if (delivery === 'dm') fake.say(user.id, fake.dmWith(user.id)!, command);
        else {
          const thread = active.find((t) => fake.threadMembers.get(t.id)?.has(user.id));
          if (!thread) throw new Error(`no thread of this round for ${user.username}`);
          fake.say(user.id, thread.id, `<@${fake.bot.id}> ${command}`);
        }
      }
      const busy = await inbox();
      let handled = busy.handled;
      let runsToAll = 1;
      const later: Run[] = [];
      while (handled < writers && runsToAll < 13) {
        const run = await inbox();
        later.push(run);
        handled += run.handled;
        runsToAll++;
      }
      const quiet = await inbox();

      const line = (label: string, r: Run) =>
        `  ${label.padEnd(52)} ${String(r.requests).padStart(5)} requests (${r.reads} conversations read)  ${(r.wallMs / 1000).toFixed(2)} s  ${r.handled} handled`;
      const history =
        delivery === 'dm'
          ? `${rounds} past rounds, the last ${lastRoundDaysAgo} days ago: ${fake.dmRecipients.size} DMs, all dormant`
          : `${rounds} weekly rounds: ${threads.length} threads, ${active.length} active`;
      print(`discord inbox, ${delivery} delivery, ${count} members, ${history}, CLI subprocess included, runs 5 minutes apart`);
      print(line('first run ever (catch-up)', catchUp));
      print(line(`${writers} new messages (${writers / 2} in the channel)`, busy));
      if (later.length > 0) {
        const max = Math.max(...later.map((r) => r.requests));
        print(`  all ${writers} handled after ${runsToAll} runs (${handled}/${writers}); the runs in between made at most ${max} requests`);
      }
      print(line('nothing new', quiet));
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
