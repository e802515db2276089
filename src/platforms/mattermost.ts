import mm from '@mattermost/client';
import type { Channel } from '@mattermost/types/channels';
import type { ClientResponse, Options } from '@mattermost/types/client4';
import type { Post } from '@mattermost/types/posts';
import type { Reaction as MattermostReaction } from '@mattermost/types/reactions';
import type { UserProfile } from '@mattermost/types/users';
import { isValidTimeZone, type Config } from '../config.js';
import { neutraliseMentions } from '../core/messages.js';
import { PlatformError, UsageError } from '../errors.js';
import { resolveWho, whoKey } from '../core/who.js';
import {
  ApiCalls,
  type AnswerShape,
  membersReactions,
  PeopleNames,
  postKey,
  requireSetting,
  SetupChecks,
  stableHash,
} from './api-calls.js';
import { rateLimitWaitMs, summariseErrorBody, type RetryPolicy } from './http-retry.js';
import type {
  ChannelMessage,
  ChatPlatform,
  DeliveryRecorder,
  GroupDeliveryResult,
  GroupMessage,
  InboxBatch,
  InboxReply,
  InboxRequest,
  NameLookup,
  IncomingMessage,
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
 * Mattermost through the official Client4, with pairbot's own transport policy
 * (timeouts, retries, rate limits) slid under it.
 *
 * A group gets one group-message channel (Mattermost allows 3–8 users, the bot
 * included, so up to 7 members); a single member gets a direct channel with the bot;
 * a larger group, or one whose group channel the server refuses, gets one DM each.
 */

const { Client4 } = mm;
const PLATFORM = 'mattermost';
/** The server's maximum page size for user and member listings. */
const PER_PAGE = 200;
/** Mattermost group channels take 3–8 users; one of them is the bot. */
const MAX_GROUP_CHANNEL_MEMBERS = 7;
/** Reads of a multi-page roster before giving up on two agreeing (members keep joining or leaving). */
const MAX_ROSTER_READS = 4;
/**
 * How far before a recorded send attempt to look for the post it may have made: covers
 * clock skew between this host and the server.
 */
const LOOKBACK_MS = 10 * 60_000;
/** The post property that carries a message's key, so an uncertain create can be found again. */
const KEY_PROP = 'pairbot_key';

export interface MattermostOptions {
  /** Overrides of the retry policy (tests make it fast; see http-retry.ts for defaults). */
  retry?: Partial<RetryPolicy>;
  /** Roster page size; the server caps it at 200. */
  perPage?: number;
}

/**
 * The emoji name of each reaction token (what a token means: src/core/reactions.ts). Mattermost
 * names 📅 `date`; its `calendar` is the tear-off 📆, read as a look-alike below.
 */
const EMOJI_OF: Record<ReactionToken, string> = { cross: 'x', check: 'white_check_mark', calendar: 'date' };
/** Emoji names read as each token: the bot's own, and the look-alikes a member may pick instead. */
const TOKEN_OF: Record<string, ReactionToken> = {
  x: 'cross',
  negative_squared_cross_mark: 'cross',
  white_check_mark: 'check',
  heavy_check_mark: 'check',
  ballot_box_with_check: 'check',
  calendar: 'calendar',
  date: 'calendar',
  spiral_calendar_pad: 'calendar',
};

/**
 * What Mattermost answers on success to each request pairbot makes (api-calls.ts checks it):
 * anything else comes from an address that is not a Mattermost server.
 */
const ANSWERS: readonly (readonly [RegExp, AnswerShape])[] = [
  [/^GET \/api\/v4\/users\/(username\/)?[^/]+$/, ['id', 'username']],
  [/^(GET \/api\/v4\/users|POST \/api\/v4\/users\/ids|POST \/api\/v4\/roles\/names)$/, 'list'],
  [/^GET \/api\/v4\/users\/[^/]+\/teams\/[^/]+\/channels$/, 'list'],
  [/^GET \/api\/v4\/teams\/(name\/)?[^/]+\/channels\/name\/[^/]+$/, ['id', 'name']],
  [/^GET \/api\/v4\/teams\/name\/[^/]+$/, ['id', 'name']],
  [/^GET \/api\/v4\/teams\/[^/]+\/members\/[^/]+$/, ['team_id', 'user_id']],
  [/^(GET \/api\/v4\/channels\/[^/]+\/members\/[^/]+|POST \/api\/v4\/channels\/[^/]+\/members)$/, ['channel_id', 'user_id']],
  [/^POST \/api\/v4\/(channels\/direct|channels\/group|posts)$/, ['id']],
  [/^GET \/api\/v4\/posts\/[^/]+\/reactions$/, 'list or null'],
  [/^GET \/api\/v4\/posts\/[^/]+$/, ['id']],
  [/^POST \/api\/v4\/reactions$/, ['user_id', 'post_id']],
];

interface Settings {
  url: string;
  token: string;
  team: string;
  channel: string;
}

/**
 * Builds the adapter after checking every MATTERMOST_* setting, so a bad setting is a
 * UsageError (exit 2) before anything connects.
 */
export function createMattermostPlatform(
  config: Pick<Config, 'mattermost'>,
  log: PlatformLog,
  options: MattermostOptions = {},
): MattermostPlatform {
  return new MattermostPlatform(readSettings(config.mattermost), log, options);
}

function readSettings(s: Config['mattermost']): Settings {
  const url = requireSetting(s.url, 'MATTERMOST_URL', 'the Mattermost server address, e.g. https://chat.example.com').replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('MATTERMOST_URL: expected the server address, e.g. https://chat.example.com');
  }
  // Never echoed: it may hold a password.
  if (parsed.username || parsed.password) {
    throw new UsageError(
      "MATTERMOST_URL: must not contain a user name or password; give the address alone and the bot's token in MATTERMOST_TOKEN",
    );
  }
  const token = requireSetting(s.token, 'MATTERMOST_TOKEN', "the bot account's access token");
  const team = requireSetting(s.team, 'MATTERMOST_TEAM', 'the team name as in its URL, e.g. engineering').toLowerCase();
  const channel = requireSetting(s.channel, 'MATTERMOST_CHANNEL', 'the channel name as in its URL, e.g. coffee-pairs')
    .replace(/^~/, '')
    .toLowerCase();
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(team)) {
    throw new UsageError(
      `MATTERMOST_TEAM: expected the team name as in its URL (letters, digits, "-" or "_"), got ${JSON.stringify(s.team)}`,
    );
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(channel)) {
    throw new UsageError(
      `MATTERMOST_CHANNEL: expected the channel name as in its URL (letters, digits, "-" or "_"), got ${JSON.stringify(s.channel)}`,
    );
  }
  return { url, token, team, channel };
}

