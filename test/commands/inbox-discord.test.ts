import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { APIMessage, APIRole, APIUser } from 'discord-api-types/v10';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxReport } from '../../src/commands/inbox.js';
import { FakeDiscord } from '../fakes/discord.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** `inbox` against the fake Discord server: members write with their own identity, the bot reads over REST only. */
describe('inbox on Discord (built CLI, fake server)', () => {
  let fake: FakeDiscord;
  let people: APIUser[];
  let mods: APIRole;
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const pairbot = (...args: string[]) => runCli(args, { cwd: dir, env });
  const inbox = async (): Promise<{ code: number; report: InboxReport; stderr: string }> => {
    const r = await pairbot('inbox', '--json');
    return { code: r.code, report: JSON.parse(r.stdout || '{}') as InboxReport, stderr: r.stderr };
  };
  const botMessagesIn = (channelId: string) =>
    fake.messagesIn(channelId).filter((m) => m.author.id === fake.bot.id) as (APIMessage & { allowed_mentions?: unknown })[];
  const dm = (user: APIUser): string => {
    const id = fake.dmWith(user.id);
    expect(id, `the bot has a DM with ${user.username}`).toBeDefined();
    return id!;
  };

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    people = fake.addUsers(4, 'person');
    mods = fake.addRole('moderators');
    fake.members.get(people[3]!.id)!.roles.push(mods.id);
    ({ dir, cleanup } = tempDir());
    env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'data', 'pairbot.db'), PAIRBOT_ADMIN_ROLE: mods.id };
  });
  const pair = async (): Promise<void> => {
    const r = await pairbot('pair', '--seed', '3');
    expect(r.code, r.stderr).toBe(0);
  };
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  it('answers DMs and mentions in the channel once, pinging only the sender; moderators by role; join gives the role', async () => {
    await pair();
    const [a, b, c, mod] = people as [APIUser, APIUser, APIUser, APIUser];
    const newcomer = fake.addUser({ username: 'newcomer', withRole: false });
    const bot = `<@${fake.bot.id}>`;
    fake.say(a.id, dm(a), 'skip');
    fake.say(b.id, fake.channel.id, `${bot} pause 2 weeks`);
    fake.say(c.id, fake.channel.id, 'good morning everyone, who wants coffee?');
    fake.say(c.id, fake.channel.id, `hey ${bot} status`);
    fake.say(mod.id, dm(mod), 'status');
    fake.say(newcomer.id, fake.channel.id, `${bot} join`);

    const first = await inbox();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toContain(fake.token);
    expect(first.report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      [a.id, 'skip', true],
      [b.id, 'pause', true],
      [c.id, 'status', false],
      [mod.id, 'status', true],
      [newcomer.id, 'join', true],
    ]);
    expect(first.report.ignored).toBe(1);

    const toA = botMessagesIn(dm(a)).at(-1)!;
    expect(toA.content).toMatch(/^Done: you sit out round /);
    expect(toA.allowed_mentions).toEqual({ parse: [], users: [a.id], replied_user: false });
    expect(botMessagesIn(dm(mod)).at(-1)!.content).toMatch(/default/);

    const inChannel = botMessagesIn(fake.channel.id);
    expect(inChannel.map((m) => m.content.slice(0, m.content.indexOf(' ')))).toEqual([`<@${b.id}>`, `<@${c.id}>`, `<@${newcomer.id}>`]);
    expect(inChannel.map((m) => (m.allowed_mentions as { users: string[] }).users)).toEqual([[b.id], [c.id], [newcomer.id]]);
    expect(inChannel[1]!.content).toBe(`<@${c.id}> Only moderators can see the program status; nothing changed.`);
    expect(fake.hasRole(newcomer.id)).toBe(true);

    // The rerun reads past everything answered; a third run reads each known conversation once.
    expect((await inbox()).report).toEqual({ program: 'default', handled: [], ignored: 0 });
    fake.clearRequests();
    expect((await inbox()).report).toEqual({ program: 'default', handled: [], ignored: 0 });
    expect(fake.requestCount({ method: 'GET', path: /^\/channels\/\d+\/messages$/ })).toBe(people.length + 1);
    expect(fake.requestCount({ method: 'POST' })).toBe(0);
  });

  it('join without Manage Roles says how; leave takes the role away; a moderator kicks by <@id>', async () => {
    await pair();
    const [a] = people as [APIUser];
    const newcomer = fake.addUser({ username: 'newcomer', withRole: false });
    fake.say(a.id, dm(a), 'leave');
    expect((await inbox()).code).toBe(0);
    expect(fake.hasRole(a.id)).toBe(false);
    fake.canManageRoles = false;
    fake.say(newcomer.id, fake.channel.id, `<@${fake.bot.id}> join`);
    const r = await inbox();
    expect(r.report.handled.map((h) => [h.command, h.ok])).toEqual([['join', false]]);
    expect(fake.hasRole(newcomer.id)).toBe(false);
    expect(botMessagesIn(fake.channel.id).at(-1)!.content).toContain('ask a moderator to give you the @\u200bcoffee role');

    // A moderator (by PAIRBOT_ADMIN_ROLE) names someone as Discord writes a mention.
    const [, b, , mod] = people as [APIUser, APIUser, APIUser, APIUser];
    fake.say(mod.id, dm(mod), `kick <@${b.id}>`);
    const kicked = await inbox();
    expect(kicked.report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([[mod.id, 'kick', true]]);
    const db = new Database(join(dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT state FROM members WHERE user_id = ?').get(b.id)).toEqual({ state: 'kicked' });
    } finally {
      db.close();
    }
  });

  it('a reply refused with 503: the rerun posts exactly one reply and applies nothing twice', async () => {
    await pair();
    const [a] = people as [APIUser];
    const channel = dm(a);
    const before = botMessagesIn(channel).length;
    fake.say(a.id, channel, 'frequency 3');
    fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: new RegExp(`^/channels/${channel}/messages$`), times: 50 });
    const failed = await inbox();
    expect(failed.code).toBe(3);
    expect(failed.report.handled.map((h) => h.command)).toEqual(['frequency']);
    expect(botMessagesIn(channel)).toHaveLength(before);
    fake.clearFaults();
    const again = await inbox();
    expect(again.code, again.stderr).toBe(0);
    expect(again.report.handled).toEqual([]);
    expect(
      botMessagesIn(channel)
        .slice(before)
        .map((m) => m.content),
    ).toEqual(['Done: you are paired every 3 rounds (every 3 weeks). Write `frequency 1` to go back to every round.']);
    const db = new Database(join(dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT frequency FROM members WHERE user_id = ?').get(a.id)).toEqual({ frequency: 3 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM inbox_handled').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it("thread delivery: a mention in the group's thread is answered there, members talking to each other are not", async () => {
    env.PAIRBOT_DISCORD_DELIVERY = 'thread';
    await pair();
    const [thread] = fake.threadsIn(fake.channel.id);
    expect(thread).toBeDefined();
    const [x, y] = [...fake.threadMembers.get(thread!.id)!].filter((id) => id !== fake.bot.id) as [string, string];
    fake.say(x, thread!.id, 'shall we meet Tuesday?');
    fake.say(y, thread!.id, `<@${fake.bot.id}> partner`);
    const r = await inbox();
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.handled.map((h) => [h.from, h.command])).toEqual([[y, 'partner']]);
    expect(r.report.ignored).toBe(1);
    const answer = botMessagesIn(thread!.id).at(-1)!;
    expect(answer.content.startsWith(`<@${y}> `)).toBe(true);
    expect((answer.allowed_mentions as { users: string[] }).users).toEqual([y]);
    expect((await inbox()).report.handled).toEqual([]);
  });
});
