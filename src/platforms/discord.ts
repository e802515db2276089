import { DiscordAPIError, RateLimitError, REST, type RateLimitData, type RESTOptions, type ResponseLike } from '@discordjs/rest';
import {
  ChannelType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  Routes,
  type APIChannel,
  type APIGuild,
  type APIGuildMember,
  type APIMessage,
  type APIRole,
  type APIUser,
  type RESTGetAPIChannelUsersThreadsArchivedResult,
  type RESTGetAPIGuildThreadsResult,
  type RESTPostAPIChannelMessageJSONBody,
} from 'discord-api-types/v10';
import { DEFAULT_DISCORD_API, type Config } from '../config.js';
import { PlatformError, UsageError } from '../errors.js';
import { resolveWho, whoKey } from '../core/who.js';
import { ApiCalls, type AnswerShape, membersReactions, PeopleNames, requireSetting, SetupChecks, stableHash } from './api-calls.js';
import { summariseErrorBody, type RetryPolicy } from './http-retry.js';
import type {
  ChannelMessage,
  ChatPlatform,
  DeliveryRecorder,
  GroupDeliveryResult,
  GroupMessage,
  GroupThread,
  IncomingMessage,
  InboxBatch,
  InboxReply,
  InboxRequest,
  NameLookup,
  PlaceChange,
  PlatformUser,
  PostRef,
  ReactionToken,
  ReactionRecord,
  PlatformLog,
  SetupCheck,
  DeliveryForm,
} from './types.js';

/**
 * Discord through discord.js's REST layer (`@discordjs/rest`), with pairbot's transport
 * policy (per-request timeouts, retries for 429/5xx/network faults, a bounded total wait)
 * slid under it as its `makeRequest`. The REST layer keeps Discord's bucket and global
 * (50 requests a second) pacing.
 *
 * Members are the guild members holding DISCORD_ROLE_ID. A bot cannot open group DMs,
 * so a group message is one DM per member, each recorded as soon as it is delivered.
 * Every message restricts `allowed_mentions` to the group's own users, and carries a
 * nonce with `enforce_nonce` so a create retried after a lost answer is not duplicated.
 */

const PLATFORM = 'discord';
/** Discord's maximum page size for guild member listings. */
const MEMBERS_PER_PAGE = 1000;
/** Discord's maximum page size for the users who reacted with one emoji. */
const REACTIONS_PER_PAGE = 100;
/** Discord caps `allowed_mentions.users` at 100 ids. */
const MAX_ALLOWED_USERS = 100;
/** Discord caps message content at 2,000 characters. */
const MAX_CONTENT = 2000;
const SNOWFLAKE = /^\d{15,21}$/;
/** Discord's epoch, the start of snowflake time. */
const DISCORD_EPOCH = 1_420_070_400_000n;
/**
 * How far before a recorded send attempt to look for the message it may have made: covers
 * clock skew between this host and Discord.
 */
const LOOKBACK_MS = 10 * 60_000;
/** Discord's maximum page of channel messages. */
const MESSAGES_PER_PAGE = 100;
/** Discord caps a thread's name at 100 characters. */
const MAX_THREAD_NAME = 100;
/** Archived threads Discord lists per request, at most. */
const MAX_THREADS_PAGE = 100;

export interface DiscordOptions {
  /** Overrides of the retry policy (tests make it fast; see http-retry.ts for defaults). */
  retry?: Partial<RetryPolicy>;
  /** Requests a second the REST layer allows itself (Discord's global limit is 50). */
  globalRequestsPerSecond?: number;
}

/** The unicode emoji of each reaction token (what a token means: src/core/reactions.ts). */
const EMOJI_OF: Record<ReactionToken, string> = { cross: '❌', check: '✅', calendar: '📅' };
/** Emoji read as each token: the bot's own, and the look-alikes a member may pick instead (variation selectors dropped). */
const TOKEN_OF: Record<string, ReactionToken> = {
  '❌': 'cross',
  '❎': 'cross',
  '✖': 'cross',
  '✅': 'check',
  '✔': 'check',
  '☑': 'check',
  '📅': 'calendar',
  '📆': 'calendar',
  '🗓': 'calendar',
};

/**
 * What Discord answers on success to each request pairbot makes (api-calls.ts checks it; a
 * 204 has no body): anything else comes from an address that is not Discord's API.
 */
const ANSWERS: readonly (readonly [RegExp, AnswerShape])[] = [
  [/^GET \/users\/[^/]+$/, ['id', 'username']],
  [/^GET \/guilds\/[^/]+$/, ['id', 'name']],
  [/^GET \/guilds\/[^/]+\/roles\/[^/]+$/, ['id', 'name']],
  [/^GET \/guilds\/[^/]+\/(roles|members|members\/search)$/, 'list'],
  [/^GET \/channels\/[^/]+\/messages(\/[^/]+\/reactions\/[^/]+)?$/, 'list'],
  [/^(GET|PATCH) \/channels\/[^/]+$/, ['id']],
  [/^GET \/channels\/[^/]+\/messages\/[^/]+$/, ['id']],
  [/^POST \/(channels\/[^/]+\/messages|channels\/[^/]+\/threads|users\/@me\/channels)$/, ['id']],
];

interface Settings {
  token: string;
  guildId: string;
  roleId: string;
  channelId: string;
  /** As configured, for messages. */
  apiUrl: string;
  /** Base and version as the REST layer wants them. */
  api: string;
  version: string;
  delivery: 'dm' | 'thread';
}

interface Connection {
  bot: APIUser;
  guild: APIGuild;
  role: APIRole;
  channel: APIChannel;
}

/**
 * Builds the adapter after checking every DISCORD_* setting, so a missing one is a
 * UsageError (exit 2) before anything connects.
 */
export function createDiscordPlatform(config: Pick<Config, 'discord'>, log: PlatformLog, options: DiscordOptions = {}): DiscordPlatform {
  return new DiscordPlatform(readSettings(config.discord), log, options);
}