/** A response the server answered with an error status that retrying will not fix. */
class MattermostApiError extends Error {
  constructor(
    readonly status: number,
    /** Mattermost's error id, e.g. `api.context.permissions.app_error`. */
    readonly serverErrorId: string | undefined,
    readonly serverMessage: string,
    readonly route: string,
  ) {
    super(`${route}: HTTP ${status}${serverMessage ? ` ${serverMessage}` : ''}`);
    this.name = 'MattermostApiError';
  }
}

type RawFetch = <T>(url: string, options: Options) => Promise<ClientResponse<T>>;
type Send = (url: string, options: Options, raw: RawFetch) => Promise<unknown>;

/** Client4 whose every request goes through `send` (timeouts, retries, error mapping). */
class RoutedClient4 extends Client4 {
  constructor(send: Send) {
    super();
    // Client4 keeps its fetch-and-parse step private; routing `doFetch` through it keeps
    // Client4's headers and parsing while the status handling becomes ours.
    const raw = (this as unknown as { doFetchWithResponse: RawFetch }).doFetchWithResponse;
    this.doFetch = <T>(url: string, options: Options) => send(url, options, raw) as Promise<T>;
  }
}

export class MattermostPlatform implements ChatPlatform {
  readonly kind = 'mattermost' as const;
  private readonly client: RoutedClient4;
  private readonly perPage: number;
  private connecting?: Promise<{ botUserId: string; channel: Channel }>;
  /** Profiles seen in this run, so sending knows who is deactivated without asking again. */
  private readonly profiles = new Map<string, UserProfile>();
  /** Conversations opened in this run, by sorted member ids: a feedback ask reuses its intro's. */
  private readonly conversations = new Map<string, string>();
  private lastPendingStamp = 0;
  private botUserId = '';
  private readonly calls: ApiCalls;
  private readonly names = new PeopleNames((id) => this.profiles.get(id)?.username);

  constructor(
    private readonly settings: Settings,
    private readonly log: PlatformLog,
    options: MattermostOptions = {},
  ) {
    this.calls = new ApiCalls(
      {
        platform: PLATFORM,
        retry: options.retry,
        tokenVariable: 'MATTERMOST_TOKEN',
        server: settings.url,
        urlVariable: 'MATTERMOST_URL',
        apiName: 'a Mattermost server',
        urlFix: 'the address you open Mattermost at, e.g. https://chat.example.com',
        answers: ANSWERS,
        answerOf: (err) => (err instanceof MattermostApiError ? { status: err.status, message: err.serverMessage } : undefined),
      },
      log,
    );
    this.perPage = Math.min(PER_PAGE, Math.max(1, options.perPage ?? PER_PAGE));
    this.client = new RoutedClient4((url, opts, raw) => this.send(url, opts, raw));
    this.client.setUrl(settings.url);
    this.client.setToken(settings.token);
    this.client.setIncludeCookies(false);
    this.client.setUserAgent('pairbot');
  }

