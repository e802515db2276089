import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FakeMattermost } from '../test/fakes/mattermost.js';
import { runCli } from '../test/helpers/cli.js';

/**
 * `pair` end to end on Mattermost: the built CLI as a subprocess (as cron runs it)
 * against the fake server, with a channel of `members` people plus a few bots and
 * deactivated accounts. Reports wall time and the requests the server saw.
 */

const PER_PAGE = 200;

export interface MattermostBenchResult {
  members: number;
  groups: number;
  wallMs: number;
  requests: number;
  rosterPages: number;
  /** roster pages + 2 per group: the target for `requests`. */
  budget: number;
  byRoute: Record<string, number>;
  exitCode: number;
}

export async function runMattermostBench(
  options: { members?: number; print?: (line: string) => void } = {},
): Promise<MattermostBenchResult> {
  const count = options.members ?? 1000;
  const print = options.print ?? ((line: string) => console.log(line));
  const fake = await FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' });
  const dir = mkdtempSync(join(tmpdir(), 'pairbot-bench-'));
  try {
    fake.addUsers(count, 'person');
    fake.addBot('standupbot');
    fake.addUsers(5, 'former', { deactivated: true });
    const channelMembers = fake.members.get(fake.channel.id)!.size;
    const env = {
      PAIRBOT_PLATFORM: 'mattermost',
      MATTERMOST_URL: fake.url,
      MATTERMOST_TOKEN: fake.token,
      MATTERMOST_TEAM: 'community',
      MATTERMOST_CHANNEL: 'coffee-pairs',
      PAIRBOT_DB: join(dir, 'pairbot.db'),
    };
    const started = performance.now();
    const run = await runCli(['pair', '--json', '--quiet', '--date', '2026-11-23', '--seed', '1'], { cwd: dir, env });
    const wallMs = performance.now() - started;
    if (run.code !== 0) throw new Error(`pair exited ${run.code}: ${run.stderr.trim()}`);
    const groups = (JSON.parse(run.stdout) as { groups: unknown[] }).groups.length;

    const byRoute: Record<string, number> = {};
    for (const r of fake.requests) {
      const route = `${r.method} ${r.path.replace(/[a-z0-9]{26}/g, ':id')}`;
      byRoute[route] = (byRoute[route] ?? 0) + 1;
    }
    const rosterPages = Math.floor(channelMembers / PER_PAGE) + 1;
    const result: MattermostBenchResult = {
      members: count,
      groups,
      wallMs,
      requests: fake.requestCount(),
      rosterPages,
      budget: rosterPages + 2 * groups,
      byRoute,
      exitCode: run.code,
    };
    print(`mattermost pair, ${count} members (${channelMembers} in the channel incl. bots and deactivated), ${groups} groups`);
    print(`  wall time   ${(wallMs / 1000).toFixed(2)} s (target <= 5 s), CLI subprocess included`);
    print(
      `  requests    ${result.requests} (target: ${rosterPages} roster pages + 2 x ${groups} groups = ${result.budget}, plus connecting)`,
    );
    for (const [route, n] of Object.entries(byRoute).sort((a, b) => b[1] - a[1])) print(`    ${String(n).padStart(5)}  ${route}`);
    return result;
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMattermostBench();
}