function readSettings(s: Config['discord']): Settings {
  const id = (value: string | undefined, name: string, what: string): string => {
    const v = requireSetting(value, name, what);
    if (!SNOWFLAKE.test(v)) throw new UsageError(`${name}: expected a Discord id (a number of 15 to 21 digits), got ${JSON.stringify(v)}`);
    return v;
  };
  // People paste the whole header value; the REST layer adds "Bot " itself.
  const token = requireSetting(s.token, 'DISCORD_TOKEN', "the bot's token from the Developer Portal").replace(/^Bot\s+/i, '');
  const guildId = id(s.guildId, 'DISCORD_GUILD_ID', 'the server id: right-click the server, Copy Server ID');
  const roleId = id(s.roleId, 'DISCORD_ROLE_ID', 'the id of the role whose holders are paired');
  const channelId = id(s.channelId, 'DISCORD_CHANNEL_ID', 'the id of the channel for announcements');
  const apiUrl = (s.apiUrl || 'https://discord.com/api/v10').replace(/\/+$/, '');
  const versioned = /^(.*)\/v(\d+)$/.exec(apiUrl);
  return {
    token,
    guildId,
    roleId,
    channelId,
    apiUrl,
    api: versioned ? versioned[1]! : apiUrl,
    version: versioned ? versioned[2]! : '10',
    delivery: s.delivery ?? 'dm',
  };
}

type MakeRequestInit = Parameters<RESTOptions['makeRequest']>[1];

export class DiscordPlatform implements ChatPlatform {
  readonly kind = 'discord' as const;
  private readonly rest: REST;
  private connecting?: Promise<Connection>;
  /** The connection once made (for what must be said without a request, like the role's name). */
  private connected?: Connection;
  /** Guild members' roles read this run (moderators by PAIRBOT_ADMIN_ROLE). */
  private readonly memberRoles = new Map<string, Promise<readonly string[]>>();
  /** Users seen in this run, for findUser and for naming people in logs. */
  private readonly users = new Map<string, APIUser>();
  /** Active threads of the program channel by name, read once per run. */
  private threads?: Promise<Map<string, string>>;
  /** The server's active threads, read once per run (threads by name, and the inbox's "what changed"). */
  private activeThreadList?: Promise<APIChannel[]>;
  /** DM channel per user, opened once per run. */
  private readonly dms = new Map<string, string>();
  /** Time the REST layer spent waiting out bucket limits it knew of in advance. */
  private bucketWaitMs = 0;
  private readonly calls: ApiCalls;
  private readonly names = new PeopleNames((id) => this.users.get(id)?.username);
  /** Requests sent to the server, retries included. */
  private requestCount = 0;

  constructor(
    private readonly settings: Settings,
    private readonly log: PlatformLog,
    options: DiscordOptions = {},
  ) {
    this.calls = new ApiCalls(
      {
        platform: PLATFORM,
        retry: options.retry,
        tokenVariable: 'DISCORD_TOKEN',
        server: settings.apiUrl,
        urlVariable: 'DISCORD_API_URL',
        apiName: "Discord's API",
        urlFix: `Discord's API (${DEFAULT_DISCORD_API}) or a proxy of it, or leave it unset`,
        answers: ANSWERS,
        answerOf: (err) => (err instanceof DiscordAPIError ? { status: err.status, message: err.message, code: err.code } : undefined),
        translate: translateFailure,
      },
      log,
    );
    const policy = this.calls.retrier.policy;
    this.rest = new REST({
      api: settings.api,
      version: settings.version,
      // Retries, timeouts and 429s are handled per attempt in `transport`; the REST layer's
      // own timeout would cut across those retries, so it only backs them up.
      retries: 0,
      timeout: policy.totalRetryMs + policy.requestTimeoutMs * (policy.maxAttempts + 1),
      globalRequestsPerSecond: options.globalRequestsPerSecond ?? 50,
      rejectOnRateLimit: (data) => this.refuseLongWait(data),
      hashSweepInterval: 0,
      handlerSweepInterval: 0,
      userAgentAppendix: 'pairbot',
      makeRequest: (url, init) => this.transport(url, init),
    }).setToken(settings.token);
  }

  /** Time this run lost to retries and rate-limit waits. */
  private get retryTimeMs(): number {
    return this.calls.retrier.retryTimeMs + this.bucketWaitMs;
  }

  useProgramNames(lookup: NameLookup): void {
    this.names.useProgramNames(lookup);
  }

  connect(): Promise<{ botUserId: string }> {
    return this.ready().then(({ bot }) => ({ botUserId: bot.id }));
  }

  async listMembers(): Promise<PlatformUser[]> {
    const { bot, role } = await this.ready();
    const everyoneRole = role.id === this.settings.guildId;
    const members: PlatformUser[] = [];
    const seen = new Set<string>();
    let total = 0;
    let after = '0';
    for (;;) {
      const batch = (await this.calls.call(`reading the members of server ${this.settings.guildId}`, () =>
        this.rest.get(Routes.guildMembers(this.settings.guildId), {
          query: new URLSearchParams({ limit: String(MEMBERS_PER_PAGE), after }),
        }),
      )) as APIGuildMember[];
      total += batch.length;
      for (const member of batch) {
        const user = member.user;
        this.users.set(user.id, user);
        if (BigInt(user.id) > BigInt(after)) after = user.id;
        if (!everyoneRole && !member.roles.includes(role.id)) continue;
        if (user.id === bot.id || user.bot || user.system || seen.has(user.id)) continue;
        seen.add(user.id);
        members.push(toPlatformUser(user));
      }
      if (batch.length < MEMBERS_PER_PAGE) break;
    }
    this.log.debug(`[discord] role @${role.name}: ${members.length} members (of ${total} in the server; bots and the bot itself left out)`);
    return members;
  }

  async findUser(who: string): Promise<PlatformUser | undefined> {
    await this.ready();
    const known = resolveWho(who, [...this.users.values()].map(toPlatformUser));
    if (known) return known;
    const key = whoKey(who);
    const lower = key.toLowerCase();
    if (SNOWFLAKE.test(key)) {
      const member = (await this.calls.lookUp(`looking up user ${key}`, () =>
        this.rest.get(Routes.guildMember(this.settings.guildId, key)),
      )) as APIGuildMember | undefined;
      const user =
        member?.user ?? ((await this.calls.lookUp(`looking up user ${key}`, () => this.rest.get(Routes.user(key)))) as APIUser | undefined);
      if (user) {
        this.users.set(user.id, user);
        return toPlatformUser(user);
      }
    }
    if (lower.length >= 1 && lower.length <= 100) {
      const found = (await this.calls.lookUp(`looking up @${lower}`, () =>
        this.rest.get(Routes.guildMembersSearch(this.settings.guildId), { query: new URLSearchParams({ query: lower, limit: '100' }) }),
      )) as APIGuildMember[] | undefined;
      const user =
        found &&
        resolveWho(
          who,
          found.map((m) => ({ ...toPlatformUser(m.user), user: m.user })),
        )?.user;
      if (user) {
        this.users.set(user.id, user);
        return toPlatformUser(user);
      }
    }
    return undefined;
  }