  useProgramNames(lookup: NameLookup): void {
    this.names.useProgramNames(lookup);
  }

  connect(): Promise<{ botUserId: string }> {
    return this.ready().then(({ botUserId }) => ({ botUserId }));
  }

  async listMembers(): Promise<PlatformUser[]> {
    const { botUserId, channel } = await this.ready();
    const users = await this.readChannelProfiles(channel.id);
    let botIsMember = false;
    const members: PlatformUser[] = [];
    const seen = new Set<string>();
    for (const user of users) {
      this.profiles.set(user.id, user);
      if (user.id === botUserId) botIsMember = true;
      if (user.id === botUserId || user.is_bot || user.delete_at > 0 || seen.has(user.id)) continue;
      seen.add(user.id);
      members.push(toPlatformUser(user));
    }
    if (!botIsMember) {
      this.log.warn(`[mattermost] the bot is not a member of ~${this.settings.channel}: add it to the channel so it can post there`);
    }
    this.log.debug(
      `[mattermost] ~${this.settings.channel}: ${members.length} members (${users.length - members.length} bots, deactivated or the bot itself left out)`,
    );
    return members;
  }

  /**
   * Everyone in the channel. The list is paged by position, so someone joining or leaving
   * between two pages shifts the rest and another member would vanish unseen: a read of more
   * than one page is repeated until two reads agree.
   */
  private async readChannelProfiles(channelId: string): Promise<UserProfile[]> {
    const context = `reading the members of ~${this.settings.channel}`;
    let previous: string | undefined;
    for (let read = 1; ; read++) {
      const users: UserProfile[] = [];
      let pages = 0;
      for (let page = 0; ; page++) {
        const batch = await this.calls.call(context, () => this.client.getProfilesInChannel(channelId, page, this.perPage));
        pages++;
        users.push(...(batch ?? []));
        if (!batch || batch.length < this.perPage) break;
      }
      if (pages === 1) return users;
      const ids = users
        .map((u) => u.id)
        .sort()
        .join(',');
      if (ids === previous) return users;
      if (read >= MAX_ROSTER_READS) {
        throw new PlatformError(
          PLATFORM,
          `${context} failed: the member list kept changing while it was read (${read} reads disagreed); the next run reads it again`,
          { transient: true },
        );
      }
      if (previous !== undefined)
        this.log.debug(`[mattermost] ~${this.settings.channel} changed while its members were read; reading again`);
      previous = ids;
    }
  }

  async findUser(who: string): Promise<PlatformUser | undefined> {
    await this.ready();
    const known = resolveWho(who, [...this.profiles.values()].map(toPlatformUser));
    if (known) return known;
    const key = whoKey(who);
    const lower = key.toLowerCase();
    if (/^[a-z0-9]{26}$/.test(key)) {
      const byId = await this.calls.lookUp(`looking up user ${key}`, () => this.client.getUser(key));
      if (byId) return toPlatformUser(byId);
    }
    if (/^[a-z0-9._-]{1,64}$/.test(lower)) {
      const byName = await this.calls.lookUp(`looking up @${lower}`, () => this.client.getUserByUsername(lower));
      if (byName) return toPlatformUser(byName);
    }
    return undefined;
  }

  mention(user: Pick<PlatformUser, 'id' | 'name'>): string {
    // Mattermost reserves the mass-mention words as usernames; neutralise anyway, whatever the source.
    return neutraliseMentions(`@${user.name}`);
  }

  /**
   * One group channel holds the bot and up to seven members; larger groups get a DM each,
   * and so does a group whose group message the server refuses (a member who may not be messaged).
   */
  deliveryForm(groupSize: number): DeliveryForm {
    return groupSize <= MAX_GROUP_CHANNEL_MEMBERS ? 'shared, else own' : 'own';
  }

  async postToChannel(message: ChannelMessage): Promise<PostRef> {
    const { channel } = await this.ready();
    const context = `posting in ~${this.settings.channel}`;
    const post =
      (await this.calls.call(context, () => this.findPosted(channel.id, message))) ??
      (await this.calls.call(context, () => this.client.createPost(this.newPost(channel.id, message.text, message.key))));
    return { id: post.id, conversationId: channel.id };
  }

