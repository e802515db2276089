import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UserProfile } from '@mattermost/types/users';
import type { InboxReport } from '../src/commands/inbox.js';
import { FakeMattermost } from '../test/fakes/mattermost.js';
import { runCli } from '../test/helpers/cli.js';

/**
 * `inbox` on Mattermost: the built CLI as a subprocess against the fake server, with
 * `members` people in the program channel and a round already delivered (one group
 * conversation per group). After a first inbox run has caught up with the round's
 * intros (as cron would have), `writers` members write a command to the bot: half in a
 * direct message, a quarter mentioning it in the program channel, a quarter in their
 * group's conversation. The goal (issue 11): a run's request count grows with the
 * conversations that have something new, not with the size of the community.
 */

interface InboxRun {
  wallMs: number;
  requests: number;
  handled: number;
  ignored: number;
  byRoute: Record<string, number>;
}

export interface InboxBenchResult {
  members: number;
  groups: number;
  /** Conversations with a new message to the bot before the measured run. */
  conversationsWithNew: number;
  /** The first inbox run ever, right after the round: reads every conversation with a post that day. */
  catchUp: InboxRun;
  /** The measured run: `writers` new messages. */
  busy: InboxRun;
  /** The run after it: only the bot's own replies are new. */
  afterReplies: InboxRun;
  /** Nothing new at all. */
  quiet: InboxRun;
}

export async function runInboxBench(
  options: { members?: number; writers?: number; print?: (line: string) => void } = {},
): Promise<InboxBenchResult> {
  const count = options.members ?? 1000;
  const writers = options.writers ?? 20;
  const print = options.print ?? ((line: string) => console.log(line));
  const fake = await FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' });
  const dir = mkdtempSync(join(tmpdir(), 'pairbot-bench-'));
  try {
    const people = fake.addUsers(count, 'person');
    const env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'pairbot.db') };
    const pair = await runCli(['pair', '--json', '--quiet', '--seed', '1'], { cwd: dir, env });
    if (pair.code !== 0) throw new Error(`pair exited ${pair.code}: ${pair.stderr.trim()}`);
    const groups = (JSON.parse(pair.stdout) as { groups: unknown[] }).groups.length;

    const inbox = async (): Promise<InboxRun> => {
      fake.clearRequests();
      const started = performance.now();
      const run = await runCli(['inbox', '--json', '--quiet'], { cwd: dir, env });
      const wallMs = performance.now() - started;
      if (run.code !== 0) throw new Error(`inbox exited ${run.code}: ${run.stderr.trim()}`);
      const report = JSON.parse(run.stdout) as InboxReport;
      const byRoute: Record<string, number> = {};
      for (const r of fake.requests) {
        const route = `${r.method} ${r.path.replace(/[a-z0-9]{26}/g, ':id')}`;
        byRoute[route] = (byRoute[route] ?? 0) + 1;
      }
      return { wallMs, requests: fake.requestCount(), handled: report.handled.length, ignored: report.ignored, byRoute };
    };
    const catchUp = await inbox();

    /** A member writes as in the web app: their own token, the real endpoints. */
    const call = async (user: UserProfile, path: string, body: unknown): Promise<{ id: string }> => {
      const res = await fetch(`${fake.url}/api/v4${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.tokenFor(user.id)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status}`);
      return (await res.json()) as { id: string };
    };
    const commands = ['skip', 'pause 2 weeks', 'frequency 2', 'help', 'status'];
    const touched = new Set<string>();
    // Writers spread over the roster, each in a different group conversation.
    const step = Math.floor(count / writers);
    for (let i = 0; i < writers; i++) {
      const user = people[i * step]!;
      const command = commands[i % commands.length]!;
      let channelId: string;
      let message = command;
      if (i % 4 < 2) channelId = (await call(user, '/channels/direct', [user.id, fake.bot.id])).id;
      else if (i % 4 === 2) {
        channelId = fake.channel.id;
        message = `@${fake.bot.username} ${command}`;
      } else {
        const group = [...fake.channels.values()].find(
          (ch) =>
            (ch.type === 'G' || ch.type === 'D') && fake.members.get(ch.id)?.has(user.id) && fake.members.get(ch.id)?.has(fake.bot.id),
        );
        if (!group) throw new Error(`no group conversation for ${user.username}`);
        channelId = group.id;
        message = `@${fake.bot.username} ${command}`;
      }
      await call(user, '/posts', { channel_id: channelId, message });
      touched.add(channelId);
    }

    const busy = await inbox();
    const afterReplies = await inbox();
    const quiet = await inbox();
    const result: InboxBenchResult = {
      members: count,
      groups,
      conversationsWithNew: touched.size,
      catchUp,
      busy,
      afterReplies,
      quiet,
    };

    const line = (label: string, r: InboxRun) =>
      `  ${label.padEnd(46)} ${String(r.requests).padStart(5)} requests  ${(r.wallMs / 1000).toFixed(2)} s  ${r.handled} handled, ${r.ignored} ignored`;
    print(`mattermost inbox, ${count} members, ${groups} group conversations delivered, CLI subprocess included`);
    print(line('first run ever, right after the round', catchUp));
    print(line(`${writers} new messages in ${touched.size} conversations`, busy));
    for (const [route, n] of Object.entries(busy.byRoute).sort((a, b) => b[1] - a[1])) print(`    ${String(n).padStart(5)}  ${route}`);
    print(line("next run (only the bot's own replies are new)", afterReplies));
    print(line('nothing new', quiet));
    for (const [route, n] of Object.entries(quiet.byRoute).sort((a, b) => b[1] - a[1])) print(`    ${String(n).padStart(5)}  ${route}`);
    const ok = busy.handled === writers;
    print(
      `  goal: requests grow with the conversations that have something new, not with the community: ` +
        `${busy.requests} requests for ${touched.size} conversations with news among ${count} members ` +
        `(${ok ? `all ${writers} messages handled` : `only ${busy.handled} of ${writers} handled: FAILED`}); ` +
        `${quiet.requests} when nothing is new`,
    );
    return result;
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runInboxBench();
}
