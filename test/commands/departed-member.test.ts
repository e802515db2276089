import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { startCli, until } from '../helpers/cli.js';
import { useFakeServerSandbox, type FakeServerSandbox } from '../helpers/sandbox.js';
import type { PairReport } from '../../src/commands/pair.js';

/**
 * A member who leaves the program between pairing and delivery (deactivated on Mattermost,
 * the program role taken away on Discord), with the round's intros still pending after a
 * run that was killed: the rerun delivers to the rest of the group and tells them, as the
 * first run does for someone it cannot message; the member who left gets nothing.
 */

interface Platform {
  /** Makes the platform's next message hang after it is made, so the run can be killed there. */
  hangAfterFirstMessage(): void;
  /** How many messages the bot has made so far. */
  botMessageCount(): number;
  /** The member leaves the program on the platform. */
  leave(userId: string): void;
  /** The texts the bot sent this user, in their DMs or group conversations. */
  textsTo(userId: string): string[];
}

async function pairKilledThenRerun(
  box: FakeServerSandbox<FakeMattermost | FakeDiscord>,
  platform: Platform,
  ids: string[],
  rerun: 'pair' | 'pair --catch-up' = 'pair',
): Promise<void> {
  const { pairbot } = box;
  platform.hangAfterFirstMessage();
  const run = startCli(['pair', '--date', '2026-11-23', '--seed', '1'], { cwd: box.dir, env: box.env });
  await until(() => platform.botMessageCount() >= 1, 'the first intro');
  run.child.kill('SIGKILL');
  await run.done;
  const reached = ids.filter((id) => platform.textsTo(id).length > 0);

  // The round as stored; a group nobody of which was reached yet is still pending.
  const stored = JSON.parse((await pairbot('pair', '--dry-run', '--json', '--date', '2026-11-23')).stdout) as PairReport;
  const waiting = stored.groups.find((g) => g.members.every((m) => !reached.includes(m.id)));
  expect(waiting, 'a group still waiting for its intro').toBeDefined();
  const [gone, partner] = waiting!.members;
  platform.leave(gone!.id);

  const args = [...rerun.split(' '), '--date', '2026-11-23'];
  const again = await pairbot(...args, '--json');
  expect(again.code, again.stderr).toBe(0);
  const report = JSON.parse(again.stdout) as { unreachable: string[] };
  expect(platform.textsTo(gone!.id)).toEqual([]);
  // The intro, and a note naming who could not be messaged (catch-up also places the partner in another group).
  const [intro, ...later] = platform.textsTo(partner!.id);
  expect(intro).toContain('(round 2026-W48)');
  const notes = later.filter((text) => text.includes('I could not message'));
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatch(new RegExp(`@${gone!.name}|<@${gone!.id}>`));
  expect(report.unreachable).toEqual([gone!.id]);
  expect(again.stderr).toContain(`could not message @${gone!.name}`);

  // Nothing is left to send, nothing is sent twice.
  const count = platform.botMessageCount();
  const last = await pairbot(...args);
  expect(last.code, last.stderr).toBe(0);
  expect(platform.botMessageCount()).toBe(count);
}

function mattermost(fake: FakeMattermost): Platform {
  return {
    hangAfterFirstMessage: () =>
      fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /^\/api\/v4\/posts$/ }),
    botMessageCount: () => fake.botMessages().length,
    leave: (id) => fake.deactivate(id),
    textsTo: (id) =>
      fake
        .botMessages()
        .filter((p) => fake.membersOf(p.channel_id).includes(id))
        .map((p) => p.message),
  };
}

describe('a member deactivated between pairing and delivery (Mattermost)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

  it('gets nothing on the rerun; the partner gets the intro and the unreachable-partner note', async () => {
    const ids = box.fake.addUsers(4, 'person').map((u) => u.id);
    await pairKilledThenRerun(box, mattermost(box.fake), ids);
  });
});

describe('a member deactivated between pairing and delivery, rerun by catch-up (Mattermost)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

  it('gets nothing; the partner gets the intro and the unreachable-partner note', async () => {
    const ids = box.fake.addUsers(4, 'person').map((u) => u.id);
    await pairKilledThenRerun(box, mattermost(box.fake), ids, 'pair --catch-up');
  });
});

describe('a member whose program role is taken between pairing and delivery (Discord)', () => {
  const box = useFakeServerSandbox(() => FakeDiscord.start());

  it('gets nothing on the rerun; the partner gets the intro and the unreachable-partner note', async () => {
    const ids = box.fake.addUsers(4, 'person').map((u) => u.id);
    await pairKilledThenRerun(
      box,
      {
        hangAfterFirstMessage: () =>
          box.fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /\/messages$/ }),
        botMessageCount: () => box.fake.botDMs().length,
        leave: (id) => box.fake.takeRole(id),
        textsTo: (id) => box.fake.dmsTo(id).map((m) => m.content),
      },
      ids,
    );
  });
});