  async sendToGroup(message: GroupMessage, alreadyDelivered: ReadonlySet<string>, record: DeliveryRecorder): Promise<GroupDeliveryResult> {
    const { botUserId } = await this.ready();
    const unreachable: GroupDeliveryResult['unreachable'] = [];
    const isDeactivated = (id: string) => (this.profiles.get(id)?.delete_at ?? 0) > 0;
    const everyone = [...new Set(message.memberIds)].filter((id) => id !== botUserId);
    const reachable: string[] = [];
    for (const id of everyone) {
      if (alreadyDelivered.has(id)) continue;
      if (isDeactivated(id)) unreachable.push({ userId: id, reason: `${this.names.describe(id)}'s account is deactivated` });
      else reachable.push(id);
    }
    if (reachable.length === 0) return { unreachable };

    // The whole group decides the form, so a group resumed after a partial delivery keeps it.
    const groupSize = everyone.filter((id) => !isDeactivated(id)).length;
    if (reachable.length >= 2 && groupSize <= MAX_GROUP_CHANNEL_MEMBERS) {
      const delivered = await this.sendToGroupChannel(reachable, message, record);
      if (delivered) return { unreachable };
    }
    for (const id of reachable) {
      const reason = await this.sendDirect(id, message, record);
      if (reason) unreachable.push({ userId: id, reason });
    }
    return { unreachable };
  }

  async readReactions(post: PostRef): Promise<ReactionRecord[]> {
    const { botUserId } = await this.ready();
    const found = (await this.calls.readPost(`post ${post.id}`, `reading the reactions on post ${post.id}`, () =>
      this.client.getReactionsForPost(post.id),
    )) as MattermostReaction[] | undefined;
    return membersReactions(
      (found ?? []).map((r) => ({ userId: r.user_id, emoji: r.emoji_name })),
      botUserId,
      (emoji) => TOKEN_OF[emoji],
    );
  }

  async removeMember(userId: string): Promise<'removed' | 'not-permitted'> {
    const { channel } = await this.ready();
    const who = this.names.describe(userId);
    try {
      await this.calls.run(() => this.client.removeFromChannel(userId, channel.id));
      return 'removed';
    } catch (err) {
      if (err instanceof MattermostApiError && err.status !== 401) {
        // Already gone from the channel: the removal is done.
        if (err.status === 404) return 'removed';
        // 403: no permission to manage members; 400: e.g. the team's default channel, which nobody can leave.
        if (err.status === 403 || err.status === 400) {
          this.log.debug(`[mattermost] removing ${who} from ~${this.settings.channel} is not permitted: ${err.message}`);
          return 'not-permitted';
        }
      }
      throw this.calls.fail(`removing ${who} from ~${this.settings.channel}`, err);
    }
  }

  /**
   * What was written to the bot: one request lists the bot's channels with their
   * `last_post_at`, and only a channel with something after its cursor (the time of
   * the last post read) is read. Direct channels count whole; the program channel and
   * group channels only for posts that mention the bot.
   */
  async readMessagesToBot(request: InboxRequest): Promise<InboxBatch> {
    const { botUserId, channel } = await this.ready();
    const bot = this.profiles.get(botUserId)!;
    const channels = await this.calls.call("listing the bot's conversations", () => this.client.getMyChannels(channel.team_id));
    const mention = new RegExp(`(^|[^\\w@.-])@${bot.username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-]|\\.\\w)`, 'i');
    const cursors = new Map<string, string>();
    const posts: { post: Post; shared: boolean }[] = [];
    for (const c of channels) {
      if (c.delete_at > 0 || !(c.type === 'D' || c.type === 'G' || c.id === channel.id)) continue;
      const cursor = request.cursors.get(c.id);
      const since = cursor !== undefined ? Number(cursor) : request.since.getTime();
      if (c.last_post_at <= since) continue;
      const list = await this.calls.call(
        `reading new posts in ${c.type === 'D' ? 'a direct message' : c.id === channel.id ? `~${this.settings.channel}` : 'a group message'}`,
        () => this.client.getPostsSince(c.id, since + 1, false),
      );
      let last = since;
      for (const post of Object.values(list.posts ?? {})) {
        last = Math.max(last, post.create_at);
        if (post.create_at <= since || post.delete_at > 0 || post.type !== '' || post.user_id === botUserId) continue;
        posts.push({ post, shared: c.type !== 'D' });
      }
      cursors.set(c.id, String(last));
    }
    const unknown = [...new Set(posts.map((p) => p.post.user_id))].filter((id) => !this.profiles.has(id));
    if (unknown.length > 0) {
      for (const u of await this.calls.call("reading the senders' profiles", () => this.client.getProfilesByIds(unknown)))
        this.profiles.set(u.id, u);
    }
    const messages: IncomingMessage[] = posts
      .sort((a, b) => a.post.create_at - b.post.create_at)
      .map(({ post, shared }) => {
        const sender = this.profiles.get(post.user_id);
        return {
          id: post.id,
          conversationId: post.channel_id,
          ...(post.root_id ? { thread: post.root_id } : {}),
          shared,
          toBot: !shared || mention.test(post.message),
          fromId: post.user_id,
          fromName: sender?.username ?? post.user_id,
          fromBot: !!sender?.is_bot || post.props?.from_bot === 'true',
          text: post.message,
          at: new Date(post.create_at).toISOString(),
        };
      });
    return { messages, cursors, bot: { id: botUserId, name: bot.username } };
  }