  mention(user: Pick<PlatformUser, 'id' | 'name'>): string {
    // An id mention pings one user (and only if allowed_mentions lists them); a name cannot ping anyone.
    return SNOWFLAKE.test(user.id) ? `<@${user.id}>` : `@\u200b${user.name}`;
  }

  /** A bot cannot open group DMs on Discord: every member gets their own DM, unless each group gets a private thread. */
  deliveryForm(): DeliveryForm {
    return this.settings.delivery === 'thread' ? 'shared' : 'own';
  }

  async postToChannel(message: ChannelMessage): Promise<PostRef> {
    const { channel } = await this.ready();
    const context = `posting in channel ${channel.id}`;
    const posted =
      (await this.calls.call(context, () => this.findSent(channel.id, message))) ??
      (await this.calls.call(context, () => this.createMessage(channel.id, message.text, [], message.key)));
    return { id: posted.id, conversationId: channel.id };
  }

  async sendToGroup(message: GroupMessage, alreadyDelivered: ReadonlySet<string>, record: DeliveryRecorder): Promise<GroupDeliveryResult> {
    const { bot } = await this.ready();
    const everyone = [...new Set(message.memberIds)].filter((id) => id !== bot.id);
    if (this.settings.delivery === 'thread' && message.thread)
      return this.sendToThread(message.thread, everyone, message, alreadyDelivered, record);
    const unreachable: GroupDeliveryResult['unreachable'] = [];
    for (const id of everyone) {
      if (alreadyDelivered.has(id)) continue;
      const reason = await this.sendDirect(id, everyone, message, record);
      if (reason) unreachable.push({ userId: id, reason });
    }
    return { unreachable };
  }

  async readReactions(post: PostRef): Promise<ReactionRecord[]> {
    const { bot } = await this.ready();
    // The message lists its reactions with counts: only emoji someone besides the bot used are read further.
    const message = (await this.calls.readPost(`message ${post.id}`, `reading message ${post.id} and its reactions`, () =>
      this.rest.get(Routes.channelMessage(post.conversationId, post.id)),
    )) as APIMessage | undefined;
    const reactions: { userId: string; emoji: string }[] = [];
    for (const r of message?.reactions ?? []) {
      const emoji = r.emoji.name;
      if (r.emoji.id || !emoji || !tokenOf(emoji) || r.count - (r.me ? 1 : 0) <= 0) continue;
      for (const userId of await this.reactors(post, emoji)) reactions.push({ userId, emoji });
    }
    return membersReactions(reactions, bot.id, tokenOf);
  }

  async removeMember(userId: string): Promise<'removed' | 'not-permitted'> {
    const { role } = await this.ready();
    const who = this.names.describe(userId);
    if (role.id === this.settings.guildId) {
      this.log.debug(`[discord] DISCORD_ROLE_ID is the @everyone role, which nobody can lose: ${who} stays in the server`);
      return 'not-permitted';
    }
    try {
      await this.calls.run(() =>
        this.rest.delete(Routes.guildMemberRole(this.settings.guildId, userId, role.id), {
          reason: 'pairbot: missed too many meetings in a row',
        }),
      );
      return 'removed';
    } catch (err) {
      if (err instanceof DiscordAPIError) {
        // Gone from the server: the role went with them.
        if (err.code === RESTJSONErrorCodes.UnknownMember) return 'removed';
        if (err.status === 403) {
          this.log.debug(`[discord] removing @${role.name} from ${who} is not permitted: ${err.message}`);
          return 'not-permitted';
        }
      }
      throw this.calls.fail(`removing @${role.name} from ${who}`, err);
    }
  }

  /**
   * What was written to the bot, without a gateway: the program channel, the groups' threads
   * and the bot's DMs, each read after its cursor (the last message id read). DMs count
   * whole; the channel and threads only for messages mentioning the bot.
   *
   * Only conversations that may hold something new are read, so a run's requests grow with
   * them, not with the rounds delivered: a thread only when the server's active threads (one
   * request) show a message after its cursor — an archived thread receives nothing without
   * becoming active again, as a member writing in it makes it; a DM only when the request
   * marks it due (recent ones every run, dormant ones in rotation: src/core/inbox-scan.ts),
   * as Discord has no bulk "what changed" signal for a bot's DMs.
   */
  async readMessagesToBot(request: InboxRequest): Promise<InboxBatch> {
    const { bot, channel } = await this.ready();
    const conversations = new Map<string, boolean>([[channel.id, true]]);
    for (const c of request.conversations) if (!conversations.has(c.id) && c.due !== false) conversations.set(c.id, c.thread === true);
    const mention = new RegExp(`<@!?${bot.id}>`);
    const cursors = new Map<string, string>();
    const messages: IncomingMessage[] = [];
    const start = snowflakeAt(request.since.getTime());
    const lastInThread = request.conversations.some((c) => c.thread)
      ? new Map((await this.listActiveThreads()).map((t) => [t.id, 'last_message_id' in t ? t.last_message_id : null]))
      : new Map<string, string | null | undefined>();
    for (const [id, shared] of conversations) {
      const cursor = request.cursors.get(id) ?? start;
      if (shared && id !== channel.id) {
        const last = lastInThread.get(id);
        if (!last || BigInt(last) <= BigInt(cursor)) continue;
      }
      const what = id === channel.id ? `channel ${id}` : shared ? `thread ${id}` : 'a direct message';
      let after = cursor;
      let page: APIMessage[];
      do {
        const from = after;
        const read = () =>
          this.rest.get(Routes.channelMessages(id), { query: new URLSearchParams({ after: from, limit: String(MESSAGES_PER_PAGE) }) });
        // The program channel must be readable (an error says so); a DM or thread gone since is skipped.
        page = ((id === channel.id
          ? await this.calls.call(`reading new messages in ${what}`, read)
          : await this.calls.lookUp(`reading new messages in ${what}`, read)) ?? []) as APIMessage[];
        for (const m of page) {
          if (BigInt(m.id) > BigInt(after)) after = m.id;
          if (m.author.id === bot.id || (m.type !== 0 && m.type !== 19)) continue;
          this.users.set(m.author.id, m.author);
          messages.push({
            id: m.id,
            conversationId: id,
            shared,
            toBot: !shared || mention.test(m.content) || (m.mentions ?? []).some((u) => u.id === bot.id),
            fromId: m.author.id,
            fromName: m.author.username,
            fromBot: !!m.author.bot || !!m.author.system || m.webhook_id !== undefined,
            text: m.content,
            at: m.timestamp,
          });
        }
      } while (page.length === MESSAGES_PER_PAGE);
      cursors.set(id, after);
    }
    messages.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return { messages, cursors, bot: { id: bot.id, name: bot.username } };
  }

