import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { startCli, until } from '../helpers/cli.js';
import { useFakeServerSandbox } from '../helpers/sandbox.js';

/**
 * SPEC §10: the intro suggests when to meet in each member's local time. On Discord DMs
 * each member reads their own local time first; in a shared conversation (a Mattermost
 * group message, a Discord thread) every member's is listed. The built CLI against the
 * fake servers, with one member in Tokyo and one in Los Angeles (round 2026-W48: UTC+9
 * and UTC−8, working hours 09:00–18:00 overlap Mon–Thu 16:00–18:00 in Los Angeles).
 */

const HOUR = 3600_000;
const TOKYO = 'Tue–Fri 09:00–11:00';
const LOS_ANGELES = 'Mon–Thu 16:00–18:00';

describe('the meeting time in an intro on Discord (built CLI, fake server)', () => {
  const box = useFakeServerSandbox(() => FakeDiscord.start());
  const { pairbot } = box;

  async function tokyoAndLosAngeles(): Promise<[string, string]> {
    const [tokyo, la] = box.fake.addUsers(2, 'person');
    for (const [user, zone] of [
      [tokyo!, 'Asia/Tokyo'],
      [la!, 'America/Los_Angeles'],
    ] as const) {
      const set = await pairbot('member', 'set', user.id, '--timezone', zone, '--date', '2026-11-20');
      expect(set.code, set.stderr).toBe(0);
    }
    return [tokyo!.id, la!.id];
  }

  it('DMs each member their own local time first, once, even after a kill between a DM and its record', async () => {
    const [tokyo, la] = await tokyoAndLosAngeles();
    // The first DM is made, but its answer never comes back before the kill.
    box.fake.inject({ kind: 'latency', ms: 60_000, afterHandling: true }, { method: 'POST', path: /\/messages$/ });
    const run = startCli(['pair', '--date', '2026-11-23'], { cwd: box.dir, env: box.env });
    await until(() => box.fake.botDMs().length === 1, 'the first DM');
    run.child.kill('SIGKILL');
    expect((await run.done).code).not.toBe(0);
    // An hour later Discord has forgotten the nonce: the rerun finds the DM by its text.
    box.fake.clock.advance(HOUR);
    const rerun = await pairbot('pair', '--date', '2026-11-23');
    expect(rerun.code, rerun.stderr).toBe(0);

    const [toTokyo, ...moreTokyo] = box.fake.dmsTo(tokyo);
    const [toLa, ...moreLa] = box.fake.dmsTo(la);
    expect([...moreTokyo, ...moreLa]).toEqual([]);
    expect(toTokyo!.content).toContain(
      `🕒 **When to meet:** your working hours (09:00–18:00) overlap for 2 h: ${TOKYO} your time (UTC+9); that is ${LOS_ANGELES} for <@${la}> (UTC−8).`,
    );
    expect(toLa!.content).toContain(
      `🕒 **When to meet:** your working hours (09:00–18:00) overlap for 2 h: ${LOS_ANGELES} your time (UTC−8); that is ${TOKYO} for <@${tokyo}> (UTC+9).`,
    );
    // Everything else is the same message.
    const rest = (text: string) => text.replace(/^🕒.*$/m, '');
    expect(rest(toTokyo!.content)).toBe(rest(toLa!.content));

    // What the bot stores about a member shows the copy they got.
    const shown = await pairbot('member', 'export', tokyo, '--date', '2026-11-23');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${TOKYO} your time (UTC+9)`);
    expect(shown.stdout).not.toContain(`${LOS_ANGELES} your time`);
  });

  it('lists every member’s local time in a group’s thread', async () => {
    box.env.PAIRBOT_DISCORD_DELIVERY = 'thread';
    const [tokyo, la] = await tokyoAndLosAngeles();
    const r = await pairbot('pair', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    const [thread, ...moreThreads] = box.fake.threadsIn(box.fake.channel.id);
    expect(moreThreads).toEqual([]);
    const [intro, ...more] = box.fake.messagesIn(thread!.id);
    expect(more).toEqual([]);
    expect(intro!.content).toMatch(
      new RegExp(
        `overlap for 2 h: (<@${tokyo}> ${TOKYO} \\(UTC\\+9\\) and <@${la}> ${LOS_ANGELES} \\(UTC−8\\)|<@${la}> ${LOS_ANGELES} \\(UTC−8\\) and <@${tokyo}> ${TOKYO} \\(UTC\\+9\\))\\.`,
      ),
    );
    expect(intro!.content).not.toContain('your time');
  });
});

describe('the meeting time in an intro on Mattermost (built CLI, fake server)', () => {
  const box = useFakeServerSandbox(() => FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' }));

  it('lists every member’s local time in the group message', async () => {
    const tokyo = box.fake.addUser({ username: 'kenji', timezone: 'Asia/Tokyo' });
    const la = box.fake.addUser({ username: 'erin', timezone: 'America/Los_Angeles' });
    const r = await box.pairbot('pair', '--date', '2026-11-23');
    expect(r.code, r.stderr).toBe(0);
    const channel = box.fake.conversationOf([tokyo.id, la.id]);
    expect(channel?.type).toBe('G');
    const [intro, ...more] = box.fake.postsIn(channel!.id);
    expect(more).toEqual([]);
    expect(intro!.message).toMatch(
      new RegExp(
        `overlap for 2 h: (@kenji ${TOKYO} \\(UTC\\+9\\) and @erin ${LOS_ANGELES} \\(UTC−8\\)|@erin ${LOS_ANGELES} \\(UTC−8\\) and @kenji ${TOKYO} \\(UTC\\+9\\))\\.`,
      ),
    );
    expect(intro!.message).not.toContain('your time');
  });
});