  /** Answers in the conversation, in the thread of the message when it has one. */
  async replyInConversation(reply: InboxReply): Promise<PostRef> {
    await this.ready();
    const context = 'answering a message to the bot';
    const post =
      (await this.calls.call(context, () => this.findPosted(reply.conversationId, reply))) ??
      (await this.calls.call(context, () =>
        this.client.createPost(this.newPost(reply.conversationId, reply.text, reply.key, reply.thread)),
      ));
    return { id: post.id, conversationId: reply.conversationId };
  }

  /** Adds a user to the program channel; adding someone already in it changes nothing. */
  async addMember(userId: string): Promise<PlaceChange> {
    const { channel } = await this.ready();
    try {
      await this.calls.run(() => this.client.addToChannel(userId, channel.id));
      return 'done';
    } catch (err) {
      if (err instanceof MattermostApiError && (err.status === 403 || err.status === 400)) {
        this.log.debug(`[mattermost] adding ${this.names.describe(userId)} to ~${this.settings.channel} is not permitted: ${err.message}`);
        return 'not-permitted';
      }
      throw this.calls.fail(`adding ${this.names.describe(userId)} to ~${this.settings.channel}`, err);
    }
  }

  place(): { name: string; joinHowTo: string; leaveHowTo: string } {
    const name = `~${this.settings.channel}`;
    return {
      name,
      joinHowTo: `join ${name} yourself (Browse channels → ${this.settings.channel}), or ask a channel admin to add you.`,
      leaveHowTo: `leave ${name} yourself (channel menu → Leave Channel) if you like.`,
    };
  }

  async close(): Promise<void> {
    this.calls.close();
  }