  /** Answers in the conversation, as a reply to the message, able to ping only its sender. */
  async replyInConversation(reply: InboxReply): Promise<PostRef> {
    await this.ready();
    const context = 'answering a message to the bot';
    const posted =
      (await this.calls.call(context, () => this.findSent(reply.conversationId, reply))) ??
      (await this.calls.call(context, () => this.createMessage(reply.conversationId, reply.text, [reply.to], reply.key, reply.replyTo)));
    return { id: posted.id, conversationId: reply.conversationId };
  }

  /** Gives a member the program's role; holding it already changes nothing. */
  async addMember(userId: string): Promise<PlaceChange> {
    const { role } = await this.ready();
    const who = this.names.describe(userId);
    if (role.id === this.settings.guildId) return 'done';
    try {
      await this.calls.run(() =>
        this.rest.put(Routes.guildMemberRole(this.settings.guildId, userId, role.id), { reason: 'pairbot: asked to join' }),
      );
      return 'done';
    } catch (err) {
      if (err instanceof DiscordAPIError && (err.status === 403 || err.code === RESTJSONErrorCodes.UnknownMember)) {
        this.log.debug(`[discord] giving @${role.name} to ${who} is not permitted: ${err.message}`);
        return 'not-permitted';
      }
      throw this.calls.fail(`giving @${role.name} to ${who}`, err);
    }
  }

  place(): { name: string; joinHowTo: string; leaveHowTo: string } {
    const name = `the @${this.connected?.role.name ?? this.settings.roleId} role`;
    return {
      name,
      joinHowTo: `ask a moderator to give you ${name} (Server Settings → Members), or pick it yourself if the server offers it (Channels & Roles).`,
      leaveHowTo: `ask a moderator to take ${name} from you, or drop it yourself if the server offers it (Channels & Roles).`,
    };
  }

  /** Whether a server member holds a role (a member gone from the server holds none). */
  async holdsRole(userId: string, roleId: string): Promise<boolean> {
    await this.ready();
    let roles = this.memberRoles.get(userId);
    if (!roles) {
      roles = this.calls
        .lookUp(`reading the roles of ${this.names.describe(userId)}`, () =>
          this.rest.get(Routes.guildMember(this.settings.guildId, userId)),
        )
        .then((m) => (m as APIGuildMember | undefined)?.roles ?? []);
      this.memberRoles.set(userId, roles);
    }
    return (await roles).includes(roleId);
  }

  async close(): Promise<void> {
    this.calls.close();
    this.rest.clearHashSweeper();
    this.rest.clearHandlerSweeper();
  }

  async checkSetup(): Promise<SetupCheck[]> {
    const { guildId, roleId, channelId } = this.settings;
    const checks = new SetupChecks();
    const bot = await this.calls.probeBot(checks, async () => (await this.rest.get(Routes.user('@me'))) as APIUser, {
      reach: 'check that this machine reaches discord.com (DNS, firewall, proxy), or DISCORD_API_URL if you set it',
      token:
        'Discord Developer Portal → Applications → your bot → Bot → Reset Token, and set DISCORD_TOKEN to the new token (without the "Bot " prefix)',
    });
    if (!bot) return checks.list;
    const invite = `invite the bot with https://discord.com/oauth2/authorize?client_id=${bot.id}&scope=bot&permissions=${NEEDED_PERMISSIONS}`;
    let step = 'server found';
    try {
      const guild = (await this.calls.lookUp(`finding server ${guildId}`, () => this.rest.get(Routes.guild(guildId)))) as
        | APIGuild
        | undefined;
      if (!guild)
        return checks.fail(
          step,
          `no server ${guildId} that @${bot.username} is in`,
          `check DISCORD_GUILD_ID (right-click the server → Copy Server ID, with Developer Mode on) and ${invite}`,
        );
      checks.pass(step, `server "${guild.name}"`);
      step = 'role found';
      const roles = (await this.calls.call(`reading the roles of "${guild.name}"`, () =>
        this.rest.get(Routes.guildRoles(guildId)),
      )) as APIRole[];
      const role = roles.find((r) => r.id === roleId);
      if (!role)
        return checks.fail(
          step,
          `no role ${roleId} in "${guild.name}"`,
          'set DISCORD_ROLE_ID to the id of the role whose holders are paired (Server Settings → Roles → ⋯ → Copy Role ID)',
        );
      checks.pass(step, `role @${role.name}`);
      step = 'channel found';
      const channel = (await this.calls.lookUp(`finding channel ${channelId}`, () => this.rest.get(Routes.channel(channelId)))) as
        | APIChannel
        | undefined;
      if (!channel || !('guild_id' in channel) || channel.guild_id !== guildId) {
        const what = channel ? `channel ${channelId} is not in "${guild.name}"` : `no channel ${channelId} that @${bot.username} can see`;
        return checks.fail(
          step,
          what,
          `set DISCORD_CHANNEL_ID to the announcement channel's id (right-click it → Copy Channel ID) and let @${bot.username} view it (channel settings → Permissions)`,
        );
      }
      checks.pass(step, `#${channel.name ?? channelId}`);
      step = 'may post and react';
      const member = (await this.calls.call(`reading @${bot.username}'s roles`, () =>
        this.rest.get(Routes.guildMember(guildId, bot.id)),
      )) as APIGuildMember;
      const perms = channelPermissions(guild, roles, member, bot.id, channel);
      const lacking = (bits: Record<string, bigint>) =>
        Object.entries(bits)
          .filter(([, bit]) => (perms & bit) === 0n)
          .map(([name]) => name);
      const missing = lacking({
        'View Channel': PermissionFlagsBits.ViewChannel,
        'Send Messages': PermissionFlagsBits.SendMessages,
        'Add Reactions': PermissionFlagsBits.AddReactions,
        'Read Message History': PermissionFlagsBits.ReadMessageHistory,
        ...(this.settings.delivery === 'thread' ? THREAD_PERMISSIONS : {}),
      });
      if (missing.length > 0) {
        return checks.fail(
          step,
          `@${bot.username} lacks ${missing.join(', ')} in #${channel.name ?? channelId}`,
          `#${channel.name ?? channelId} → Edit Channel → Permissions → add @${bot.username}'s role and allow ${missing.join(', ')}`,
        );
      }
      checks.pass(step, `@${bot.username} may post and react in #${channel.name ?? channelId}`);
      step = 'Server Members Intent';
      try {
        await this.calls.run(() => this.rest.get(Routes.guildMembers(guildId), { query: new URLSearchParams({ limit: '1' }) }));
      } catch (err) {
        if (err instanceof DiscordAPIError && err.status === 403) {
          return checks.fail(
            step,
            `Discord refuses to list the server's members (${err.message}): the Server Members Intent is off`,
            MEMBERS_INTENT_FIX,
          );
        }
        throw err;
      }
      checks.pass(step, 'on: the members holding the role can be listed');
      step = 'may manage the role';
      const top = Math.max(0, ...member.roles.map((id) => roles.find((r) => r.id === id)?.position ?? 0));
      // join/leave and prune have a fallback (they explain, or only flag): warnings, not failures.
      const fallback = `\`join\`/\`leave\` written to the bot will only tell members whom to ask for @${role.name}, and prune will mark members removed without taking the role away`;
      if (role.id === guildId || role.managed) {
        return checks.warn(
          step,
          `@${role.name} is ${role.id === guildId ? 'the @everyone role, which nobody can lose' : 'managed by an integration'}, so the bot can neither give nor take it: ${fallback}`,
          'set DISCORD_ROLE_ID to a role of your own (Server Settings → Roles → Create Role)',
        );
      }
      if (
        guild.owner_id !== bot.id &&
        !(perms & PermissionFlagsBits.Administrator) &&
        !(basePermissions(guild, roles, member) & PermissionFlagsBits.ManageRoles)
      ) {
        return checks.warn(
          step,
          `@${bot.username} lacks Manage Roles: ${fallback}`,
          `Server Settings → Roles → @${bot.username}'s role → Permissions → turn on Manage Roles`,
        );
      }
      if (guild.owner_id !== bot.id && top <= role.position) {
        return checks.warn(
          step,
          `@${bot.username}'s highest role is not above @${role.name}, so Discord will not let it give or take that role: ${fallback}`,
          `Server Settings → Roles → drag @${bot.username}'s role above @${role.name}`,
        );
      }
      checks.pass(step, `@${bot.username} may give and take @${role.name}`);
      return checks.list;
    } catch (err) {
      return checks.failWith(step, err);
    }
  }

