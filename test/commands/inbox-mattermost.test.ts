import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { UserProfile } from '@mattermost/types/users';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxReport } from '../../src/commands/inbox.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** `inbox` against the fake Mattermost server: members write through the real API, with their own tokens. */
describe('inbox on Mattermost (built CLI, fake server)', () => {
  let fake: FakeMattermost;
  let people: UserProfile[];
  let dir: string;
  let cleanup: () => void;
  let env: Record<string, string>;
  const pairbot = (...args: string[]) => runCli(args, { cwd: dir, env });
  const inbox = async (): Promise<{ code: number; report: InboxReport }> => {
    const r = await pairbot('inbox', '--json');
    return { code: r.code, report: JSON.parse(r.stdout || '{}') as InboxReport };
  };

  /** A member writes as in the web app: their own token, the real endpoints. */
  const write = async (user: UserProfile, channelId: string, message: string, rootId?: string): Promise<string> => {
    const res = await fetch(`${fake.url}/api/v4/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.tokenFor(user.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: channelId, message, ...(rootId ? { root_id: rootId } : {}) }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const dmChannel = async (user: UserProfile): Promise<string> => {
    const res = await fetch(`${fake.url}/api/v4/channels/direct`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.tokenFor(user.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify([user.id, fake.bot.id]),
    });
    return ((await res.json()) as { id: string }).id;
  };
  const botPostsIn = (channelId: string) => fake.postsIn(channelId).filter((p) => p.user_id === fake.bot.id);

  beforeEach(async () => {
    fake = await FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' });
    people = fake.addUsers(6, 'person');
    ({ dir, cleanup } = tempDir());
    env = { ...fake.settings(), PAIRBOT_DB: join(dir, 'data', 'pairbot.db'), PAIRBOT_ADMINS: people[5]!.username };
  });
  afterEach(async () => {
    await fake.close();
    cleanup();
  });

  it('answers direct messages and mentions, never members talking to each other, and reads only what changed', async () => {
    expect((await pairbot('pair', '--seed', '3')).code).toBe(0);
    const [a, b, c, d, , mod] = people as [UserProfile, UserProfile, UserProfile, UserProfile, UserProfile, UserProfile];
    const aDm = await dmChannel(a);
    await write(a, aDm, 'skip');
    await write(b, await dmChannel(b), 'pause 2 weeks');
    await write(c, fake.channel.id, `@${fake.bot.username} prefer @everyone`);
    await write(d, fake.channel.id, 'good morning everyone, who wants coffee?');
    const group = [...fake.channels.values()].find((ch) => ch.type === 'G' && fake.members.get(ch.id)?.has(a.id))!;
    await write(a, group.id, 'shall we meet Tuesday?');
    await write(mod, await dmChannel(mod), `kick @${d.username}`);
    await write(d, fake.channel.id, `@${fake.bot.username} status`);

    const first = await inbox();
    expect(first.code).toBe(0);
    expect(first.report.handled.map((h) => [h.from, h.command, h.ok])).toEqual([
      [a.id, 'skip', true],
      [b.id, 'pause', true],
      [c.id, 'prefer', false],
      [mod.id, 'kick', true],
      [d.id, 'status', false],
    ]);
    expect(first.report.ignored).toBe(2);
    expect(botPostsIn(aDm).at(-1)!.message).toMatch(/^Done: you sit out round /);
    const inChannel = botPostsIn(fake.channel.id);
    expect(inChannel).toHaveLength(2);
    expect(inChannel[0]!.message.startsWith(`@${c.username} `)).toBe(true);
    expect(inChannel[0]!.message.slice(c.username.length + 2)).not.toMatch(/@[a-z]/i);
    expect(inChannel[1]!.message).toBe(`@${d.username} Only moderators can see the program status; nothing changed.`);
    expect(botPostsIn(group.id)).toHaveLength(1);

    // The next run reads past the bot's own replies; after that, nothing new means one
    // request lists the conversations and none reads a channel's posts.
    expect((await inbox()).report).toEqual({ program: 'default', handled: [], ignored: 0 });
    fake.clearRequests();
    const third = await inbox();
    expect(third.report).toEqual({ program: 'default', handled: [], ignored: 0 });
    expect(fake.requestCount({ path: /\/posts$/ })).toBe(0);
    expect(fake.requestCount({ path: /\/teams\/[^/]+\/channels$/ })).toBe(1);
  });

  it('answers a message written in a thread in that thread, one reply per message', async () => {
    expect((await pairbot('pair', '--seed', '3')).code).toBe(0);
    const [a, b, c] = people as [UserProfile, UserProfile, UserProfile];
    const bot = `@${fake.bot.username}`;
    // The program channel: a thread a member started, two mentions of the bot in it, and one at the top level.
    const root = await write(b, fake.channel.id, 'coffee this week, anyone?');
    const inThread = [await write(a, fake.channel.id, `${bot} skip`, root), await write(c, fake.channel.id, `${bot} help`, root)];
    await write(b, fake.channel.id, `${bot} me`);
    // A group channel: a reply in the thread of the bot's intro.
    const group = [...fake.channels.values()].find((ch) => ch.type === 'G' && fake.members.get(ch.id)?.has(a.id))!;
    const intro = botPostsIn(group.id)[0]!;
    await write(a, group.id, `${bot} partner`, intro.id);

    const run = await inbox();
    expect(run.code).toBe(0);
    expect(run.report.handled.map((h) => h.command)).toEqual(['skip', 'help', 'me', 'partner']);
    expect(run.report.handled.slice(0, 2).map((h) => h.message)).toEqual(inThread);
    const replies = botPostsIn(fake.channel.id);
    expect(replies).toHaveLength(3);
    const replyTo = (userId: string) => replies.find((p) => p.message.includes(`@${fake.users.get(userId)!.username}`))!;
    expect(replyTo(a.id).root_id).toBe(root);
    expect(replyTo(c.id).root_id).toBe(root);
    expect(replyTo(b.id).root_id).toBe('');
    expect(new Set(replies.map((p) => p.pending_post_id)).size).toBe(3);
    const groupReplies = botPostsIn(group.id).filter((p) => p.id !== intro.id);
    expect(groupReplies).toHaveLength(1);
    expect(groupReplies[0]!.root_id).toBe(intro.id);
    expect(groupReplies[0]!.message).toMatch(/^@\S+ Round \d{4}-W\d{2}: you are with /);
  });

  it('a run dying between applying and replying: the rerun replies once and applies nothing twice', async () => {
    const [a] = people as [UserProfile];
    const dm = await dmChannel(a);
    await write(a, dm, 'frequency 3');
    fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 50 });
    const failed = await inbox();
    expect(failed.code).toBe(3);
    expect(failed.report.handled.map((h) => h.command)).toEqual(['frequency']);
    expect(botPostsIn(dm)).toHaveLength(0);
    fake.clearFaults();
    const again = await inbox();
    expect(again.code).toBe(0);
    expect(again.report.handled).toEqual([]);
    expect(botPostsIn(dm).map((p) => p.message)).toEqual([
      'Done: you are paired every 3 rounds (every 3 weeks). Write `frequency 1` to go back to every round.',
    ]);
    const db = new Database(join(dir, 'data', 'pairbot.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT frequency FROM members WHERE user_id = ?').get(a.id)).toEqual({ frequency: 3 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM inbox_handled').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
  it("resume reads the ❌ on the next round's announcement, and reactions the server will not give leave the reply without them", async () => {
    expect((await pairbot('pair', '--seed', '3')).code).toBe(0);
    expect((await pairbot('optout')).code).toBe(0);
    const announcement = botPostsIn(fake.channel.id).at(-1)!;
    const a = people[0]!;
    fake.react(a.id, announcement.id, 'x');
    const aDm = await dmChannel(a);
    await write(a, aDm, 'resume');
    fake.inject({ kind: 'status', status: 500 }, { method: 'GET', path: /\/reactions$/, times: 100 });
    const failed = await pairbot('inbox');
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stderr).toMatch(/could not read the reactions on the announcement of \d{4}-W\d\d, so replies leave them out/);
    expect(botPostsIn(aDm).at(-1)!.message).toBe('You were not paused; you are in the next round.');
    fake.clearFaults();
    await write(a, aDm, 'resume');
    expect((await pairbot('inbox')).code).toBe(0);
    expect(botPostsIn(aDm).at(-1)!.message).toMatch(
      /^You were not paused: you are in round \d{4}-W\d\d\. You reacted ❌ on the announcement of round \d{4}-W\d\d: take the reaction back/,
    );
  });

  it("a moderator's resume of someone kicked after leaving the channel adds them back where the bot may, otherwise says they are back once they join", async () => {
    expect((await pairbot('pair', '--seed', '3')).code).toBe(0);
    const [a, b, , , , mod] = people as [UserProfile, UserProfile, UserProfile, UserProfile, UserProfile, UserProfile];
    const modDm = await dmChannel(mod);
    // Both leave the channel by themselves (no run reads the roster meanwhile), then are kicked.
    fake.removeFromChannel(a.id);
    fake.removeFromChannel(b.id);
    await write(mod, modDm, `kick @${a.username}`);
    await write(mod, modDm, `kick @${b.username}`);
    expect((await inbox()).code).toBe(0);
    await write(mod, modDm, `resume @${a.username}`);
    expect((await inbox()).report.handled.map((h) => h.ok)).toEqual([true]);
    expect(botPostsIn(modDm).at(-1)!.message).toBe(`Done: ${a.username} is back in the rotation; I added them back to ~coffee-pairs.`);
    expect(fake.isInChannel(a.id)).toBe(true);
    fake.canRemoveMembers = false;
    await write(mod, modDm, `resume @${b.username}`);
    expect((await inbox()).report.handled.map((h) => h.ok)).toEqual([true]);
    expect(botPostsIn(modDm).at(-1)!.message).toMatch(
      new RegExp(
        `^Done: ${b.username} may come back, but they are not in ~coffee-pairs any more and I cannot add them: they are back in the rotation once they join it`,
      ),
    );
    const state = async (id: string) =>
      (await pairbot('members', '--json').then((r) => JSON.parse(r.stdout))).members.find((m: { id: string }) => m.id === id).state;
    expect(await state(a.id)).toBe('active');
    expect(await state(b.id)).toBe('left');
    // Once back in the channel, the roster takes them in.
    fake.addToChannel(fake.channel.id, b.id);
    expect(await state(b.id)).toBe('active');
  });
});
