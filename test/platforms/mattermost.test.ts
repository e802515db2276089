import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError, UsageError } from '../../src/errors.js';
import { createMattermostPlatform, type MattermostPlatform } from '../../src/platforms/mattermost.js';
import type { PostRef, ReactionToken } from '../../src/platforms/types.js';
import { FakeMattermost } from '../fakes/mattermost.js';
import { runPlatformContract } from './contract.js';

const EMOJI: Record<ReactionToken, string> = { cross: 'x', check: 'white_check_mark', calendar: 'date' };

interface Harness {
  fake: FakeMattermost;
  platform: MattermostPlatform;
  /** Waits the adapter asked for, in ms (sleeps resolve at once). */
  waits: number[];
  logs: string[];
}

/** A fake Mattermost and an adapter with a retry policy that never really sleeps. */
async function start(opts: { token?: string; team?: string; channel?: string; retry?: object } = {}): Promise<Harness> {
  const fake = await FakeMattermost.start({ teamName: 'community', channelName: 'coffee-pairs' });
  const waits: number[] = [];
  const logs: string[] = [];
  const log = { debug: (m: string) => logs.push(m), info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  const platform = createMattermostPlatform(
    {
      mattermost: {
        url: fake.url,
        token: opts.token ?? fake.token,
        team: opts.team ?? 'community',
        channel: opts.channel ?? 'coffee-pairs',
      },
    },
    log,
    {
      retry: {
        requestTimeoutMs: 2_000,
        baseDelayMs: 1,
        maxDelayMs: 4,
        sleep: async (ms: number) => {
          waits.push(ms);
        },
        ...opts.retry,
      },
    },
  );
  return { fake, platform, waits, logs };
}

function recorder() {
  const parts: { ids: string[]; post: PostRef }[] = [];
  return { parts, record: (ids: readonly string[], post: PostRef) => parts.push({ ids: [...ids], post }) };
}

runPlatformContract(
  'mattermost (fake server)',
  { unreachable: ['deactivated', 'dms-closed'], transient: ['http-503', 'http-429'] },
  async () => {
    const { fake, platform } = await start();
    const members = fake.addUsers(4, 'contract');
    fake.addBot('otherbot');
    fake.addUser({ username: 'gone', deactivated: true });
    return {
      platform,
      memberIds: members.map((m) => m.id),
      firstMemberName: members[0]!.username,
      react: async (post, userId, token) => {
        fake.react(userId, post.id, EMOJI[token]);
      },
      makeUnreachable: async (userId, way) => {
        if (way === 'deactivated') fake.deactivate(userId);
        else fake.refuseDirectMessages(userId);
      },
      injectTransient: async (fault, times) => {
        const creates = { method: 'POST', path: /\/api\/v4\/posts$/, times };
        fake.inject(fault === 'http-429' ? { kind: 'rate-limit', waitSeconds: 1 } : { kind: 'status', status: 503 }, creates);
      },
      forgetKeys: () => fake.clock.advance(3_600_000),
      cleanup: () => fake.close(),
    };
  },
);

describe('mattermost settings', () => {
  const full = { url: 'http://127.0.0.1:9', token: 'secret-token-1234', team: 'community', channel: 'coffee' };
  const log = { debug() {}, info() {}, warn() {} };

  it.each(['url', 'token', 'team', 'channel'] as const)('refuses a missing %s with a UsageError naming the variable', (key) => {
    const settings = { ...full, [key]: undefined };
    expect(() => createMattermostPlatform({ mattermost: settings }, log)).toThrow(UsageError);
    expect(() => createMattermostPlatform({ mattermost: settings }, log)).toThrow(`MATTERMOST_${key.toUpperCase()} is not set`);
  });

  it('refuses a URL holding credentials, without echoing them', () => {
    const settings = { ...full, url: 'https://bot:hunter2@chat.example.com' };
    expect(() => createMattermostPlatform({ mattermost: settings }, log)).toThrow(UsageError);
    expect(() => createMattermostPlatform({ mattermost: settings }, log)).toThrow(
      /^MATTERMOST_URL: must not contain a user name or password/,
    );
    try {
      createMattermostPlatform({ mattermost: settings }, log);
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('refuses a display name where the channel name belongs, and accepts ~name', () => {
    expect(() => createMattermostPlatform({ mattermost: { ...full, channel: 'Coffee Pairs' } }, log)).toThrow(
      /MATTERMOST_CHANNEL: expected the channel name/,
    );
    expect(() => createMattermostPlatform({ mattermost: { ...full, channel: '~coffee-pairs' } }, log)).not.toThrow();
  });
});

describe('mattermost adapter against the fake server', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    await h.platform.close();
    await h.fake.close();
  });

  describe('connecting', () => {
    it('says an archived program channel is archived, not missing', async () => {
      h.fake.archive();
      const err = await h.platform.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/MATTERMOST_CHANNEL: ~coffee-pairs in team "community" is archived/);
    });

    it('returns the bot user id', async () => {
      expect(await h.platform.connect()).toEqual({ botUserId: h.fake.bot.id });
    });

    it('reports a rejected token without showing it', async () => {
      const bad = await start({ token: 'wrong-token-s3cr3t' });
      try {
        const err = await bad.platform.connect().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlatformError);
        expect((err as PlatformError).exitCode).toBe(1);
        expect((err as Error).message).toContain(`MATTERMOST_TOKEN was rejected by ${bad.fake.url}`);
        expect((err as Error).message).not.toContain('wrong-token-s3cr3t');
        expect(bad.logs.join('\n')).not.toContain('wrong-token-s3cr3t');
      } finally {
        await bad.fake.close();
      }
    });

    it('names an unknown team', async () => {
      const other = await start({ team: 'nosuchteam' });
      try {
        const err = await other.platform.connect().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as Error).message).toMatch(/^MATTERMOST_TEAM: no team "nosuchteam"/);
      } finally {
        await other.fake.close();
      }
    });

    it('names an unknown channel', async () => {
      const other = await start({ channel: 'nosuchchannel' });
      try {
        const err = await other.platform.connect().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as UsageError).exitCode).toBe(2);
        expect((err as Error).message).toMatch(/^MATTERMOST_CHANNEL: no channel "nosuchchannel" in team "community"/);
      } finally {
        await other.fake.close();
      }
    });

    it('fails as a transient PlatformError when the server cannot be reached', async () => {
      const url = h.fake.url;
      await h.fake.close();
      const platform = createMattermostPlatform(
        { mattermost: { url, token: 't0ken', team: 'community', channel: 'coffee-pairs' } },
        { debug() {}, info() {}, warn() {} },
        {
          retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
        },
      );
      const err = await platform.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).transient).toBe(true);
      expect((err as Error).message).toMatch(/connecting to http:\/\/127\.0\.0\.1:\d+: GET \/api\/v4\/users\/me failed: network error/);
    });
  });

  describe('the roster', () => {
    it('pages through 450+ channel members, leaving out bots, deactivated users and the bot itself', async () => {
      const humans = h.fake.addUsers(452, 'person');
      h.fake.addBot('otherbot');
      h.fake.addBot('standupbot');
      const gone = h.fake.addUsers(6, 'former', { deactivated: true });
      h.fake.addUsers(5, 'elsewhere', { inChannel: false });
      h.fake.clearRequests();

      const members = await h.platform.listMembers();

      expect(members).toHaveLength(452);
      expect(new Set(members.map((m) => m.id))).toEqual(new Set(humans.map((u) => u.id)));
      expect(members.map((m) => m.name)).toContain('person001');
      expect(members.some((m) => gone.some((g) => g.id === m.id))).toBe(false);
      // 452 + 2 bots + 6 deactivated + the bot = 461 channel members: three pages of 200, read twice to see they agree.
      expect(h.fake.requestCount({ method: 'GET', path: /^\/api\/v4\/users$/ })).toBe(6);
      for (const r of h.fake.requests.filter((r) => r.path === '/api/v4/users')) expect(r.query).toContain('per_page=200');
    });

    it('reads the time zone the user chose, automatic or manual, and drops a bogus one', async () => {
      const manual = h.fake.addUser({ username: 'manual', timezone: 'Europe/Berlin' });
      const automatic = h.fake.addUser({ username: 'auto', automaticTimezone: 'Asia/Tokyo' });
      const bogus = h.fake.addUser({ username: 'bogus', timezone: 'Mars/Olympus' });
      const none = h.fake.addUser({ username: 'none' });
      const members = await h.platform.listMembers();
      const byId = new Map(members.map((m) => [m.id, m]));
      expect(byId.get(manual.id)).toEqual({ id: manual.id, name: 'manual', timezone: 'Europe/Berlin' });
      expect(byId.get(automatic.id)?.timezone).toBe('Asia/Tokyo');
      expect(byId.get(bogus.id)?.timezone).toBeUndefined();
      expect(byId.get(none.id)?.timezone).toBeUndefined();
    });

    it('finds users by id and by username, and nobody by a name that does not exist', async () => {
      const [ana] = h.fake.addUsers(1, 'ana');
      const outsider = h.fake.addUser({ username: 'outsider', inChannel: false });
      expect((await h.platform.findUser(ana!.id))?.name).toBe(ana!.username);
      expect((await h.platform.findUser('@outsider'))?.id).toBe(outsider.id);
      expect((await h.platform.findUser('OUTSIDER'))?.id).toBe(outsider.id);
      expect(await h.platform.findUser('nobody')).toBeUndefined();
      expect(await h.platform.findUser('a/b?c')).toBeUndefined();
    });
  });

  describe('group messages', () => {
    it('opens one group channel with the bot and the pair, mentioning both', async () => {
      const [a, b] = h.fake.addUsers(2);
      const platform = h.platform;
      const text = `Meet ${platform.mention({ id: a!.id, name: a!.username })} and ${platform.mention({ id: b!.id, name: b!.username })}!`;
      const { parts, record } = recorder();
      const result = await platform.sendToGroup({ memberIds: [a!.id, b!.id], text }, new Set(), record);

      expect(result.unreachable).toEqual([]);
      const channel = h.fake.conversationOf([a!.id, b!.id])!;
      expect(channel.type).toBe('G');
      expect(parts).toEqual([{ ids: [a!.id, b!.id], post: { id: expect.any(String), conversationId: channel.id } }]);
      const posts = h.fake.postsIn(channel.id);
      expect(posts.map((p) => p.message)).toEqual([`Meet @${a!.username} and @${b!.username}!`]);
      expect(h.fake.requestCount({ method: 'POST' })).toBe(2);
    });

    it('keeps a group of seven in one group channel of eight', async () => {
      const seven = h.fake.addUsers(7).map((u) => u.id);
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: seven, text: 'hi all' }, new Set(), record);
      expect(parts).toHaveLength(1);
      expect(h.fake.members.get(parts[0]!.post.conversationId)?.size).toBe(8);
    });

    it('falls back to one DM per member for a group of more than seven', async () => {
      const eight = h.fake.addUsers(8).map((u) => u.id);
      const { parts, record } = recorder();
      const result = await h.platform.sendToGroup({ memberIds: eight, text: 'big group' }, new Set(), record);
      expect(result.unreachable).toEqual([]);
      expect(parts.map((p) => p.ids)).toEqual(eight.map((id) => [id]));
      for (const id of eight) {
        const dm = h.fake.conversationOf([id])!;
        expect(dm.type).toBe('D');
        expect(h.fake.postsIn(dm.id).map((p) => p.message)).toEqual(['big group']);
      }
    });

    it('DMs a group of one', async () => {
      const [solo] = h.fake.addUsers(1);
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [solo!.id], text: 'nobody this time' }, new Set(), record);
      expect(parts).toHaveLength(1);
      expect(h.fake.conversationOf([solo!.id])?.type).toBe('D');
    });

    it('asks for feedback in the same conversation, with the bot’s answer reactions', async () => {
      const pair = h.fake.addUsers(2).map((u) => u.id);
      const intro = recorder();
      await h.platform.sendToGroup({ memberIds: pair, text: 'intro' }, new Set(), intro.record);
      const ask = recorder();
      await h.platform.sendToGroup({ memberIds: pair, text: 'Did you meet?' }, new Set(), ask.record);
      await h.platform.addReactions(ask.parts[0]!.post, ['check', 'cross', 'calendar']);
      expect(ask.parts[0]!.post.conversationId).toBe(intro.parts[0]!.post.conversationId);
      const reactions = h.fake.reactions.get(ask.parts[0]!.post.id)!;
      expect(reactions.map((r) => [r.user_id, r.emoji_name])).toEqual([
        [h.fake.bot.id, 'white_check_mark'],
        [h.fake.bot.id, 'x'],
        // Mattermost's name for 📅 (its `calendar` is 📆).
        [h.fake.bot.id, 'date'],
      ]);

      // A later run (a new adapter) finds the same group channel through the server.
      const again = createMattermostPlatform(
        { mattermost: { url: h.fake.url, token: h.fake.token, team: 'community', channel: 'coffee-pairs' } },
        { debug() {}, info() {}, warn() {} },
      );
      const third = recorder();
      await again.sendToGroup({ memberIds: pair, text: 'reminder' }, new Set(), third.record);
      expect(third.parts[0]!.post.conversationId).toBe(intro.parts[0]!.post.conversationId);
    });

    it('skips members already delivered and resumes a DM round where it stopped', async () => {
      const nine = h.fake.addUsers(9).map((u) => u.id);
      await h.platform.listMembers();
      // Three DMs go through, then the server fails every post until the retries run out.
      let posts = 0;
      const { parts, record } = recorder();
      const failing = {
        record: (ids: readonly string[], post: PostRef) => {
          record(ids, post);
          if (++posts === 3) h.fake.inject({ kind: 'status', status: 503 }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 100 });
        },
      };
      const err = await h.platform.sendToGroup({ memberIds: nine, text: 'hello' }, new Set(), failing.record).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).transient).toBe(true);
      expect((err as Error).message).toMatch(/DM to @member004: POST \/api\/v4\/posts failed: HTTP 503/);
      expect(parts.map((p) => p.ids[0])).toEqual(nine.slice(0, 3));

      h.fake.clearFaults();
      const delivered = new Set(parts.flatMap((p) => p.ids));
      const resumed = recorder();
      await h.platform.sendToGroup({ memberIds: nine, text: 'hello' }, delivered, resumed.record);
      expect(resumed.parts.map((p) => p.ids[0])).toEqual(nine.slice(3));
      expect(h.fake.botMessages()).toHaveLength(9);
    });

    it('a message resent by a later run (killed before it recorded delivery) is posted once', async () => {
      const pair = h.fake.addUsers(2).map((u) => u.id);
      const channelPost = await h.platform.postToChannel({ text: 'announcement', key: 'outbox-7' });
      await h.platform.sendToGroup({ memberIds: pair, text: 'intro', key: 'outbox-8' }, new Set(), () => {});
      // A new process: new adapter, nothing recorded, same outbox keys.
      const again = createMattermostPlatform(
        { mattermost: { url: h.fake.url, token: h.fake.token, team: 'community', channel: 'coffee-pairs' } },
        { debug() {}, info() {}, warn() {} },
      );
      expect((await again.postToChannel({ text: 'announcement', key: 'outbox-7' })).id).toBe(channelPost.id);
      await again.sendToGroup({ memberIds: pair, text: 'intro', key: 'outbox-8' }, new Set(), () => {});
      expect(h.fake.botMessages()).toHaveLength(1);
      expect(h.fake.postsIn(h.fake.channel.id)).toHaveLength(1);
      await again.close();
    });

    it('returns members who cannot be messaged and still reaches the rest', async () => {
      const [a, b, c] = h.fake.addUsers(3);
      h.fake.refuseDirectMessages(b!.id);
      const { parts, record } = recorder();
      const result = await h.platform.sendToGroup({ memberIds: [a!.id, b!.id, c!.id], text: 'trio' }, new Set(), record);
      expect(result.unreachable).toEqual([{ userId: b!.id, reason: expect.stringContaining('refused a DM to') }]);
      expect(parts.map((p) => p.ids)).toEqual([[a!.id], [c!.id]]);
    });

    it('reports a deactivated partner as unreachable and DMs the other', async () => {
      const [a, b] = h.fake.addUsers(2);
      await h.platform.listMembers();
      h.fake.deactivate(b!.id);
      // Seen deactivated by the roster of this run:
      await h.platform.listMembers();
      const { parts, record } = recorder();
      const result = await h.platform.sendToGroup({ memberIds: [a!.id, b!.id], text: 'pair' }, new Set(), record);
      expect(result.unreachable).toEqual([{ userId: b!.id, reason: expect.stringContaining('deactivated') }]);
      expect(parts).toEqual([{ ids: [a!.id], post: expect.objectContaining({ conversationId: h.fake.conversationOf([a!.id])!.id }) }]);
    });

    it('neutralises mass mentions in every text it posts', async () => {
      const [a] = h.fake.addUsers(1, 'alice');
      const ref = await h.platform.postToChannel({ text: '@channel @ALL @here @everyone: pairing with @alice001 soon' });
      const [post] = h.fake.postsIn(ref.conversationId);
      expect(post!.message).not.toMatch(/@(channel|all|here|everyone)\b/i);
      expect(post!.message).toContain(`@${a!.username}`);
      const { record } = recorder();
      await h.platform.sendToGroup({ memberIds: [a!.id], text: 'hey @here' }, new Set(), record);
      expect(h.fake.botMessages()[0]!.message).not.toMatch(/@here\b/);
    });
  });

  describe('reactions', () => {
    it('reads ❌ on a channel announcement as the cross token, ignoring the bot’s own', async () => {
      const [a, b] = h.fake.addUsers(2);
      const ref = await h.platform.postToChannel({ text: 'Pairing on Monday: react with ❌ to skip' });
      await h.platform.addReactions(ref, ['cross']);
      expect(ref.conversationId).toBe(h.fake.channel.id);
      expect(h.fake.reactions.get(ref.id)?.map((r) => r.emoji_name)).toEqual(['x']);
      h.fake.react(a!.id, ref.id, 'x');
      h.fake.react(b!.id, ref.id, 'thumbsup');
      expect(await h.platform.readReactions(ref)).toEqual([{ userId: a!.id, token: 'cross' }]);
      expect(h.fake.requestCount({ method: 'GET', path: /\/posts\/[a-z0-9]+\/reactions$/ })).toBe(1);
    });

    it('reads ✅, ❌ and 📅 (or a look-alike) on a group ask as the check, cross and calendar tokens', async () => {
      const [a, b, c] = h.fake.addUsers(3);
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [a!.id, b!.id, c!.id], text: 'Did you meet?' }, new Set(), record);
      const post = parts[0]!.post;
      h.fake.react(a!.id, post.id, 'white_check_mark');
      h.fake.react(b!.id, post.id, 'x');
      h.fake.react(c!.id, post.id, 'date');
      expect(await h.platform.readReactions(post)).toEqual([
        { userId: a!.id, token: 'check' },
        { userId: b!.id, token: 'cross' },
        { userId: c!.id, token: 'calendar' },
      ]);
    });
  });

  describe('reading answers the bot may not see', () => {
    it('fails loudly on a 403 instead of reading no ❌ at all, and warns about a deleted post', async () => {
      const ref = await h.platform.postToChannel({ text: 'react ❌ to skip' });
      h.fake.inject({ kind: 'status', status: 403 }, { method: 'GET', path: /\/reactions$/, times: 1 });
      await expect(h.platform.readReactions(ref)).rejects.toThrow(PlatformError);
      h.fake.inject({ kind: 'status', status: 404 }, { method: 'GET', path: /\/reactions$/, times: 1 });
      expect(await h.platform.readReactions(ref)).toEqual([]);
      expect(h.logs.join('\n')).toMatch(/is gone \(deleted\?\)/);
    });
  });

  describe('removing members', () => {
    it('removes a member from the channel', async () => {
      const [a] = h.fake.addUsers(1);
      expect(await h.platform.removeMember(a!.id)).toBe('removed');
      expect(h.fake.isInChannel(a!.id)).toBe(false);
      expect(await h.platform.removeMember(a!.id)).toBe('removed');
    });

    it('says not-permitted on a 403 and leaves the member in place', async () => {
      const [a] = h.fake.addUsers(1);
      h.fake.canRemoveMembers = false;
      expect(await h.platform.removeMember(a!.id)).toBe('not-permitted');
      expect(h.fake.isInChannel(a!.id)).toBe(true);
    });
  });

  describe('faults', () => {
    const pinned = Date.UTC(2026, 10, 23, 9, 0, 0);

    it('waits until X-Ratelimit-Reset (epoch seconds) on a 429, then retries', async () => {
      const p = await start({ retry: { now: () => pinned } });
      try {
        p.fake.now = () => pinned;
        p.fake.inject(
          { kind: 'rate-limit', waitSeconds: 3, reset: 'epoch', retryAfter: false },
          { method: 'POST', path: /^\/api\/v4\/posts$/ },
        );
        const ref = await p.platform.postToChannel({ text: 'hello' });
        expect(p.waits).toEqual([3000]);
        expect(p.fake.postsIn(ref.conversationId)).toHaveLength(1);
        expect(p.logs.some((l) => l.includes('rate limited'))).toBe(true);
      } finally {
        await p.fake.close();
      }
    });

    it('waits as long as Retry-After says on a 429', async () => {
      h.fake.inject({ kind: 'rate-limit', waitSeconds: 2, reset: 'none' }, { method: 'GET', path: /^\/api\/v4\/users$/, times: 2 });
      h.fake.addUsers(3);
      expect(await h.platform.listMembers()).toHaveLength(3);
      expect(h.waits).toEqual([2000, 2000]);
    });

    it('gives up on a rate limit that outlasts the run’s retry time', async () => {
      const p = await start({ retry: { totalRetryMs: 10_000 } });
      try {
        p.fake.inject({ kind: 'rate-limit', waitSeconds: 60 }, { method: 'GET', path: /^\/api\/v4\/users$/ });
        const err = await p.platform.listMembers().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlatformError);
        expect((err as PlatformError).transient).toBe(true);
        expect((err as Error).message).toMatch(/the server asked to wait 60 s, beyond the retry time limit of 10 s for this run/);
        expect(p.waits).toEqual([]);
      } finally {
        await p.fake.close();
      }
    });

    it('retries 5xx answers with growing backoff', async () => {
      h.fake.addUsers(5);
      h.fake.inject({ kind: 'status', status: 502 }, { method: 'GET', path: /^\/api\/v4\/users$/, times: 3 });
      expect(await h.platform.listMembers()).toHaveLength(5);
      expect(h.waits).toHaveLength(3);
      expect(h.fake.requestCount({ path: /^\/api\/v4\/users$/ })).toBe(4);
    });

    it('stops after the bounded number of attempts', async () => {
      h.fake.inject({ kind: 'status', status: 500 }, { times: 100 });
      const err = await h.platform.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as Error).message).toMatch(/HTTP 500 Injected fault 500\. \(5 attempts\)/);
      expect(h.fake.requestCount()).toBe(5);
    });

    it('retries after a connection reset without posting twice', async () => {
      const [a, b] = h.fake.addUsers(2);
      h.fake.inject({ kind: 'reset' }, { method: 'POST', path: /^\/api\/v4\/channels\/group$/ });
      // The post is made, then the answer is lost: the retry must not post again.
      h.fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /^\/api\/v4\/posts$/ });
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [a!.id, b!.id], text: 'pair' }, new Set(), record);
      expect(parts).toHaveLength(1);
      expect(h.fake.botMessages()).toHaveLength(1);
      expect(h.fake.requestCount({ method: 'POST', path: /^\/api\/v4\/posts$/ })).toBe(2);
    });

    it('a post answered after the client’s timeout, five times, is made once although the server forgot its pending_post_id', async () => {
      // Each attempt "takes" 16 s on the server's clock, so pending_post_id (kept 30 s) is forgotten by the third.
      const p = await start({ retry: { requestTimeoutMs: 100, sleep: async (ms: number) => p.fake.clock.advance(16_000 + ms) } });
      try {
        const [a, b] = p.fake.addUsers(2);
        p.fake.inject({ kind: 'latency', ms: 300, afterHandling: true }, { method: 'POST', path: /^\/api\/v4\/posts$/, times: 5 });
        const { parts, record } = recorder();
        await p.platform
          .sendToGroup({ memberIds: [a!.id, b!.id], text: 'intro', key: 'outbox-1' }, new Set(), record)
          .catch(() => undefined);
        expect(p.fake.botMessages()).toHaveLength(1);
        expect(parts.length).toBeLessThanOrEqual(1);
      } finally {
        await p.fake.close();
      }
    });

    it('says the server asked for an hour when Retry-After is beyond the run’s limit', async () => {
      h.fake.inject({ kind: 'rate-limit', waitSeconds: 3600, reset: 'none' }, { method: 'GET', path: /^\/api\/v4\/users$/ });
      const err = await h.platform.listMembers().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as Error).message).toMatch(
        /rate limited by the server \(HTTP 429\): the server asked to wait 1 h, beyond the retry time limit of 120 s for this run/,
      );
      expect(h.waits).toEqual([]);
    });

    it('summarises a proxy’s HTML error page in one line', async () => {
      h.fake.inject({ kind: 'html', status: 502 }, { times: 100 });
      const err = await h.platform.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      const message = (err as Error).message;
      expect(message).toMatch(/HTTP 502 \(an HTML page: 502 Bad Gateway\) \(5 attempts\)$/);
      expect(message).not.toContain('<');
      expect(message).not.toContain('\n');
    });

    it('times out a request that hangs and retries it', async () => {
      // The timeout is generous for a loaded machine; the hang is far longer (no timing is asserted).
      const p = await start({ retry: { requestTimeoutMs: 1_000 } });
      try {
        p.fake.addUsers(2);
        p.fake.inject({ kind: 'latency', ms: 10_000 }, { method: 'GET', path: /^\/api\/v4\/users$/ });
        expect(await p.platform.listMembers()).toHaveLength(2);
        expect(p.logs.some((l) => l.includes('request timed out'))).toBe(true);
      } finally {
        await p.fake.close();
      }
    });
  });
});