  /** Checks the token, the server, the role and the channel, once per run. */
  private ready(): Promise<Connection> {
    return this.calls.run(() => (this.connecting ??= this.connectOnce()));
  }

  private async connectOnce(): Promise<Connection> {
    const { apiUrl, guildId, roleId, channelId } = this.settings;
    const bot = (await this.calls.call(`connecting to ${apiUrl}`, () => this.rest.get(Routes.user('@me')))) as APIUser;
    this.users.set(bot.id, bot);
    const guild = (await this.calls.lookUp(`finding server ${guildId}`, () => this.rest.get(Routes.guild(guildId)))) as
      | APIGuild
      | undefined;
    if (!guild) {
      throw new UsageError(
        `DISCORD_GUILD_ID: no server ${guildId} that the bot (@${bot.username}) is in; invite the bot to the server (see docs/discord.md)`,
      );
    }
    const role = (await this.calls.lookUp(`finding role ${roleId}`, () => this.rest.get(Routes.guildRole(guildId, roleId)))) as
      | APIRole
      | undefined;
    if (!role)
      throw new UsageError(`DISCORD_ROLE_ID: no role ${roleId} in server "${guild.name}"; copy the id from Server Settings → Roles`);
    const channel = (await this.calls.lookUp(`finding channel ${channelId}`, () => this.rest.get(Routes.channel(channelId)))) as
      | APIChannel
      | undefined;
    if (!channel) {
      throw new UsageError(
        `DISCORD_CHANNEL_ID: no channel ${channelId} that the bot (@${bot.username}) can see; check the id and let the bot view the channel`,
      );
    }
    if (!('guild_id' in channel) || channel.guild_id !== guildId) {
      throw new UsageError(`DISCORD_CHANNEL_ID: channel ${channelId} is not in server "${guild.name}" (${guildId})`);
    }
    if (this.settings.delivery === 'thread') await this.checkThreadPermissions(bot, guild, channel);
    this.log.debug(
      `[discord] connected to ${apiUrl} as @${bot.username}; server "${guild.name}", role @${role.name}, channel #${channel.name ?? channelId}`,
    );
    this.connected = { bot, guild, role, channel };
    return this.connected;
  }

  /**
   * One private thread per group in the program's channel: found or created, stored
   * through `onOpened` before anything is posted in it, members added (again: adding is
   * idempotent, and a late joiner needs it), then one message for all of them. Discord
   * archives a thread after a week without activity: an archived one is brought back first,
   * as members cannot be added to it.
   */
  private async sendToThread(
    thread: GroupThread,
    everyone: readonly string[],
    message: GroupMessage,
    alreadyDelivered: ReadonlySet<string>,
    record: DeliveryRecorder,
  ): Promise<GroupDeliveryResult> {
    const pending = everyone.filter((id) => !alreadyDelivered.has(id));
    if (pending.length === 0) return { unreachable: [] };
    const threadId = thread.id ?? (await this.openThread(thread, message.uncertainSince));
    const unreachable: GroupDeliveryResult['unreachable'] = [];
    for (const id of pending) {
      const who = this.names.describe(id);
      const add = () => this.calls.run(() => this.rest.put(Routes.threadMembers(threadId, id)));
      try {
        await add().catch(async (err: unknown) => {
          if (!(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.InvalidActionOnArchivedThread)) throw err;
          await this.unarchiveThread(threadId);
          await add();
        });
      } catch (err) {
        if (
          err instanceof DiscordAPIError &&
          (err.code === RESTJSONErrorCodes.UnknownMember || err.code === RESTJSONErrorCodes.UnknownUser)
        ) {
          unreachable.push({ userId: id, reason: `Discord could not add ${who} to the group's thread: ${err.message} (code ${err.code})` });
        } else throw this.calls.fail(`adding ${who} to thread ${threadId}`, err);
      }
    }
    const reached = pending.filter((id) => !unreachable.some((u) => u.userId === id));
    if (reached.length === 0) return { unreachable };
    const posted = await this.calls.call(
      `posting in thread ${threadId}`,
      async () => (await this.findSent(threadId, message)) ?? (await this.createMessage(threadId, message.text, everyone, message.key)),
    );
    record(reached, { id: posted.id, conversationId: threadId });
    return { unreachable };
  }