  async checkSetup(): Promise<SetupCheck[]> {
    const { url, team: teamName, channel: channelName } = this.settings;
    const checks = new SetupChecks();
    const permissionsPage = "System Console → User Management → Permissions (the System Scheme, or the team's override scheme)";
    const me = await this.calls.probeBot(checks, () => this.client.getMe(), {
      reach:
        'check MATTERMOST_URL (the address you open Mattermost at) and that this machine reaches it: DNS, firewall, proxy, TLS certificate',
      token:
        'create an access token for the bot (System Console → Integrations → Bot Accounts → the bot → Create New Token) and set MATTERMOST_TOKEN to it; a revoked token or a disabled bot account is refused too',
    });
    if (!me) return checks.list;
    let step = 'team found';
    try {
      const team = await this.calls.lookUp(`finding team ${teamName}`, () => this.client.getTeamByName(teamName));
      if (!team) {
        return checks.fail(
          step,
          `no team "${teamName}" on ${url} that @${me.username} can see`,
          `set MATTERMOST_TEAM to the team's name as in its URL (${url}/<team>/channels/…) and add @${me.username} to the team (team menu → Add members)`,
        );
      }
      checks.pass(step, `team "${team.name}" (${team.display_name})`);
      step = 'channel found';
      const channel = await this.calls.lookUp(`finding ~${channelName}`, () =>
        this.client.getChannelByNameAndTeamName(teamName, channelName),
      );
      if (!channel || channel.delete_at > 0) {
        const what = channel
          ? `~${channelName} in team "${teamName}" is archived`
          : `no channel "${channelName}" in team "${teamName}" that @${me.username} can see`;
        return checks.fail(
          step,
          what,
          `set MATTERMOST_CHANNEL to the channel's name as in its URL (${url}/${teamName}/channels/<channel>), unarchive it, or add @${me.username} to a private channel (/invite @${me.username})`,
        );
      }
      checks.pass(step, `~${channel.name} (${channel.type === 'P' ? 'private' : 'public'})`);
      step = 'bot in the channel';
      const membership = await this.calls.lookUp(`reading the bot's membership of ~${channelName}`, () =>
        this.client.getMyChannelMember(channel.id),
      );
      if (!membership) {
        return checks.fail(
          step,
          `@${me.username} is not a member of ~${channelName}`,
          `add the bot to the channel: in ~${channelName} type /invite @${me.username} (or channel menu → Add members)`,
        );
      }
      checks.pass(step, `@${me.username} is a member of ~${channelName}`);
      step = 'may post and react';
      const teamMember = await this.calls.call(`reading the bot's team membership`, () => this.client.getTeamMember(team.id, me.id));
      const roleNames = [...new Set([me.roles, teamMember.roles, membership.roles].flatMap((r) => (r ?? '').split(' ')).filter(Boolean))];
      const roles = await this.calls.call("reading the permissions of the bot's roles", () => this.client.getRolesByNames(roleNames));
      const granted = new Set(roles.flatMap((r) => r.permissions));
      const missing = ['create_post', 'add_reaction'].filter((p) => !granted.has(p));
      if (missing.length > 0) {
        return checks.fail(
          step,
          `the bot's roles (${roleNames.join(', ')}) lack ${missing.join(' and ')} in ~${channelName}`,
          `in ${permissionsPage}, give channel members "Create Posts" and "Post Reactions" (or make @${me.username} a system admin)`,
        );
      }
      checks.pass(step, `@${me.username} may post and react in ~${channelName}`);
      step = 'may manage channel members';
      const manage = channel.type === 'P' ? 'manage_private_channel_members' : 'manage_public_channel_members';
      if (!granted.has(manage)) {
        // join/leave and prune have a fallback: a warning, not a failure.
        return checks.warn(
          step,
          `the bot lacks ${manage} in ~${channelName}: \`join\`/\`leave\` written to the bot will only tell members how to join or leave ~${channelName} themselves, and prune will mark members removed without taking them out of the channel`,
          `make @${me.username} a channel admin of ~${channelName} (Members → the bot → Make Channel Admin), or in ${permissionsPage} give channel members "Manage ${channel.type === 'P' ? 'Private' : 'Public'} Channel Members"`,
        );
      }
      checks.pass(step, `@${me.username} may add and remove members of ~${channelName}`);
      return checks.list;
    } catch (err) {
      return checks.failWith(step, err);
    }
  }

  /** Checks the token and finds the channel, once per run. */
  private ready(): Promise<{ botUserId: string; channel: Channel }> {
    return this.calls.run(() => (this.connecting ??= this.connectOnce()));
  }

  private async connectOnce(): Promise<{ botUserId: string; channel: Channel }> {
    const { url, team, channel: channelName } = this.settings;
    const me = await this.calls.call(`connecting to ${url}`, () => this.client.getMe());
    this.profiles.set(me.id, me);
    this.botUserId = me.id;
    let channel: Channel;
    try {
      channel = await this.calls.run(() => this.client.getChannelByNameAndTeamName(team, channelName));
    } catch (err) {
      if (!(err instanceof MattermostApiError) || (err.status !== 404 && err.status !== 403))
        throw this.calls.fail(`finding ~${channelName}`, err);
      // An archived channel is not found by name unless asked for: say it is archived, not missing.
      const archived = await this.calls.lookUp(`finding ~${channelName}`, () =>
        this.client.getChannelByNameAndTeamName(team, channelName, true),
      );
      if (archived && archived.delete_at > 0) {
        throw new UsageError(
          `MATTERMOST_CHANNEL: ~${channelName} in team "${team}" is archived; unarchive it or set MATTERMOST_CHANNEL to another channel`,
        );
      }
      // One lookup answers "team or channel?"; a second one, on this error path only, tells which.
      const teamFound = await this.calls.lookUp(`finding team ${team}`, () => this.client.getTeamByName(team));
      if (!teamFound) {
        throw new UsageError(
          `MATTERMOST_TEAM: no team "${team}" on ${url} that the bot (@${me.username}) can see; use the name from the team's URL and add the bot to the team`,
        );
      }
      throw new UsageError(
        `MATTERMOST_CHANNEL: no channel "${channelName}" in team "${team}" on ${url} that the bot (@${me.username}) can see; use the name from the channel's URL and add the bot to the channel`,
      );
    }
    if (channel.delete_at > 0) throw new UsageError(`MATTERMOST_CHANNEL: ~${channelName} in team "${team}" is archived`);
    this.log.debug(`[mattermost] connected to ${url} as @${me.username}; program channel ~${channelName} (${channel.id})`);
    return { botUserId: me.id, channel };
  }

