import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError, UsageError } from '../../src/errors.js';
import { createDiscordPlatform, discordRateLimitWait, type DiscordPlatform } from '../../src/platforms/discord.js';
import type { PostRef, ReactionToken } from '../../src/platforms/types.js';
import { FakeDiscord } from '../fakes/discord.js';
import { runPlatformContract } from './contract.js';

const EMOJI: Record<ReactionToken, string> = { cross: '❌', check: '✅', calendar: '📅' };

interface Harness {
  fake: FakeDiscord;
  platform: DiscordPlatform;
  /** Waits the adapter asked for, in ms (sleeps resolve at once). */
  waits: number[];
  logs: string[];
}

interface Ids {
  token?: string;
  guildId?: string;
  roleId?: string;
  channelId?: string;
}

/** A fake Discord and an adapter with a retry policy that never really sleeps. */
async function start(ids: Ids = {}, retry: object = {}): Promise<Harness> {
  const fake = await FakeDiscord.start();
  const waits: number[] = [];
  const logs: string[] = [];
  const log = { debug: (m: string) => logs.push(m), info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  const platform = createDiscordPlatform(
    {
      discord: {
        token: ids.token ?? fake.token,
        guildId: ids.guildId ?? fake.guild.id,
        roleId: ids.roleId ?? fake.role.id,
        channelId: ids.channelId ?? fake.channel.id,
        apiUrl: fake.apiUrl,
      },
    },
    log,
    {
      globalRequestsPerSecond: 10_000,
      retry: {
        requestTimeoutMs: 2_000,
        baseDelayMs: 1,
        maxDelayMs: 4,
        sleep: async (ms: number) => {
          waits.push(ms);
        },
        ...retry,
      },
    },
  );
  return { fake, platform, waits, logs };
}

function recorder() {
  const parts: { ids: string[]; post: PostRef }[] = [];
  return { parts, record: (ids: readonly string[], post: PostRef) => parts.push({ ids: [...ids], post }) };
}

runPlatformContract('discord (fake server)', { unreachable: ['dms-closed'], transient: ['http-503', 'http-429'] }, async () => {
  const { fake, platform } = await start();
  const members = fake.addUsers(4, 'contract');
  fake.addUser({ username: 'otherbot', bot: true });
  fake.addUser({ username: 'norole', withRole: false });
  return {
    platform,
    memberIds: members.map((m) => m.id),
    firstMemberName: members[0]!.username,
    react: async (post, userId, token) => fake.react(userId, post.id, EMOJI[token]),
    makeUnreachable: async (userId) => fake.closeDMs(userId),
    injectTransient: async (fault, times) => {
      const creates = { method: 'POST', path: /\/messages$/, times };
      fake.inject(fault === 'http-429' ? { kind: 'rate-limit', retryAfter: 1 } : { kind: 'status', status: 503 }, creates);
    },
    forgetKeys: () => fake.clock.advance(3_600_000),
    cleanup: () => fake.close(),
  };
});

describe('discord settings', () => {
  const full = {
    token: 'secret-token-1234',
    guildId: '111111111111111111',
    roleId: '222222222222222222',
    channelId: '333333333333333333',
    apiUrl: 'http://127.0.0.1:9/api/v10',
  };
  const log = { debug() {}, info() {}, warn() {} };

  it.each([
    ['token', 'DISCORD_TOKEN'],
    ['guildId', 'DISCORD_GUILD_ID'],
    ['roleId', 'DISCORD_ROLE_ID'],
    ['channelId', 'DISCORD_CHANNEL_ID'],
  ] as const)('refuses a missing %s with a UsageError naming %s', (key, variable) => {
    const settings = { ...full, [key]: undefined };
    expect(() => createDiscordPlatform({ discord: settings }, log)).toThrow(UsageError);
    expect(() => createDiscordPlatform({ discord: settings }, log)).toThrow(`${variable} is not set`);
  });

  it('refuses an id that is not a snowflake', () => {
    expect(() => createDiscordPlatform({ discord: { ...full, roleId: 'coffee' } }, log)).toThrow(/DISCORD_ROLE_ID: expected a Discord id/);
  });

  it('reads the wait of a 429 from the body first, then the headers', () => {
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });
    expect(discordRateLimitWait(headers({ 'retry-after': '2' }), '{"retry_after":1.234,"global":true}')).toEqual({
      waitMs: 1234,
      global: true,
    });
    expect(discordRateLimitWait(headers({ 'retry-after': '2', 'x-ratelimit-reset-after': '1.5' }), 'busy')).toEqual({
      waitMs: 1500,
      global: false,
    });
    expect(discordRateLimitWait(headers({ 'retry-after': '3', 'x-ratelimit-global': 'true' }), '')).toEqual({ waitMs: 3000, global: true });
    expect(discordRateLimitWait(headers({}), '').waitMs).toBeUndefined();
  });
});