  /**
   * The group's thread: one an interrupted run created (found by its name among the active
   * threads, or, when an earlier attempt may have made it, among the archived ones), or a new one.
   */
  private async openThread(thread: GroupThread, uncertainSince: string | undefined): Promise<string> {
    const { channel } = await this.ready();
    const threads = await this.activeThreads();
    const name = thread.name.slice(0, MAX_THREAD_NAME);
    let id = threads.get(name);
    if (!id && uncertainSince) {
      id = await this.findArchivedThread(name, uncertainSince);
      if (id) {
        await this.unarchiveThread(id);
        threads.set(name, id);
      }
    }
    if (!id) {
      const before = this.requestCount;
      const created = (await this.calls.call(`creating a private thread in channel ${channel.id}`, () =>
        this.rest.post(Routes.threads(channel.id), {
          body: { name, type: ChannelType.PrivateThread, invitable: false, auto_archive_duration: 10080 },
          reason: 'pairbot: a group of this round',
        }),
      )) as APIChannel;
      // Creating a thread has no nonce: a create retried after a lost answer may have made two.
      id = this.requestCount - before > 1 ? await this.keepOneThread(name, created.id) : created.id;
      threads.set(name, id);
    }
    thread.onOpened?.(id);
    return id;
  }

  /** Of the threads named `name` (still empty: members are added after), keeps the oldest and deletes the rest. */
  private async keepOneThread(name: string, created: string): Promise<string> {
    const { channel } = await this.ready();
    const answer = (await this.calls.call('reading the active threads again', () =>
      this.rest.get(Routes.guildActiveThreads(this.settings.guildId)),
    )) as { threads: APIChannel[] };
    const same = answer.threads.filter((t) => 'parent_id' in t && t.parent_id === channel.id && t.name === name).map((t) => t.id);
    if (!same.includes(created)) same.push(created);
    same.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    for (const extra of same.slice(1)) {
      await this.calls.call(`deleting the duplicate thread ${extra}`, () =>
        this.rest.delete(Routes.channel(extra), { reason: 'pairbot: duplicate of a group thread' }),
      );
    }
    return same[0]!;
  }