  /** Posts the group's message in one group channel; false when the server refuses the channel. */
  private async sendToGroupChannel(memberIds: string[], message: GroupMessage, record: DeliveryRecorder): Promise<boolean> {
    const { botUserId } = await this.ready();
    const key = [...memberIds].sort().join(',');
    const names = memberIds.map((id) => this.names.describe(id)).join(', ');
    let channelId = this.conversations.get(key);
    try {
      if (!channelId) {
        const created = await this.calls.run(() => this.client.createGroupChannel([botUserId, ...memberIds]));
        channelId = created.id;
        this.conversations.set(key, channelId);
      }
      const post =
        (await this.findPosted(channelId, message)) ??
        (await this.calls.run(() => this.client.createPost(this.newPost(channelId!, message.text, message.key))));
      record(memberIds, { id: post.id, conversationId: channelId });
      return true;
    } catch (err) {
      if (isRecipientRefusal(err)) {
        this.log.debug(`[mattermost] group message to ${names} refused (${(err as Error).message}); sending one DM each instead`);
        return false;
      }
      throw this.calls.fail(`sending the group message to ${names}`, err);
    }
  }

  /** DMs one member; returns why they cannot be reached, or undefined once delivered. */
  private async sendDirect(userId: string, message: GroupMessage, record: DeliveryRecorder): Promise<string | undefined> {
    const { botUserId } = await this.ready();
    const who = this.names.describe(userId);
    const own: GroupMessage = { ...message, text: message.ownTexts?.[userId] ?? message.text };
    let channelId = this.conversations.get(userId);
    try {
      if (!channelId) {
        const created = await this.calls.run(() => this.client.createDirectChannel([botUserId, userId]));
        channelId = created.id;
        this.conversations.set(userId, channelId);
      }
      const post =
        (await this.findPosted(channelId, own)) ??
        (await this.calls.run(() => this.client.createPost(this.newPost(channelId!, own.text, own.key))));
      record([userId], { id: post.id, conversationId: channelId });
      return undefined;
    } catch (err) {
      if (isRecipientRefusal(err))
        return `Mattermost refused a DM to ${who}: ${(err as MattermostApiError).serverMessage || `HTTP ${(err as MattermostApiError).status}`}`;
      throw this.calls.fail(`DM to ${who}`, err);
    }
  }

  /**
   * The post an earlier, unrecorded attempt made in this channel, if any: the bot's post
   * carrying this message's key, created since shortly before that attempt.
   */
  private async findPosted(channelId: string, message: ChannelMessage): Promise<Post | undefined> {
    if (!message.key || !message.uncertainSince) return undefined;
    const since = Date.parse(message.uncertainSince) - LOOKBACK_MS;
    const list = await this.calls.run(() => this.client.getPostsSince(channelId, since, false));
    const found = this.postWithKey(list.posts, postKey(message.key, channelId, message.text));
    if (found) this.log.debug(`[mattermost] post ${found.id} from an earlier attempt found in channel ${channelId}; not posting again`);
    return found;
  }

  private postWithKey(posts: Record<string, Post> | undefined, key: string): Post | undefined {
    return Object.values(posts ?? {}).find((p) => p.user_id === this.botUserId && p.delete_at === 0 && p.props?.[KEY_PROP] === key);
  }

  /**
   * A post with a `pending_post_id`: the server answers a repeated create with the post it
   * already made, so retrying after a lost response does not post twice. With a message key
   * the id is derived from it (same id in a later run after a kill); it keeps the
   * `userId:13 digits` shape Mattermost's own clients use.
   */
  /** `rootId`: the thread it goes into (its root post), when not a top-level post. */
  private newPost(channelId: string, text: string, key?: string, rootId?: string): Partial<Post> & { channel_id: string; message: string } {
    let stamp: number;
    if (key) stamp = stableStamp(`${key}:${channelId}`);
    else {
      stamp = Math.max(Date.now(), this.lastPendingStamp + 1);
      this.lastPendingStamp = stamp;
    }
    return {
      channel_id: channelId,
      ...(rootId ? { root_id: rootId } : {}),
      message: neutraliseMentions(text),
      pending_post_id: `${this.botUserId}:${stamp}`,
      ...(key ? { props: { [KEY_PROP]: postKey(key, channelId, text) } } : {}),
    };
  }

  async addReactions(ref: PostRef, tokens: readonly ReactionToken[]): Promise<void> {
    const { botUserId } = await this.ready();
    await this.calls.addReactions(
      `post ${ref.id}`,
      tokens.map((t) => EMOJI_OF[t]),
      (emoji) => `:${emoji}:`,
      (emoji) => this.client.addReaction(botUserId, ref.id, emoji),
    );
  }

