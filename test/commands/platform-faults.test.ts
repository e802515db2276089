import { beforeEach, describe, expect, it } from 'vitest';
import type { UserProfile } from '@mattermost/types/users';
import type { APIUser } from 'discord-api-types/v10';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { startCli, until } from '../helpers/cli.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';
import type { FeedbackReport } from '../../src/commands/collect-feedback.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * Nothing sent twice, nothing lost: the built CLI against fake servers that fail the way
 * real ones do — a run killed after the server made a post but before pairbot recorded it,
 * a rerun an hour later when the server has forgotten its idempotency keys, reactions
 * failing after their post succeeded, a token revoked mid-run.
 */

const HOUR = 3600_000;

/**
 * Runs the CLI and kills it (SIGKILL, as the OOM killer or a reboot would) once `killWhen`
 * holds: used with a server that has made a post and not yet answered.
 */
async function runKilled(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
  killWhen: () => boolean,
  what: string,
): Promise<number> {
  const run = startCli(args, options);
  await until(killWhen, what);
  run.child.kill('SIGKILL');
  return (await run.done).code;
}

describe('platform faults on Mattermost (built CLI, fake server)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));
  const { pairbot } = box;
  let humans: UserProfile[];
  beforeEach(() => {
    humans = box.fake.addUsers(4, 'person');
  });

  it('a run killed after the server made an intro, rerun an hour later, sends it once', async () => {
    // The second intro is made, but its answer never comes back before the kill.
    box.fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /^\/api\/v4\/posts$/ });
    const code = await runKilled(
      ['pair', '--date', '2026-11-23', '--seed', '1'],
      { cwd: box.dir, env: box.env },
      () => box.fake.botMessages().length === 1,
      'the first intro',
    );
    expect(code).not.toBe(0);
    box.fake.clock.advance(HOUR);
    const rerun = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as PairReport;
    expect(report.groups).toHaveLength(2);
    for (const g of report.groups) expect(box.fake.postsIn(box.fake.conversationOf(g.members.map((m) => m.id))!.id)).toHaveLength(1);
    expect(box.fake.botMessages()).toHaveLength(2);
  });

  it('pair --quiet that leaves intros pending says so on its one line (a cron log shows why it exited 3)', async () => {
    box.fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 1000 });
    const run = await pairbot('pair', '--quiet', '--date', '2026-11-23', '--seed', '1');
    expect(run.code, run.stderr).toBe(3);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Round 2026-W48 of program .*: 2 groups, 4 members, seed 1; .*; 2 messages not delivered yet, the next run retries them$/,
    );
    expect(run.stderr).toBe('');
    // The hourly catch-up, which retries them, says the same while the server still refuses.
    const catchUp = await pairbot('pair', '--catch-up', '--quiet', '--date', '2026-11-23');
    expect(catchUp.code, catchUp.stderr).toBe(3);
    expect(catchUp.stdout.trim()).toMatch(
      /^Catch-up for round 2026-W48: .*; 0 still waiting; 2 messages not delivered yet, the next run retries them\.$/,
    );
  });

  it('collect-feedback, inbox, optout and prune --quiet that leave messages pending say so on their one line, as pair does', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '1')).code).toBe(0);
    // A member writes to the bot in the channel (the server still takes members' posts).
    const res = await fetch(`${box.fake.url}/api/v4/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${box.fake.tokenFor(humans[0]!.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: box.fake.channel.id, message: `@${box.fake.bot.username} help` }),
    });
    expect(res.status).toBe(201);
    // Rate limited with no wait: each send fails fast once its budget of waits is spent (a 503 would back off for a minute).
    box.fake.inject({ kind: 'rate-limit', waitSeconds: 0 }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 100_000 });
    const oneLine = (r: { stdout: string; stderr: string }): string => {
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      return lines[0]!;
    };

    const feedback = await pairbot('collect-feedback', '--quiet', '--date', '2026-11-26');
    expect(feedback.code, feedback.stderr).toBe(3);
    expect(oneLine(feedback)).toMatch(
      /^Round 2026-W48: asked 2 new groups and reminded 0 groups; feedback so far: 0 met, 0 missed, 0 scheduled, 2 unanswered; 2 messages not delivered yet, the next run retries them\.$/,
    );
    // inbox stops after three failed sends: the rest is counted as pending too.
    const inbox = await pairbot('inbox', '--quiet', '--date', '2026-11-26');
    expect(inbox.code, inbox.stderr).toBe(3);
    expect(oneLine(inbox)).toMatch(
      /^inbox of program "default": answered 1 message, \d+ not for the bot; 3 messages not delivered yet, the next run retries them$/,
    );
    const optout = await pairbot('optout', '--quiet', '--date', '2026-11-28');
    expect(optout.code, optout.stderr).toBe(3);
    expect(oneLine(optout)).toBe(
      'The opt-out announcement for round 2026-W49 is stored, not posted yet; 4 messages not delivered yet, the next run retries them.',
    );
    const prune = await pairbot('prune', '--quiet', '--date', '2026-11-28');
    expect(prune.code, prune.stderr).toBe(3);
    expect(oneLine(prune)).toMatch(/; 4 messages not delivered yet, the next run retries them\.$/);
  });

  it('an announcement whose ❌ is refused (token revoked) is posted once; the rerun adds the ❌ and pair reads it', async () => {
    box.fake.inject({ kind: 'status', status: 401 }, { method: 'POST', path: /^\/api\/v4\/reactions$/ });
    const first = await pairbot('optout', '--date', '2026-11-21');
    expect(first.code).toBe(3);
    expect(first.stderr).toContain('MATTERMOST_TOKEN was rejected');
    expect(first.stderr).not.toContain(box.fake.token);
    const [announcement, ...more] = box.fake.postsIn(box.fake.channel.id);
    expect(more).toEqual([]);
    expect(box.fake.reactions.get(announcement!.id) ?? []).toEqual([]);
    box.fake.react(humans[0]!.id, announcement!.id, 'x');

    box.fake.clock.advance(HOUR);
    const again = await pairbot('optout', '--date', '2026-11-21');
    expect(again.code, again.stderr).toBe(0);
    expect(box.fake.postsIn(box.fake.channel.id)).toHaveLength(1);
    expect(
      box.fake.reactions
        .get(announcement!.id)
        ?.filter((r) => r.user_id === box.fake.bot.id)
        .map((r) => r.emoji_name),
    ).toEqual(['x']);

    const paired = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(paired.code, paired.stderr).toBe(0);
    expect((JSON.parse(paired.stdout) as PairReport).excluded.optedOut).toEqual([humans[0]!.id]);
  });

  it('adds the answer reactions a feedback ask is missing on the next run', async () => {
    expect((await pairbot('pair', '--date', '2026-11-23', '--seed', '1')).code).toBe(0);
    box.fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/api\/v4\/reactions$/, times: 1000 });
    const asked = await pairbot('collect-feedback', '--date', '2026-11-27');
    expect(asked.code).toBe(3);
    expect(asked.stderr).toMatch(/reactions .* not all added yet/);
    box.fake.clearFaults();
    const asks = box.fake.botMessages().slice(2);
    expect(asks).toHaveLength(2);
    for (const ask of asks) expect(box.fake.reactions.get(ask.id) ?? []).toEqual([]);
    const again = await pairbot('collect-feedback', '--date', '2026-11-28');
    expect(again.code, again.stderr).toBe(0);
    for (const ask of asks) {
      expect(box.fake.reactions.get(ask.id)?.map((r) => r.emoji_name)).toEqual(['white_check_mark', 'x', 'date']);
    }
    expect(box.fake.botMessages()).toHaveLength(4);
  });
});

describe('a roster that changes while it is read (Mattermost, 450 members)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

  it('drops nobody when a member leaves between two pages', async () => {
    const humans = box.fake.addUsers(450, 'person');
    const leaver = humans[10]!;
    // The leaver goes just before the second page is served: every later member moves up one place.
    let pages = 0;
    box.fake.inject(
      { kind: 'mutate', run: () => ++pages === 2 && box.fake.removeFromChannel(leaver.id) },
      { method: 'GET', path: /^\/api\/v4\/users$/, times: 2 },
    );
    const r = await box.pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '1');
    expect(r.code, r.stderr).toBe(0);
    const grouped = (JSON.parse(r.stdout) as PairReport).groups.flatMap((g) => g.members.map((m) => m.id));
    expect(new Set(grouped)).toEqual(new Set(humans.filter((u) => u !== leaver).map((u) => u.id)));
  });
});

describe('an unreadable feedback ask (Mattermost)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));
  const { pairbot } = box;
  beforeEach(() => {
    box.fake.addUsers(4, 'person');
  });

  it('is warned about by name and skipped: the rest is tallied, the next round asked, exit 3', async () => {
    const paired = JSON.parse((await pairbot('pair', '--json', '--date', '2026-11-23', '--seed', '1')).stdout) as PairReport;
    expect((await pairbot('collect-feedback', '--date', '2026-11-27')).code).toBe(0);
    const [askA, askB] = paired.groups.map((g) => box.fake.postsIn(box.fake.conversationOf(g.members.map((m) => m.id))!.id)[1]!);
    box.fake.react(paired.groups[0]!.members[0]!.id, askA!.id, 'white_check_mark');
    box.fake.react(paired.groups[1]!.members[0]!.id, askB!.id, 'white_check_mark');
    box.fake.inject(
      { kind: 'status', status: 500 },
      { method: 'GET', path: new RegExp(`^/api/v4/posts/${askA!.id}/reactions$`), times: 1000 },
    );

    const tally = await pairbot('collect-feedback', '--json', '--date', '2026-11-28');
    expect(tally.code, tally.stderr).toBe(3);
    expect(tally.stderr).toMatch(/could not read the answers to the 2026-W48 feedback ask #\d+ to @person00\d, @person00\d: .*HTTP 500/);
    expect(JSON.parse(tally.stdout) as FeedbackReport).toMatchObject({ round: '2026-W48', met: 1, unanswered: 1, unreadable: 1 });

    // The next round is paired and asked although the old ask is still unreadable.
    expect((await pairbot('pair', '--date', '2026-11-30', '--seed', '2')).code).toBe(0);
    const next = await pairbot('collect-feedback', '--json', '--date', '2026-12-04');
    expect(next.code).toBe(3);
    expect(JSON.parse(next.stdout) as FeedbackReport).toMatchObject({ round: '2026-W49', asked: 2, unreadable: 1 });

    box.fake.clearFaults();
    const healed = await pairbot('collect-feedback', '--json', '--date', '2026-12-05');
    expect(healed.code, healed.stderr).toBe(0);
    const report = JSON.parse(healed.stdout) as FeedbackReport;
    expect(report.unreadable).toBe(0);
    expect(report.rounds.find((r) => r.round === '2026-W48')).toMatchObject({ met: 2, unanswered: 0 });
  });
});

describe('platform faults on Discord (built CLI, fake server)', () => {
  const box = useFakeServerSandbox(() => FakeDiscord.start());
  const { pairbot } = box;
  let humans: APIUser[];
  beforeEach(() => {
    humans = box.fake.addUsers(4, 'person');
  });

  it('a run killed after Discord made a DM, rerun an hour later, sends it once', async () => {
    box.fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /\/messages$/ });
    const code = await runKilled(
      ['pair', '--date', '2026-11-23', '--seed', '1'],
      { cwd: box.dir, env: box.env },
      () => box.fake.botDMs().length === 1,
      'the first DM',
    );
    expect(code).not.toBe(0);
    box.fake.clock.advance(HOUR);
    const rerun = await pairbot('pair', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const u of humans) expect(box.fake.dmsTo(u.id)).toHaveLength(1);
  });

  it('an announcement whose ❌ fails (500) is posted once; the rerun adds the ❌ and pair reads the members’ ❌', async () => {
    box.fake.inject({ kind: 'status', status: 500 }, { method: 'PUT', path: /\/reactions\/.*\/@me$/, times: 1000 });
    const first = await pairbot('optout', '--date', '2026-11-21');
    expect(first.code).toBe(3);
    const [announcement, ...more] = box.fake.messagesIn(box.fake.channel.id);
    expect(more).toEqual([]);
    box.fake.react(humans[0]!.id, announcement!.id, '❌');

    box.fake.clearFaults();
    box.fake.clock.advance(HOUR);
    const again = await pairbot('optout', '--date', '2026-11-21');
    expect(again.code, again.stderr).toBe(0);
    expect(box.fake.messagesIn(box.fake.channel.id)).toHaveLength(1);
    expect(box.fake.reactionsOn(announcement!.id).get('❌')).toContain(box.fake.bot.id);

    const paired = await pairbot('pair', '--json', '--date', '2026-11-23');
    expect(paired.code, paired.stderr).toBe(0);
    expect((JSON.parse(paired.stdout) as PairReport).excluded.optedOut).toEqual([humans[0]!.id]);
  });
});