  /**
   * An archived private thread named `name` that the bot opened since shortly before
   * `since`: the bot's archived threads are listed newest first, so paging stops at the
   * first one older than that.
   */
  private async findArchivedThread(name: string, since: string): Promise<string | undefined> {
    const { channel } = await this.ready();
    const oldest = BigInt(snowflakeAt(Date.parse(since) - LOOKBACK_MS));
    let before: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: String(MAX_THREADS_PAGE), ...(before ? { before } : {}) });
      const page = (await this.calls.call(`reading the archived threads of channel ${channel.id}`, () =>
        this.rest.get(Routes.channelJoinedArchivedThreads(channel.id), { query }),
      )) as RESTGetAPIChannelUsersThreadsArchivedResult;
      const found = page.threads.find((t) => t.name === name && BigInt(t.id) >= oldest);
      if (found) {
        this.log.debug(`[discord] thread ${found.id} from an earlier attempt found archived; reopening it instead of opening another`);
        return found.id;
      }
      const last = page.threads.at(-1);
      if (!page.has_more || !last || BigInt(last.id) < oldest) return undefined;
      before = last.id;
    }
  }

  /** Brings an archived thread back, so members can be added to it again. */
  private async unarchiveThread(threadId: string): Promise<void> {
    await this.calls.call(`reopening the archived thread ${threadId}`, () =>
      this.rest.patch(Routes.channel(threadId), { body: { archived: false }, reason: 'pairbot: a message for the group' }),
    );
  }

  /** The program channel's active threads by name, read once per run. */
  private activeThreads(): Promise<Map<string, string>> {
    return (this.threads ??= (async () => {
      const { channel } = await this.ready();
      const byName = new Map<string, string>();
      for (const t of await this.listActiveThreads())
        if ('parent_id' in t && t.parent_id === channel.id && t.name) byName.set(t.name, t.id);
      return byName;
    })());
  }

  /**
   * The server's active threads the bot can see, with each one's last message id, read once
   * per run: `GET /guilds/{id}/threads/active` answers them all at once (View Channel is all
   * it needs; the bot is a member of the private threads it opened).
   */
  private listActiveThreads(): Promise<APIChannel[]> {
    return (this.activeThreadList ??= this.calls
      .call(`reading the active threads of server ${this.settings.guildId}`, () =>
        this.rest.get(Routes.guildActiveThreads(this.settings.guildId)),
      )
      .then((answer) => (answer as RESTGetAPIGuildThreadsResult).threads));
  }

  /**
   * Thread delivery needs Create Private Threads and Send Messages in Threads in the
   * channel: checked while connecting, from the bot's roles and the channel's overwrites
   * as Discord computes them, so a missing one is exit 2 before anything is stored.
   */
  private async checkThreadPermissions(bot: APIUser, guild: APIGuild, channel: APIChannel): Promise<void> {
    const member = (await this.calls.call(`reading @${bot.username}'s roles`, () =>
      this.rest.get(Routes.guildMember(guild.id, bot.id)),
    )) as APIGuildMember;
    const roles = (await this.calls.call(`reading the roles of "${guild.name}"`, () =>
      this.rest.get(Routes.guildRoles(guild.id)),
    )) as APIRole[];
    const perms = channelPermissions(guild, roles, member, bot.id, channel);
    const where = `#${'name' in channel && channel.name ? channel.name : channel.id}`;
    for (const [name, bit] of Object.entries(THREAD_PERMISSIONS)) {
      if ((perms & bit) === 0n) {
        throw new UsageError(
          `PAIRBOT_DISCORD_DELIVERY=thread: the bot (@${bot.username}) lacks the ${name} permission in ${where}; grant it to the bot's role (Server Settings → Roles, or the channel's Permissions), or set PAIRBOT_DISCORD_DELIVERY=dm`,
        );
      }
    }
  }

  /** DMs one member; returns why they cannot be reached, or undefined once delivered. */
  private async sendDirect(
    userId: string,
    group: readonly string[],
    message: GroupMessage,
    record: DeliveryRecorder,
  ): Promise<string | undefined> {
    const who = this.names.describe(userId);
    const own: GroupMessage = { ...message, text: message.ownTexts?.[userId] ?? message.text };
    try {
      let dm = this.dms.get(userId);
      if (!dm) {
        const channel = (await this.calls.run(() =>
          this.rest.post(Routes.userChannels(), { body: { recipient_id: userId } }),
        )) as APIChannel;
        dm = channel.id;
        this.dms.set(userId, dm);
      }
      const channelId = dm;
      const posted =
        (await this.findSent(channelId, own)) ?? (await this.calls.run(() => this.createMessage(channelId, own.text, group, own.key)));
      record([userId], { id: posted.id, conversationId: channelId });
      return undefined;
    } catch (err) {
      if (err instanceof DiscordAPIError && isRecipientRefusal(err))
        return `Discord refused a DM to ${who}: ${err.message} (code ${err.code})`;
      throw this.calls.fail(`DM to ${who}`, err);
    }
  }

  /**
   * The message an earlier, unrecorded attempt sent in this channel, if any: the bot's
   * message with this text since shortly before that attempt. Discord does not return a
   * message's nonce when listing, and forgets nonces after a few minutes, so the text (the
   * same on every attempt, and rendered per group) is what identifies it.
   */
  private async findSent(channelId: string, message: ChannelMessage): Promise<APIMessage | undefined> {
    if (!message.uncertainSince) return undefined;
    const { bot } = await this.ready();
    const content = contentOf(message.text);
    let after = snowflakeAt(Date.parse(message.uncertainSince) - LOOKBACK_MS);
    for (;;) {
      const page = (await this.rest.get(Routes.channelMessages(channelId), {
        query: new URLSearchParams({ after, limit: String(MESSAGES_PER_PAGE) }),
      })) as APIMessage[];
      const found = page.find((m) => m.author.id === bot.id && m.content === content);
      if (found) {
        this.log.debug(`[discord] message ${found.id} from an earlier attempt found in channel ${channelId}; not sending again`);
        return found;
      }
      if (page.length < MESSAGES_PER_PAGE) return undefined;
      after = page.reduce((max, m) => (BigInt(m.id) > BigInt(max) ? m.id : max), after);
    }
  }

  /** A message that can ping only `users`, never @everyone, @here or roles, created at most once. */
  private async createMessage(
    channelId: string,
    text: string,
    users: readonly string[],
    key?: string,
    replyTo?: string,
  ): Promise<APIMessage> {
    const body: RESTPostAPIChannelMessageJSONBody = {
      content: contentOf(text),
      allowed_mentions: { parse: [], users: users.slice(0, MAX_ALLOWED_USERS), replied_user: false },
      ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
      // Discord de-duplicates nonces per author, across channels: each DM needs its own.
      nonce: messageNonce(key && `${key}:${channelId}`, text),
      enforce_nonce: true,
    };
    return (await this.rest.post(Routes.channelMessages(channelId), { body })) as APIMessage;
  }

  async addReactions(ref: PostRef, tokens: readonly ReactionToken[]): Promise<void> {
    await this.calls.addReactions(
      `message ${ref.id}`,
      tokens.map((t) => EMOJI_OF[t]),
      (emoji) => emoji,
      (emoji) => this.rest.put(Routes.channelMessageOwnReaction(ref.conversationId, ref.id, encodeURIComponent(emoji))),
    );
  }

  /** Everyone who reacted to a message with one emoji, page by page. */
  private async reactors(post: PostRef, emoji: string): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: String(REACTIONS_PER_PAGE) });
      if (after) query.set('after', after);
      const page = (await this.calls.call(`reading the ${emoji} reactions on message ${post.id}`, () =>
        this.rest.get(Routes.channelMessageReaction(post.conversationId, post.id, encodeURIComponent(emoji)), { query }),
      )) as APIUser[];
      for (const user of page) {
        this.users.set(user.id, user);
        ids.push(user.id);
        if (!after || BigInt(user.id) > BigInt(after)) after = user.id;
      }
      if (page.length < REACTIONS_PER_PAGE) return ids;
    }
  }

  /** Lets the REST layer wait out bucket limits it knows of, within the run's retry time limit. */
  private refuseLongWait(data: RateLimitData): boolean {
    // The REST layer's own 50-a-second pacing is how a large round is sent, not a fault.
    if (data.global) return false;
    if (this.retryTimeMs + data.timeToReset > this.calls.retrier.policy.totalRetryMs) return true;
    this.bucketWaitMs += data.timeToReset;
    return false;
  }

  /** Every request: a timeout per attempt; 429s, 5xx and network faults retried; the answer left to the REST layer. */
  private transport(url: string, init: MakeRequestInit): Promise<ResponseLike> {
    const method = (init.method ?? 'GET').toUpperCase();
    const base = `${this.settings.api}/v${this.settings.version}`;
    const route = `${method} ${(url.startsWith(base) ? url.slice(base.length) : url).replace(/\?.*$/, '').replace(/%40/g, '@')}`;
    // The REST layer's dispatcher is for its own undici; global fetch brings its own.
    const { dispatcher: _dispatcher, signal: _signal, ...rest } = init as MakeRequestInit & { dispatcher?: unknown };
    return this.calls.retrier.run(route, async (signal) => {
      this.requestCount++;
      const response = await fetch(url, { ...(rest as RequestInit), signal });
      if (response.status === 429) {
        const body = await response.text().catch(() => '');
        const { waitMs, global } = discordRateLimitWait(response.headers, body);
        return { kind: 'rate-limited', waitMs, detail: `rate limited by Discord (HTTP 429${global ? ', global' : ''})` };
      }
      if (response.status >= 500 || response.status === 408) {
        const text = await response.text().catch(() => '');
        return { kind: 'transient', detail: `HTTP ${response.status}${errorMessage(text)}` };
      }
      if (!response.ok || response.status === 204) return { kind: 'done', value: response as unknown as ResponseLike };
      // Read here to be checked, then handed on as it came for the REST layer to parse.
      const text = await response.text();
      const json = /^application\/json\b/i.test(response.headers.get('content-type') ?? '');
      this.calls.checkAnswer(route, json ? parseOrText(text) : text);
      const copy = new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
      return { kind: 'done', value: copy as unknown as ResponseLike };
    });
  }
}