  /** Every Client4 request: a timeout, retries for 429/5xx/network faults, errors typed by status. */
  private async send(url: string, options: Options, raw: RawFetch): Promise<unknown> {
    const method = (options.method ?? 'get').toUpperCase();
    const route = `${method} ${url.slice(this.settings.url.length).replace(/\?.*$/, '')}`;
    const created = route === 'POST /api/v4/posts' ? keyedPost(options.body) : undefined;
    const startedAt = Date.now();
    let uncertain = false;
    return this.calls.retrier.run(route, async (signal) => {
      // A create retried after an unknown outcome (timeout, lost answer, 5xx) may already have
      // been made, and the server forgets pending_post_id within a minute: look first.
      if (created && uncertain) {
        const found = await this.lookForPost(created, startedAt, raw, signal);
        if (found) return { kind: 'done', value: found };
      }
      uncertain = true;
      const { response, data } = await raw<unknown>(url, { ...options, signal, ignoreStatus: true });
      const body = parseJsonText(data, response);
      if (response.ok) {
        this.calls.checkAnswer(route, body);
        return { kind: 'done', value: body };
      }
      const status = response.status;
      const { id, message } = errorFields(body);
      if (status === 429) {
        return {
          kind: 'rate-limited',
          waitMs: rateLimitWaitMs(response.headers, this.calls.retrier.policy.now()),
          detail: 'rate limited by the server (HTTP 429)',
        };
      }
      if (status >= 500 || status === 408) return { kind: 'transient', detail: `HTTP ${status}${message ? ` ${message}` : ''}` };
      throw new MattermostApiError(status, id, message, route);
    });
  }

  /** One unretried look for the bot's post with this key (any failure: undefined, the create decides). */
  private async lookForPost(
    created: { channelId: string; key: string },
    since: number,
    raw: RawFetch,
    signal: AbortSignal,
  ): Promise<Post | undefined> {
    const url = `${this.settings.url}/api/v4/channels/${encodeURIComponent(created.channelId)}/posts?since=${since - LOOKBACK_MS}&skipFetchThreads=true`;
    const { response, data } = await raw<unknown>(url, { method: 'get', signal, ignoreStatus: true });
    if (!response.ok) return undefined;
    const list = parseJsonText(data, response) as { posts?: Record<string, Post> } | undefined;
    const found = this.postWithKey(list?.posts, created.key);
    if (found) this.log.debug(`[mattermost] post ${found.id} was made by an attempt whose answer was lost; not posting again`);
    return found;
  }
}

/** The server will not let the bot message this person (restricted DMs, deactivated, unknown user). */
function isRecipientRefusal(err: unknown): boolean {
  return err instanceof MattermostApiError && (err.status === 400 || err.status === 403 || err.status === 404);
}

/** Client4 parses only an exact `application/json`; a proxy adding `; charset=utf-8` should still work. */
function parseJsonText(data: unknown, response: Response): unknown {
  if (typeof data !== 'string' || !/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function errorFields(body: unknown): { id: string | undefined; message: string } {
  if (body && typeof body === 'object') {
    const b = body as { id?: unknown; message?: unknown };
    return { id: typeof b.id === 'string' ? b.id : undefined, message: typeof b.message === 'string' ? b.message : '' };
  }
  return { id: undefined, message: typeof body === 'string' ? summariseErrorBody(body) : '' };
}

/** Username as the name; the time zone the user set in Mattermost, when it is a real one. */
function toPlatformUser(user: UserProfile): PlatformUser {
  const tz = user.timezone;
  const automatic = tz && (tz.useAutomaticTimezone === true || tz.useAutomaticTimezone === 'true');
  const zone = tz ? (automatic ? tz.automaticTimezone : tz.manualTimezone) : undefined;
  return { id: user.id, name: user.username, ...(zone && isValidTimeZone(zone) ? { timezone: zone } : {}) };
}

/** The channel and key of a post being created, when it carries a key. */
function keyedPost(body: unknown): { channelId: string; key: string } | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const post = JSON.parse(body) as Partial<Post>;
    const key = post.props?.[KEY_PROP];
    return typeof post.channel_id === 'string' && typeof key === 'string' ? { channelId: post.channel_id, key } : undefined;
  } catch {
    return undefined;
  }
}

/** A 13-digit number from a string, stable across runs. */
function stableStamp(value: string): number {
  const [a, b] = stableHash(value);
  return 1_000_000_000_000 + ((a * 2 ** 21 + (b & 0x1fffff)) % 9_000_000_000_000);
}