describe('discord adapter against the fake server', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    await h.platform.close();
    await h.fake.close();
  });

  describe('connecting', () => {
    it('returns the bot user id', async () => {
      expect(await h.platform.connect()).toEqual({ botUserId: h.fake.bot.id });
    });

    it('reports a rejected token without showing it', async () => {
      const bad = await start({ token: 'wrong-token-s3cr3t' });
      try {
        const err = await bad.platform.connect().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PlatformError);
        expect((err as PlatformError).exitCode).toBe(1);
        expect((err as Error).message).toContain(`DISCORD_TOKEN was rejected by ${bad.fake.apiUrl}`);
        expect((err as Error).message).not.toContain('wrong-token-s3cr3t');
        expect(bad.logs.join('\n')).not.toContain('wrong-token-s3cr3t');
      } finally {
        await bad.fake.close();
      }
    });

    it.each([
      ['guildId', 'DISCORD_GUILD_ID: no server 999999999999999999'],
      ['roleId', 'DISCORD_ROLE_ID: no role 999999999999999999'],
      ['channelId', 'DISCORD_CHANNEL_ID: no channel 999999999999999999'],
    ] as const)('names an unknown %s as a UsageError', async (key, message) => {
      const other = await start({ [key]: '999999999999999999' });
      try {
        const err = await other.platform.connect().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as UsageError).exitCode).toBe(2);
        expect((err as Error).message).toContain(message);
      } finally {
        await other.fake.close();
      }
    });

    it('fails as a transient PlatformError when the server cannot be reached', async () => {
      const apiUrl = h.fake.apiUrl;
      await h.fake.close();
      const platform = createDiscordPlatform(
        {
          discord: { token: 't0ken', guildId: '111111111111111111', roleId: '222222222222222222', channelId: '333333333333333333', apiUrl },
        },
        { debug() {}, info() {}, warn() {} },
        { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
      );
      const err = await platform.connect().catch((e: unknown) => e);
      await platform.close();
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).transient).toBe(true);
      expect((err as Error).message).toMatch(/connecting to http:\/\/127\.0\.0\.1:\d+\/api\/v10: GET \/users\/@me failed: network error/);
    });
  });

  describe('the roster', () => {
    it('pages through 1,000+ guild members, keeping role holders and leaving out bots and the bot itself', async () => {
      const humans = h.fake.addUsers(1_203, 'person');
      const bots = [h.fake.addUser({ username: 'mee6', bot: true }), h.fake.addUser({ username: 'dyno', bot: true })];
      const outsiders = h.fake.addUsers(7, 'lurker', { withRole: false });
      const members = await h.platform.listMembers();
      expect(members).toHaveLength(humans.length);
      expect(new Set(members.map((m) => m.id))).toEqual(new Set(humans.map((u) => u.id)));
      const ids = new Set(members.map((m) => m.id));
      for (const u of [...bots, ...outsiders, h.fake.bot]) expect(ids.has(u.id)).toBe(false);
      expect(members[0]).toEqual({ id: humans[0]!.id, name: 'person0001' });
      const pages = h.fake.requests.filter((r) => r.path === `/guilds/${h.fake.guild.id}/members`);
      expect(pages).toHaveLength(2);
      expect(pages[0]!.query).toContain('limit=1000');
      expect(pages[1]!.query).toMatch(/after=\d{15,21}/);
    });

    it('says where to turn on the Server Members Intent when listing is refused, as a set-up mistake (exit 2)', async () => {
      h.fake.membersIntent = false;
      const err = await h.platform.listMembers().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      expect((err as Error).message).toContain('Privileged Gateway Intents → turn on Server Members Intent');
    });

    it('finds users by id, username, @username and <@id>, also outside the role', async () => {
      const [alice] = h.fake.addUsers(1, 'alice');
      const outsider = h.fake.addUser({ username: 'zed', withRole: false });
      expect((await h.platform.findUser(alice!.id))?.name).toBe('alice001');
      expect((await h.platform.findUser('@ALICE001'))?.id).toBe(alice!.id);
      expect((await h.platform.findUser(`<@${outsider.id}>`))?.name).toBe('zed');
      expect((await h.platform.findUser('zed'))?.id).toBe(outsider.id);
      expect(await h.platform.findUser('999999999999999999')).toBeUndefined();
    });

    it('mentions by id, which names nobody else', () => {
      expect(h.platform.mention({ id: '123456789012345678', name: 'everyone' })).toBe('<@123456789012345678>');
    });
  });

  describe('group messages', () => {
    it('DMs each member separately, allowing mentions of the group only, with a nonce, and adds reactions', async () => {
      const [a, b, c] = h.fake.addUsers(3, 'm');
      const { parts, record } = recorder();
      const result = await h.platform.sendToGroup(
        { memberIds: [a!.id, b!.id, c!.id], text: 'Hi <@1> — @everyone and <@&42> must not ping', key: 'outbox-7' },
        new Set(),
        record,
      );
      for (const part of parts) await h.platform.addReactions(part.post, ['check', 'cross', 'calendar']);
      expect(result.unreachable).toEqual([]);
      expect(parts.map((p) => p.ids)).toEqual([[a!.id], [b!.id], [c!.id]]);
      const creates = h.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
      for (const u of [a!, b!, c!]) {
        const [dm, ...more] = h.fake.dmsTo(u.id);
        expect(more).toEqual([]);
        expect(dm!.content).toContain('must not ping');
        expect([...h.fake.reactionsOn(dm!.id).keys()]).toEqual(['✅', '❌', '📅']);
      }
      // Discord de-duplicates a nonce per author across channels: every DM needs its own.
      expect(new Set(creates.map((r) => (r.body as { nonce: string }).nonce)).size).toBe(3);
      expect(creates).toHaveLength(3);
      for (const r of creates) {
        expect(r.body).toMatchObject({
          allowed_mentions: { parse: [], users: [a!.id, b!.id, c!.id] },
          enforce_nonce: true,
          nonce: expect.stringMatching(/^pb[0-9a-z]{1,23}$/),
        });
      }
    });

    it('returns members with closed DMs as unreachable and delivers to the rest', async () => {
      const [a, b] = h.fake.addUsers(2, 'm');
      h.fake.closeDMs(b!.id);
      const { parts, record } = recorder();
      const result = await h.platform.sendToGroup({ memberIds: [a!.id, b!.id], text: 'hello' }, new Set(), record);
      expect(parts.map((p) => p.ids)).toEqual([[a!.id]]);
      expect(result.unreachable).toEqual([{ userId: b!.id, reason: expect.stringContaining('Cannot send messages to this user') }]);
    });

    it('skips members already delivered', async () => {
      const [a, b] = h.fake.addUsers(2, 'm');
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [a!.id, b!.id], text: 'hello' }, new Set([a!.id]), record);
      expect(parts.map((p) => p.ids)).toEqual([[b!.id]]);
      expect(h.fake.dmsTo(a!.id)).toEqual([]);
    });

    it('does not post twice when the answer to a create is lost', async () => {
      const [a] = h.fake.addUsers(1, 'm');
      h.fake.inject({ kind: 'reset', afterHandling: true }, { method: 'POST', path: /\/messages$/ });
      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [a!.id], text: 'hello', key: 'outbox-1' }, new Set(), record);
      expect(parts).toHaveLength(1);
      expect(h.fake.dmsTo(a!.id)).toHaveLength(1);
      expect(h.fake.requestCount({ method: 'POST', path: /\/messages$/ })).toBe(2);
    });
  });

  describe('channel posts and reactions', () => {
    it('posts with no pings allowed, and reads ❌ as the cross token there and in a DM, paging reactors', async () => {
      const people = h.fake.addUsers(130, 'p');
      await h.platform.connect();
      const post = await h.platform.postToChannel({ text: 'Pairing on Monday @everyone', key: 'outbox-2' });
      await h.platform.addReactions(post, ['cross']);
      const create = h.fake.requests.find((r) => r.method === 'POST' && r.path === `/channels/${h.fake.channel.id}/messages`);
      expect(create?.body).toMatchObject({
        allowed_mentions: { parse: [], users: [] },
        nonce: expect.stringMatching(/^pb/),
        enforce_nonce: true,
      });
      expect(await h.platform.readReactions(post)).toEqual([]);
      for (const p of people.slice(0, 120)) h.fake.react(p.id, post.id, '❌');
      h.fake.react(people[125]!.id, post.id, '👍');
      const skips = await h.platform.readReactions(post);
      expect(skips).toHaveLength(120);
      expect(skips.every((r) => r.token === 'cross')).toBe(true);
      expect(h.fake.requestCount({ method: 'GET', path: /\/reactions\/%E2%9D%8C$/ })).toBe(2);

      const { parts, record } = recorder();
      await h.platform.sendToGroup({ memberIds: [people[0]!.id], text: 'Did you meet?' }, new Set(), record);
      await h.platform.addReactions(parts[0]!.post, ['check', 'cross', 'calendar']);
      const dm = parts[0]!.post;
      h.fake.react(people[0]!.id, dm.id, '❌');
      h.fake.react(people[0]!.id, dm.id, '🗓️');
      expect(await h.platform.readReactions(dm)).toEqual([
        { userId: people[0]!.id, token: 'cross' },
        { userId: people[0]!.id, token: 'calendar' },
      ]);
    });
  });

  describe('reading answers the bot may not see', () => {
    it('fails loudly on a 403 instead of reading no ❌ at all, and warns about a deleted message', async () => {
      const ref = await h.platform.postToChannel({ text: 'react ❌ to skip' });
      h.fake.inject({ kind: 'status', status: 403 }, { method: 'GET', path: /\/messages\/\d+$/, times: 1 });
      await expect(h.platform.readReactions(ref)).rejects.toThrow(PlatformError);
      h.fake.inject({ kind: 'status', status: 404 }, { method: 'GET', path: /\/messages\/\d+$/, times: 1 });
      expect(await h.platform.readReactions(ref)).toEqual([]);
      expect(h.logs.join('\n')).toMatch(/is gone \(deleted\?\)/);
    });
  });

  describe('removing members', () => {
    it('takes the role away', async () => {
      const [a] = h.fake.addUsers(1, 'm');
      expect(await h.platform.removeMember(a!.id)).toBe('removed');
      expect(h.fake.hasRole(a!.id)).toBe(false);
    });

    it('says not-permitted on Missing Permissions (403, 50013)', async () => {
      const [a] = h.fake.addUsers(1, 'm');
      h.fake.canManageRoles = false;
      expect(await h.platform.removeMember(a!.id)).toBe('not-permitted');
      expect(h.fake.hasRole(a!.id)).toBe(true);
    });
  });

  describe('faults', () => {
    it('waits out a 429 as the body says, then a global one', async () => {
      h.fake.addUsers(3, 'm');
      h.fake.inject({ kind: 'rate-limit', retryAfter: 1.25 }, { method: 'GET', path: /\/members$/ });
      h.fake.inject({ kind: 'rate-limit', retryAfter: 0.5, global: true }, { method: 'GET', path: /\/members$/ });
      expect(await h.platform.listMembers()).toHaveLength(3);
      expect(h.waits).toEqual([1250, 500]);
      expect(h.logs.join('\n')).toMatch(/HTTP 429, global/);
    });

    it('retries 5xx and dropped connections', async () => {
      h.fake.addUsers(2, 'm');
      h.fake.inject({ kind: 'status', status: 502 }, { method: 'GET', path: /\/members$/ });
      h.fake.inject({ kind: 'reset' }, { method: 'GET', path: /\/members$/ });
      expect(await h.platform.listMembers()).toHaveLength(2);
      expect(h.fake.requestCount({ path: /\/members$/ })).toBe(3);
    });

    it('gives up within the retry budget with a transient PlatformError', async () => {
      h.fake.inject({ kind: 'status', status: 503 }, { method: 'GET', path: /\/members$/, times: 100 });
      const err = await h.platform.listMembers().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).transient).toBe(true);
      expect(h.fake.requestCount({ path: /\/members$/ })).toBe(5);
    });

    it('times out a request that hangs', async () => {
      // The timeout is generous for a loaded machine; the hang is far longer (no timing is asserted).
      const slow = await start({}, { requestTimeoutMs: 1_000, maxAttempts: 2 });
      try {
        slow.fake.inject({ kind: 'latency', ms: 10_000 }, { method: 'GET', path: /\/users\/@me$/ });
        expect(await slow.platform.connect()).toEqual({ botUserId: slow.fake.bot.id });
        expect(slow.logs.join('\n')).toMatch(/timed out/);
      } finally {
        await slow.platform.close();
        await slow.fake.close();
      }
    });
  });
});