/** What PAIRBOT_DISCORD_DELIVERY=thread needs in the channel besides posting and reacting. */
const THREAD_PERMISSIONS: Record<string, bigint> = {
  'Create Private Threads': PermissionFlagsBits.CreatePrivateThreads,
  'Send Messages in Threads': PermissionFlagsBits.SendMessagesInThreads,
};

/** What the bot needs: View Channel, Send Messages, Add Reactions, Read Message History, Manage Roles. */
const NEEDED_PERMISSIONS = String(
  PermissionFlagsBits.ViewChannel |
    PermissionFlagsBits.SendMessages |
    PermissionFlagsBits.AddReactions |
    PermissionFlagsBits.ReadMessageHistory |
    PermissionFlagsBits.ManageRoles,
);

const MEMBERS_INTENT_FIX =
  'Discord Developer Portal → Applications → your bot → Bot → Privileged Gateway Intents → turn on Server Members Intent, then Save Changes';

/** The bot's server-wide permissions: @everyone's and its roles'. */
function basePermissions(guild: APIGuild, roles: readonly APIRole[], member: APIGuildMember): bigint {
  const ids = new Set([guild.id, ...member.roles]);
  return roles.filter((r) => ids.has(r.id)).reduce((acc, r) => acc | BigInt(r.permissions), 0n);
}

/** The bot's permissions in a channel, as Discord computes them: base, then @everyone's, roles' and its own overwrites. */
function channelPermissions(
  guild: APIGuild,
  roles: readonly APIRole[],
  member: APIGuildMember,
  botId: string,
  channel: APIChannel,
): bigint {
  const all = ~0n;
  if (guild.owner_id === botId) return all;
  let perms = basePermissions(guild, roles, member);
  if (perms & PermissionFlagsBits.Administrator) return all;
  const overwrites = ('permission_overwrites' in channel ? channel.permission_overwrites : undefined) ?? [];
  for (const group of [[guild.id], member.roles, [botId]]) {
    let allow = 0n;
    let deny = 0n;
    for (const o of overwrites) {
      if (!group.includes(o.id)) continue;
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
    perms = (perms & ~deny) | allow;
  }
  return perms;
}

/** Discord's own failures, before the shared rules (api-calls.ts) translate the rest. */
function translateFailure(context: string, err: unknown): Error | undefined {
  // Members Intent off is a set-up mistake like an unknown role: exit 2, saying where to fix it.
  if (err instanceof DiscordAPIError && err.status === 403 && context.startsWith('reading the members')) {
    return new UsageError(
      `[discord] ${context} failed: HTTP 403 ${err.message} (code ${err.code}): the bot's Server Members Intent is off; ${MEMBERS_INTENT_FIX}`,
      { cause: err },
    );
  }
  if (err instanceof RateLimitError) {
    return new PlatformError(
      PLATFORM,
      `${context} failed: rate limited for ${err.timeToReset} ms, beyond the retry time limit for this run`,
      { cause: err, transient: true },
    );
  }
  return undefined;
}

/** The token of an emoji, look-alikes and variation selectors included. */
function tokenOf(emoji: string): ReactionToken | undefined {
  return TOKEN_OF[emoji.replace(/\uFE0F/g, '')];
}

/** Discord will never deliver to this person: DMs closed, no shared server, or no such user. */
function isRecipientRefusal(err: DiscordAPIError): boolean {
  return (
    err.code === RESTJSONErrorCodes.CannotSendMessagesToThisUser ||
    err.code === RESTJSONErrorCodes.UnknownUser ||
    err.code === RESTJSONErrorCodes.CannotSendMessagesToThisUserDueToHavingNoMutualGuilds
  );
}

/**
 * How long a 429 asks us to wait: the body's `retry_after` (seconds, with fractions) is the
 * most precise; then `X-RateLimit-Reset-After`; then `Retry-After` (whole seconds).
 */
export function discordRateLimitWait(
  headers: { get(name: string): string | null },
  body: string,
): { waitMs: number | undefined; global: boolean } {
  let global = headers.get('x-ratelimit-global') === 'true' || headers.get('x-ratelimit-scope') === 'global';
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown; global?: unknown };
    if (parsed.global === true) global = true;
    if (typeof parsed.retry_after === 'number' && parsed.retry_after >= 0) return { waitMs: Math.ceil(parsed.retry_after * 1000), global };
  } catch {
    // Not JSON (a proxy's page): the headers decide.
  }
  for (const name of ['x-ratelimit-reset-after', 'retry-after']) {
    const value = headers.get(name)?.trim();
    if (value && /^\d+(\.\d+)?$/.test(value)) return { waitMs: Math.ceil(Number(value) * 1000), global };
  }
  return { waitMs: undefined, global };
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? ` ${parsed.message}` : '';
  } catch {
    const summary = summariseErrorBody(text);
    return summary ? ` ${summary}` : '';
  }
}

/** The content Discord stores for a text: at most 2,000 characters. */
function contentOf(text: string): string {
  return text.length > MAX_CONTENT ? `${text.slice(0, MAX_CONTENT - 1)}…` : text;
}

/** The smallest snowflake of a moment, for `after` queries. */
function snowflakeAt(ms: number): string {
  const since = BigInt(Math.max(0, Math.floor(ms))) - DISCORD_EPOCH;
  return String(since > 0n ? since << 22n : 0n);
}

/**
 * The message nonce: from the outbox key and the text when there is a key (so a create
 * retried in a later run looks the same, while another database's message with the same
 * key in the same channel does not), random otherwise. Discord takes at most 25 characters.
 */
function messageNonce(key: string | undefined, text: string): string {
  if (!key) return `pb${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`.slice(0, 25);
  const [a, b] = stableHash(`${key}\u0000${text}`);
  return `pb${a.toString(36)}${b.toString(36)}`;
}

/** Username as the name (unique, and what findUser accepts); Discord keeps no time zone. */
function toPlatformUser(user: APIUser): PlatformUser {
  return { id: user.id, name: user.username };
}

/** JSON text parsed; the text itself when it is not JSON. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
