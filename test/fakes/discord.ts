import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIChannel, APIGuild, APIGuildMember, APIMessage, APIRole, APIUser, APIReaction } from 'discord-api-types/v10';
import {
  closeServer,
  countRequests,
  delay,
  FakeClock,
  FaultQueue,
  proxyErrorPage,
  listenOnLoopback,
  portOf,
  readBody,
  routePattern,
  type FaultMatch,
} from './http.js';

/**
 * A stateful fake of Discord's REST API v10 on 127.0.0.1, enough for pairbot and shaped
 * like the real one (checked against Discord's OpenAPI description): the same routes under
 * /api/v10, `Authorization: Bot <token>`, snowflake ids, JSON error bodies `{code, message}`,
 * member pages of at most 1,000 ordered by user id with `after`, reaction pages of at most
 * 100, `X-RateLimit-*` headers, and a 429 with `Retry-After`, `X-RateLimit-Reset-After`,
 * `X-RateLimit-Scope` (and `X-RateLimit-Global`) and a body `{message, retry_after, global}`.
 * Users may have DMs closed (50007); the bot may lack Manage Roles (50013) or the Server
 * Members intent (50001); `enforce_nonce` de-duplicates creates. Faults are injected per
 * route; every request is counted and logged.
 */

export type Fault =
  /** An error status with Discord's JSON error body. */
  | { kind: 'status'; status: number }
  /** A proxy's HTML error page (text/html) instead of the server's answer. */
  | { kind: 'html'; status: number }
  /**
   * 200 with this body instead of the server's answer, as something that is not the server does
   * at a wrong URL (a web page or catch-all answering "OK" or any JSON to every request).
   */
  | { kind: 'answer'; body: string; contentType?: string }
  /** A 429 as Discord sends it; `global` sets the global flag and scope. */
  | { kind: 'rate-limit'; retryAfter?: number; global?: boolean }
  /** Drops the connection without an answer; `afterHandling` does the work first (the answer is lost). */
  | { kind: 'reset'; afterHandling?: boolean }
  /**
   * Answers late: by default waits, then handles the request; `afterHandling` handles it
   * first and answers after the wait (a client that timed out meanwhile never learns).
   */
  | { kind: 'latency'; ms: number; afterHandling?: boolean };

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  body?: unknown;
  fault?: Fault['kind'];
}

export interface NewUser {
  username?: string;
  globalName?: string;
  bot?: boolean;
  /** Holds the program role (default true). */
  withRole?: boolean;
  /** In the server at all (default true). */
  inGuild?: boolean;
  /** Refuses DMs from the server's members (Discord answers 50007). */
  dmsClosed?: boolean;
}

interface Reply {
  status: number;
  body?: unknown;
}

interface Context {
  url: URL;
  params: string[];
  body: unknown;
}

type Handler = (ctx: Context) => Reply;

const MAX_MEMBERS_PAGE = 1000;
const MAX_REACTIONS_PAGE = 100;
const API = '/api/v10';
/** How long Discord honours a message nonce (`enforce_nonce`): "the past few minutes". */
const NONCE_TTL_MS = 5 * 60_000;

/** Discord's error codes used here. */
const CODES = {
  unknownChannel: 10003,
  unknownGuild: 10004,
  unknownMember: 10007,
  unknownMessage: 10008,
  unknownRole: 10011,
  unknownUser: 10013,
  unknownEmoji: 10014,
  missingAccess: 50001,
  cannotDM: 50007,
  missingPermissions: 50013,
  invalidForm: 50035,
  threadArchived: 50083,
} as const;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
  }
}

/** Discord's permission bits used here. */
export const PERMISSIONS = {
  administrator: 1n << 3n,
  addReactions: 1n << 6n,
  viewChannel: 1n << 10n,
  sendMessages: 1n << 11n,
  readMessageHistory: 1n << 16n,
  manageRoles: 1n << 28n,
  createPrivateThreads: 1n << 36n,
  sendMessagesInThreads: 1n << 38n,
} as const;

const unknown = (code: number, what: string) => new HttpError(404, code, `Unknown ${what}`);

let sequence = 0n;
/** Increasing snowflakes, like Discord's (timestamp in the high bits). */
export function newSnowflake(at = Date.now()): string {
  sequence += 1n;
  return String(((BigInt(at) - 1420070400000n) << 22n) + sequence);
}

export class FakeDiscord {
  readonly token: string;
  readonly bot: APIUser;
  readonly guild: APIGuild;
  readonly role: APIRole;
  readonly channel: APIChannel & { guild_id: string };
  readonly users = new Map<string, APIUser>();
  /** Guild members by user id. */
  readonly members = new Map<string, APIGuildMember>();
  readonly roles = new Map<string, APIRole>();
  readonly channels = new Map<string, APIChannel>();
  /** DM channel id → recipient user id. */
  readonly dmRecipients = new Map<string, string>();
  readonly messages = new Map<string, APIMessage & { allowed_mentions?: unknown }>();
  /** Message id → emoji → user ids, in order. */
  readonly reactions = new Map<string, Map<string, string[]>>();
  readonly requests: LoggedRequest[] = [];
  /** The server's clock: `clock.advance(ms)` moves it on (Discord forgets nonces after a few minutes). */
  readonly clock = new FakeClock();
  /** Whether the bot has the Server Members intent (without it, listing members is refused). */
  membersIntent = true;
  /** The bot's own role: above the program role, with the permissions pairbot needs. */
  readonly botRole: APIRole;

  /** Private threads the bot created: thread id → members' user ids. */
  readonly threadMembers = new Map<string, Set<string>>();
  private readonly closedDMs = new Set<string>();
  /** Bot messages still allowed before the bot's token is revoked (revokeTokenAfter). */
  private messagesBeforeRevoke?: number;
  private tokenRevoked = false;
  private readonly nonces = new Map<string, { messageId: string; at: number }>();
  private readonly faults = new FaultQueue<Fault>();
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  private server?: Server;
  private userCounter = 0;

  private constructor(options: { token?: string; botUsername?: string }) {
    this.token = options.token ?? `MTA${Buffer.from(newSnowflake()).toString('base64url')}.Gfake.${newSnowflake()}`;
    const guildId = newSnowflake();
    this.guild = {
      id: guildId,
      name: 'Community',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: newSnowflake(),
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 1,
      default_message_notifications: 1,
      explicit_content_filter: 0,
      roles: [],
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      hub_type: null,
      safety_alerts_channel_id: null,
      incidents_data: null,
      home_header: null,
      region: 'deprecated',
      widget_enabled: false,
      widget_channel_id: null,
      max_presences: null,
      max_members: 500000,
      max_stage_video_channel_users: 50,
      max_video_channel_users: 25,
      premium_subscription_count: 0,
      nsfw: false,
    } as unknown as APIGuild;
    this.addRole('@everyone', guildId);
    this.role = this.addRole('coffee');
    this.channel = {
      id: newSnowflake(),
      type: 0,
      guild_id: guildId,
      name: 'coffee-pairs',
      position: 0,
      permission_overwrites: [],
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
    } as unknown as APIChannel & { guild_id: string };
    this.channels.set(this.channel.id, this.channel);
    this.botRole = this.addRole('pairbot');
    (this.botRole as { permissions: string }).permissions = String(
      PERMISSIONS.viewChannel |
        PERMISSIONS.sendMessages |
        PERMISSIONS.addReactions |
        PERMISSIONS.readMessageHistory |
        PERMISSIONS.manageRoles |
        PERMISSIONS.createPrivateThreads |
        PERMISSIONS.sendMessagesInThreads,
    );
    this.bot = this.createUser({ username: options.botUsername ?? 'pairbot', bot: true, withRole: false });
    this.members.get(this.bot.id)!.roles.push(this.botRole.id);
    this.defineRoutes();
  }

  /** Whether the bot may take the program role away (Manage Roles on its role, which is above the program role). */
  get canManageRoles(): boolean {
    return (BigInt(this.botRole.permissions) & PERMISSIONS.manageRoles) !== 0n;
  }

  set canManageRoles(value: boolean) {
    this.setRoleBit(this.botRole, PERMISSIONS.manageRoles, value);
  }

  /** Whether the bot may post in the program channel (an overwrite denies Send Messages when not). */
  get canPost(): boolean {
    return (this.botPermissionsIn(this.channel) & PERMISSIONS.sendMessages) !== 0n;
  }

  set canPost(value: boolean) {
    this.setChannelDeny(PERMISSIONS.sendMessages, !value);
  }

  /** Whether the bot may add reactions in the program channel. */
  set canReact(value: boolean) {
    this.setChannelDeny(PERMISSIONS.addReactions, !value);
  }

  /** The bot's permissions in a server channel, computed as Discord does (roles, then overwrites). */
  botPermissionsIn(channel: APIChannel): bigint {
    const member = this.members.get(this.bot.id);
    if (!member) return 0n;
    const roleIds = [this.guild.id, ...member.roles];
    let perms = roleIds.reduce((acc, id) => acc | BigInt(this.roles.get(id)?.permissions ?? '0'), 0n);
    if (perms & PERMISSIONS.administrator) return ~0n;
    const overwrites = (channel as { permission_overwrites?: { id: string; allow: string; deny: string }[] }).permission_overwrites ?? [];
    for (const group of [[this.guild.id], member.roles, [this.bot.id]]) {
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

  private setRoleBit(role: APIRole, bit: bigint, on: boolean): void {
    const now = BigInt(role.permissions);
    (role as { permissions: string }).permissions = String(on ? now | bit : now & ~bit);
  }

  private setChannelDeny(bit: bigint, deny: boolean): void {
    const overwrites = (this.channel as unknown as { permission_overwrites: { id: string; type: number; allow: string; deny: string }[] })
      .permission_overwrites;
    let o = overwrites.find((x) => x.id === this.botRole.id);
    if (!o) overwrites.push((o = { id: this.botRole.id, type: 0, allow: '0', deny: '0' }));
    o.deny = String(deny ? BigInt(o.deny) | bit : BigInt(o.deny) & ~bit);
  }

  /** Starts a fake on 127.0.0.1 with a server, its program role and channel, and the bot in the server. */
  static async start(options: { token?: string; botUsername?: string } = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await fake.listen();
    return fake;
  }

  /** What DISCORD_API_URL should be. */
  get apiUrl(): string {
    return `http://127.0.0.1:${portOf(this.server, 'fake Discord')}${API}`;
  }

  /** The settings that point pairbot at this fake's server, role and channel. */
  settings(): Record<string, string> {
    return {
      PAIRBOT_PLATFORM: 'discord',
      DISCORD_API_URL: this.apiUrl,
      DISCORD_TOKEN: this.token,
      DISCORD_GUILD_ID: this.guild.id,
      DISCORD_ROLE_ID: this.role.id,
      DISCORD_CHANNEL_ID: this.channel.id,
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeServer(server);
  }

  // ---- test helpers -------------------------------------------------------

  /** Adds a user, by default a human in the server holding the program role. */
  addUser(spec: NewUser = {}): APIUser {
    return this.createUser(spec);
  }

  /** Adds `count` users named `${prefix}001`…; returns them in order. */
  addUsers(count: number, prefix = 'member', spec: Omit<NewUser, 'username'> = {}): APIUser[] {
    const width = Math.max(3, String(count).length);
    return Array.from({ length: count }, (_, i) =>
      this.createUser({ ...spec, username: `${prefix}${String(i + 1).padStart(width, '0')}` }),
    );
  }

  addRole(name: string, id = newSnowflake()): APIRole {
    const role = {
      id,
      name,
      permissions: '0',
      position: this.roles.size,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      managed: false,
      mentionable: false,
      icon: null,
      unicode_emoji: null,
      flags: 0,
    } as unknown as APIRole;
    this.roles.set(id, role);
    return role;
  }

  /** Takes a permission from the bot's role (as a server admin would), e.g. PERMISSIONS.createPrivateThreads. */
  revokeBotPermission(bit: bigint): void {
    this.setRoleBit(this.botRole, bit, false);
  }

  /** Archives a thread, as Discord does after `auto_archive_duration` minutes without activity. */
  archiveThread(threadId: string): void {
    const metadata = this.threadMetadata(threadId);
    metadata.archived = true;
    metadata.archive_timestamp = new Date(this.clock.now()).toISOString();
  }

  isArchived(threadId: string): boolean {
    return this.threadMetadata(threadId).archived;
  }

  private threadMetadata(threadId: string): { archived: boolean; archive_timestamp: string; locked: boolean } {
    const thread = this.channels.get(threadId) as { thread_metadata?: { archived: boolean; archive_timestamp: string; locked: boolean } };
    if (!thread?.thread_metadata) throw new Error(`fake Discord: no thread ${threadId}`);
    return thread.thread_metadata;
  }

  /** Private threads under a channel, oldest first. */
  threadsIn(channelId: string): APIChannel[] {
    return [...this.channels.values()].filter((c) => c.type === 12 && (c as { parent_id?: string }).parent_id === channelId);
  }

  hasRole(userId: string, roleId = this.role.id): boolean {
    return this.members.get(userId)?.roles.includes(roleId) ?? false;
  }

  /** The bot's token is reset in the Developer Portal once it has sent `messages` more messages: every later request is a 401. */
  revokeTokenAfter(messages: number): void {
    this.messagesBeforeRevoke = messages;
  }

  /** The bot's token works again (the same one, for the test's convenience). */
  restoreToken(): void {
    this.messagesBeforeRevoke = undefined;
    this.tokenRevoked = false;
  }

  /** A moderator takes a role from the user (by default the program role): they are no longer in the program. */
  takeRole(userId: string, roleId = this.role.id): void {
    const member = this.members.get(userId);
    if (member) member.roles = member.roles.filter((r) => r !== roleId);
  }

  closeDMs(userId: string): void {
    this.closedDMs.add(userId);
  }

  /** The user reacts to a message, as they would in the app. */
  react(userId: string, messageId: string, emoji: string): void {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`fake Discord: no message ${messageId}`);
    this.saveReaction(message, emoji, userId);
  }

  /**
   * A user writes in a channel (a DM with the bot, the program channel, a thread), as in the
   * app: the message has their identity, and `<@id>` in it mentions that user.
   */
  say(userId: string, channelId: string, content: string): APIMessage {
    const author = this.users.get(userId);
    if (!author) throw new Error(`fake Discord: no user ${userId}`);
    if (!this.channels.has(channelId)) throw new Error(`fake Discord: no channel ${channelId}`);
    const mentioned = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => this.users.get(m[1]!)).filter((u) => u !== undefined);
    const message = this.newMessage(channelId, author, content, { mentions: mentioned });
    // A member's message in an archived (unlocked) thread brings it back, as in the app.
    if (this.threadMembers.has(channelId) && this.isArchived(channelId)) this.threadMetadata(channelId).archived = false;
    this.keep(message);
    return message;
  }

  /** Stores a new message; its channel's `last_message_id` moves on, as Discord's does. */
  private keep(message: APIMessage & { allowed_mentions?: unknown }): void {
    this.messages.set(message.id, message);
    const channel = this.channels.get(message.channel_id) as { last_message_id?: string | null } | undefined;
    if (channel) channel.last_message_id = message.id;
  }

  /** A message as Discord stores it, written now by `author`. */
  private newMessage(channelId: string, author: APIUser, content: string, extra: Record<string, unknown> = {}): APIMessage {
    const at = this.clock.now();
    return {
      type: 0,
      content,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      timestamp: new Date(at).toISOString(),
      edited_timestamp: null,
      flags: 0,
      components: [],
      id: newSnowflake(at),
      channel_id: channelId,
      author,
      pinned: false,
      mention_everyone: false,
      tts: false,
      ...extra,
    } as unknown as APIMessage;
  }

  /** Messages in a channel, oldest first. */
  messagesIn(channelId: string): APIMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  /** The DM channel between the bot and this user, if opened. */
  dmWith(userId: string): string | undefined {
    for (const [channelId, recipient] of this.dmRecipients) if (recipient === userId) return channelId;
    return undefined;
  }

  /** Messages the bot sent to this user by DM, oldest first. */
  dmsTo(userId: string): APIMessage[] {
    const channelId = this.dmWith(userId);
    return channelId ? this.messagesIn(channelId) : [];
  }

  /** Every message the bot sent outside the program channel. */
  botDMs(): (APIMessage & { allowed_mentions?: unknown })[] {
    return [...this.messages.values()].filter((m) => this.dmRecipients.has(m.channel_id));
  }

  /** Emoji → user ids on a message. */
  reactionsOn(messageId: string): Map<string, string[]> {
    return this.reactions.get(messageId) ?? new Map();
  }

  inject(fault: Fault, match: FaultMatch = {}): void {
    this.faults.push(fault, match);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  requestCount(match: { method?: string; path?: RegExp } = {}): number {
    return countRequests(this.requests, match);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- state --------------------------------------------------------------

  private createUser(spec: NewUser): APIUser {
    const username = (spec.username ?? `user${++this.userCounter}`).toLowerCase();
    const user = {
      id: newSnowflake(),
      username,
      avatar: null,
      discriminator: '0',
      public_flags: 0,
      flags: 0,
      global_name: spec.globalName ?? null,
      primary_guild: null,
      ...(spec.bot ? { bot: true } : {}),
    } as unknown as APIUser;
    this.users.set(user.id, user);
    if (spec.inGuild ?? true) {
      this.members.set(user.id, {
        avatar: null,
        banner: null,
        communication_disabled_until: null,
        flags: 0,
        joined_at: new Date().toISOString(),
        nick: null,
        pending: false,
        premium_since: null,
        roles: (spec.withRole ?? true) ? [this.role.id] : [],
        user,
        mute: false,
        deaf: false,
      } as unknown as APIGuildMember);
    }
    if (spec.dmsClosed) this.closedDMs.add(user.id);
    return user;
  }

  private saveReaction(message: APIMessage, emoji: string, userId: string): void {
    let byEmoji = this.reactions.get(message.id);
    if (!byEmoji) this.reactions.set(message.id, (byEmoji = new Map()));
    const users = byEmoji.get(emoji) ?? [];
    if (!users.includes(userId)) users.push(userId);
    byEmoji.set(emoji, users);
  }

  /** The message as Discord shows it, with its reaction counts. */
  private view(message: APIMessage): APIMessage {
    const byEmoji = this.reactions.get(message.id);
    const { allowed_mentions: _allowed, ...rest } = message as APIMessage & { allowed_mentions?: unknown };
    if (!byEmoji || byEmoji.size === 0) return rest;
    const reactions = [...byEmoji].map(
      ([name, users]) =>
        ({
          emoji: { id: null, name },
          count: users.length,
          count_details: { burst: 0, normal: users.length },
          burst_colors: [],
          me_burst: false,
          burst_me: false,
          me: users.includes(this.bot.id),
        }) as APIReaction,
    );
    return { ...rest, reactions };
  }

  // ---- HTTP ---------------------------------------------------------------

  private async listen(): Promise<void> {
    this.server = await listenOnLoopback((req, res) => this.handle(req, res));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    // Clients write `@me` as is or as `%40me`.
    const path = (url.pathname.startsWith(API) ? url.pathname.slice(API.length) : url.pathname).replace(/%40/g, '@');
    const entry: LoggedRequest = { method, path, query: url.search, status: 0 };
    this.requests.push(entry);
    const raw = await readBody(req);
    const bucket = {
      'X-RateLimit-Limit': '50',
      'X-RateLimit-Remaining': '49',
      'X-RateLimit-Reset': String(Date.now() / 1000 + 1),
      'X-RateLimit-Reset-After': '1.000',
      'X-RateLimit-Bucket': 'fakebucket',
    };

    const fault = this.faults.take(method, path);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === 'latency' && !fault.afterHandling) await delay(fault.ms);
    if (fault?.kind === 'reset' && !fault.afterHandling) {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'html') {
      entry.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'text/html' });
      res.end(proxyErrorPage(fault.status));
      return;
    }
    if (fault?.kind === 'answer') {
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': fault.contentType ?? 'text/plain; charset=utf-8' });
      res.end(fault.body);
      return;
    }
    if (fault?.kind === 'rate-limit') {
      entry.status = 429;
      const wait = fault.retryAfter ?? 0.05;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Retry-After': String(Math.ceil(wait)),
        'X-RateLimit-Limit': '5',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Date.now() / 1000 + wait),
        'X-RateLimit-Reset-After': wait.toFixed(3),
        'X-RateLimit-Bucket': 'fakebucket',
        'X-RateLimit-Scope': fault.global ? 'global' : 'user',
      };
      if (fault.global) headers['X-RateLimit-Global'] = 'true';
      res.writeHead(429, headers);
      res.end(JSON.stringify({ message: 'You are being rate limited.', retry_after: wait, global: fault.global ?? false, code: 0 }));
      return;
    }

    let reply: Reply;
    if (fault?.kind === 'status') reply = errorReply(new HttpError(fault.status, 0, `${fault.status}: Injected fault`));
    else reply = this.route(req, url, method, path, raw, entry);
    entry.status = reply.status;
    if (fault?.kind === 'latency' && fault.afterHandling) await delay(fault.ms);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (reply.status === 204) {
      res.writeHead(204, bucket);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'application/json', ...bucket });
    res.end(JSON.stringify(reply.body));
  }

  private route(req: IncomingMessage, url: URL, method: string, path: string, raw: string, entry: LoggedRequest): Reply {
    try {
      const auth = /^Bot\s+(\S+)$/.exec(req.headers.authorization ?? '');
      if (!auth || auth[1] !== this.token || this.tokenRevoked) throw new HttpError(401, 0, '401: Unauthorized');
      let body: unknown;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body');
        }
        entry.body = body;
      }
      for (const r of this.routes) {
        if (r.method !== method) continue;
        const m = r.pattern.exec(path);
        if (m) return r.handler({ url, params: m.slice(1).map(decodeURIComponent), body });
      }
      throw new HttpError(404, 0, '404: Not Found');
    } catch (err) {
      if (err instanceof HttpError) return errorReply(err);
      return errorReply(new HttpError(500, 0, (err as Error).message));
    }
  }

  private on(method: string, pattern: string, handler: Handler): void {
    const regex = routePattern(pattern);
    this.routes.push({ method, pattern: regex, handler });
  }

  private guildOf(id: string): APIGuild {
    if (id !== this.guild.id) throw unknown(CODES.unknownGuild, 'Guild');
    return { ...this.guild, roles: [...this.roles.values()] };
  }

  /**
   * Private threads: created empty in a text channel, members added one by one (not while
   * archived), listed while active; archived ones in the bot's own archived list, newest
   * first. A message in an archived, unlocked thread unarchives it, as does PATCH archived=false.
   */
  private defineThreadRoutes(): void {
    this.on('POST', '/channels/:channel_id/threads', ({ params, body }) => {
      const parent = this.channels.get(params[0]!);
      if (!parent) throw unknown(CODES.unknownChannel, 'Channel');
      const input = (body ?? {}) as { name?: unknown; type?: unknown; invitable?: unknown; auto_archive_duration?: unknown };
      if (typeof input.name !== 'string' || input.name.length < 1 || input.name.length > 100) {
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] },
        });
      }
      if (input.type !== 12)
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          type: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: 'pairbot fake: only private threads (12)' }] },
        });
      if ((this.botPermissionsIn(parent) & PERMISSIONS.createPrivateThreads) === 0n)
        throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      const thread = {
        id: newSnowflake(),
        type: 12,
        guild_id: this.guild.id,
        parent_id: parent.id,
        owner_id: this.bot.id,
        name: input.name,
        last_message_id: null,
        rate_limit_per_user: 0,
        flags: 0,
        member_count: 1,
        message_count: 0,
        total_message_sent: 0,
        thread_metadata: {
          archived: false,
          auto_archive_duration: input.auto_archive_duration ?? 4320,
          archive_timestamp: new Date().toISOString(),
          locked: false,
          invitable: input.invitable ?? true,
        },
      } as unknown as APIChannel;
      this.channels.set(thread.id, thread);
      this.threadMembers.set(thread.id, new Set([this.bot.id]));
      return { status: 201, body: thread };
    });

    this.on('DELETE', '/channels/:channel_id', ({ params }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel) throw unknown(CODES.unknownChannel, 'Channel');
      if (!this.threadMembers.has(channel.id)) throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      this.channels.delete(channel.id);
      this.threadMembers.delete(channel.id);
      return ok(channel);
    });

    this.on('PUT', '/channels/:channel_id/thread-members/:user_id', ({ params }) => {
      const members = this.threadMembers.get(params[0]!);
      if (!members) throw unknown(CODES.unknownChannel, 'Channel');
      if (this.isArchived(params[0]!)) throw new HttpError(400, CODES.threadArchived, 'Thread is archived');
      if (!this.members.has(params[1]!)) throw unknown(CODES.unknownMember, 'Member');
      members.add(params[1]!);
      return { status: 204 };
    });

    const botMemberships = (threads: APIChannel[]) =>
      threads.map((t) => ({ id: t.id, user_id: this.bot.id, join_timestamp: new Date().toISOString(), flags: 0 }));
    this.on('GET', '/guilds/:guild_id/threads/active', ({ params }) => {
      this.guildOf(params[0]!);
      const threads = [...this.threadMembers.keys()].filter((id) => !this.isArchived(id)).map((id) => this.channels.get(id)!);
      // One answer with every active thread the bot can see (has_more is always false here).
      return ok({ threads, members: botMemberships(threads), has_more: false });
    });

    // The archived private threads of a channel the bot is a member of, by id, newest first.
    this.on('GET', '/channels/:channel_id/users/@me/threads/archived/private', ({ params, url }) => {
      if (!this.channels.has(params[0]!)) throw unknown(CODES.unknownChannel, 'Channel');
      const limit = Number(url.searchParams.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 2 || limit > 100)
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          limit: { _errors: [{ code: 'NUMBER_TYPE_MIN', message: 'Must be between 2 and 100.' }] },
        });
      const before = url.searchParams.get('before');
      const all = this.threadsIn(params[0]!)
        .filter((t) => this.isArchived(t.id) && this.threadMembers.get(t.id)?.has(this.bot.id))
        .filter((t) => before === null || BigInt(t.id) < BigInt(before))
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
      const threads = all.slice(0, limit);
      return ok({ threads, members: botMemberships(threads), has_more: all.length > limit });
    });

    this.on('PATCH', '/channels/:channel_id', ({ params, body }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel) throw unknown(CODES.unknownChannel, 'Channel');
      const input = (body ?? {}) as { archived?: unknown };
      if (!this.threadMembers.has(channel.id) || Object.keys(input).some((k) => k !== 'archived') || typeof input.archived !== 'boolean')
        throw new HttpError(400, CODES.invalidForm, 'pairbot fake: only archived/unarchived threads');
      if (input.archived) this.archiveThread(channel.id);
      else this.threadMetadata(channel.id).archived = false;
      return ok(channel);
    });
  }

  private messageIn(channelId: string, messageId: string): APIMessage {
    if (!this.channels.has(channelId)) throw unknown(CODES.unknownChannel, 'Channel');
    const message = this.messages.get(messageId);
    if (!message || message.channel_id !== channelId) throw unknown(CODES.unknownMessage, 'Message');
    return message;
  }

  private defineRoutes(): void {
    this.defineThreadRoutes();
    this.on('GET', '/users/@me', () => ok(this.bot));

    this.on('POST', '/users/@me/channels', ({ body }) => {
      const recipient = (body as { recipient_id?: unknown } | undefined)?.recipient_id;
      if (typeof recipient !== 'string')
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          recipient_id: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] },
        });
      const user = this.users.get(recipient);
      if (!user) throw unknown(CODES.unknownUser, 'User');
      const existing = this.dmWith(recipient);
      const id = existing ?? newSnowflake();
      const channel = { id, type: 1, last_message_id: null, flags: 0, recipients: [user] } as unknown as APIChannel;
      if (!existing) {
        this.channels.set(id, channel);
        this.dmRecipients.set(id, recipient);
      }
      return ok(channel);
    });

    this.on('GET', '/users/:user_id', ({ params }) => {
      const user = this.users.get(params[0]!);
      if (!user) throw unknown(CODES.unknownUser, 'User');
      return ok(user);
    });

    this.on('GET', '/guilds/:guild_id', ({ params }) => ok(this.guildOf(params[0]!)));

    this.on('GET', '/guilds/:guild_id/roles', ({ params }) => {
      this.guildOf(params[0]!);
      return ok([...this.roles.values()]);
    });

    this.on('GET', '/guilds/:guild_id/roles/:role_id', ({ params }) => {
      this.guildOf(params[0]!);
      const role = this.roles.get(params[1]!);
      if (!role) throw unknown(CODES.unknownRole, 'Role');
      return ok(role);
    });

    this.on('GET', '/guilds/:guild_id/members', ({ params, url }) => {
      this.guildOf(params[0]!);
      if (!this.membersIntent) throw new HttpError(403, CODES.missingAccess, 'Missing Access');
      const limit = Number(url.searchParams.get('limit') ?? '1');
      const after = BigInt(url.searchParams.get('after') ?? '0');
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MEMBERS_PAGE) {
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          limit: { _errors: [{ code: 'NUMBER_TYPE_MAX', message: 'int value should be less than or equal to 1000.' }] },
        });
      }
      const page = [...this.members.values()]
        .filter((m) => BigInt(m.user.id) > after)
        .sort((a, b) => (BigInt(a.user.id) < BigInt(b.user.id) ? -1 : 1))
        .slice(0, limit);
      return ok(page);
    });

    this.on('GET', '/guilds/:guild_id/members/search', ({ params, url }) => {
      this.guildOf(params[0]!);
      const query = (url.searchParams.get('query') ?? '').toLowerCase();
      const limit = Math.min(MAX_MEMBERS_PAGE, Number(url.searchParams.get('limit') ?? '1'));
      const found = [...this.members.values()].filter(
        (m) => m.user.username.startsWith(query) || (m.nick ?? '').toLowerCase().startsWith(query),
      );
      return ok(found.slice(0, limit));
    });

    this.on('GET', '/guilds/:guild_id/members/:user_id', ({ params }) => {
      this.guildOf(params[0]!);
      const member = this.members.get(params[1]!);
      if (!member) throw unknown(CODES.unknownMember, 'Member');
      return ok(member);
    });

    this.on('PUT', '/guilds/:guild_id/members/:user_id/roles/:role_id', ({ params }) => {
      this.guildOf(params[0]!);
      const member = this.members.get(params[1]!);
      if (!member) throw unknown(CODES.unknownMember, 'Member');
      if (!this.roles.has(params[2]!)) throw unknown(CODES.unknownRole, 'Role');
      const top = Math.max(...this.members.get(this.bot.id)!.roles.map((r) => this.roles.get(r)?.position ?? 0));
      if (!this.canManageRoles || top <= this.roles.get(params[2]!)!.position)
        throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      if (!member.roles.includes(params[2]!)) member.roles = [...member.roles, params[2]!];
      return { status: 204 };
    });

    this.on('DELETE', '/guilds/:guild_id/members/:user_id/roles/:role_id', ({ params }) => {
      this.guildOf(params[0]!);
      const member = this.members.get(params[1]!);
      if (!member) throw unknown(CODES.unknownMember, 'Member');
      if (!this.roles.has(params[2]!)) throw unknown(CODES.unknownRole, 'Role');
      const top = Math.max(...this.members.get(this.bot.id)!.roles.map((r) => this.roles.get(r)?.position ?? 0));
      if (!this.canManageRoles || top <= this.roles.get(params[2]!)!.position)
        throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      member.roles = member.roles.filter((r) => r !== params[2]);
      return { status: 204 };
    });

    this.on('GET', '/channels/:channel_id', ({ params }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel) throw unknown(CODES.unknownChannel, 'Channel');
      return ok(channel);
    });

    this.on('POST', '/channels/:channel_id/messages', ({ params, body }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel) throw unknown(CODES.unknownChannel, 'Channel');
      const input = (body ?? {}) as { content?: unknown; nonce?: unknown; enforce_nonce?: unknown; allowed_mentions?: unknown };
      if (typeof input.content !== 'string' || input.content.length === 0) throw new HttpError(400, 50006, 'Cannot send an empty message');
      if (input.content.length > 2000) {
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
        });
      }
      if (input.nonce !== undefined && (typeof input.nonce !== 'string' || input.nonce.length > 25)) {
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] },
        });
      }
      const recipient = this.dmRecipients.get(channel.id);
      if (!recipient && !(this.botPermissionsIn(channel) & PERMISSIONS.sendMessages))
        throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      if (recipient && this.closedDMs.has(recipient)) throw new HttpError(403, CODES.cannotDM, 'Cannot send messages to this user');
      // A message in an archived thread that is not locked brings it back.
      if (this.threadMembers.has(channel.id) && this.isArchived(channel.id)) this.threadMetadata(channel.id).archived = false;
      // As Discord documents: "if another message was created by the same author with the same
      // nonce, that message will be returned" — per author, whatever the channel.
      const nonceKey = input.enforce_nonce === true && typeof input.nonce === 'string' ? input.nonce : undefined;
      const at = this.clock.now();
      const seen = nonceKey ? this.nonces.get(nonceKey) : undefined;
      if (seen && at - seen.at < NONCE_TTL_MS) return ok(this.view(this.messages.get(seen.messageId)!));
      const message = this.newMessage(channel.id, this.bot, input.content, {
        ...(typeof input.nonce === 'string' ? { nonce: input.nonce } : {}),
        allowed_mentions: input.allowed_mentions,
      }) as APIMessage & { allowed_mentions?: unknown };
      this.keep(message);
      if (nonceKey) this.nonces.set(nonceKey, { messageId: message.id, at });
      if (this.messagesBeforeRevoke !== undefined && --this.messagesBeforeRevoke <= 0) {
        this.messagesBeforeRevoke = undefined;
        this.tokenRevoked = true;
      }
      return ok(this.view(message));
    });

    this.on('GET', '/channels/:channel_id/messages', ({ params, url }) => {
      if (!this.channels.has(params[0]!)) throw unknown(CODES.unknownChannel, 'Channel');
      const limit = Number(url.searchParams.get('limit') ?? '50');
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new HttpError(400, CODES.invalidForm, 'Invalid Form Body', {
          limit: { _errors: [{ code: 'NUMBER_TYPE_MAX', message: 'int value should be less than or equal to 100.' }] },
        });
      }
      const byId = (a: APIMessage, b: APIMessage) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1);
      let list = this.messagesIn(params[0]!).sort(byId);
      const after = url.searchParams.get('after');
      const before = url.searchParams.get('before');
      // Like Discord: `after` gives the oldest `limit` messages after it, newest-first is the order returned.
      if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after)).slice(0, limit);
      else {
        if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
        list = list.slice(-limit);
      }
      // The nonce is part of the create answer only, never of a listing.
      return ok(
        list.reverse().map((m) => {
          const { nonce: _nonce, ...rest } = this.view(m) as APIMessage & { nonce?: unknown };
          return rest;
        }),
      );
    });

    this.on('GET', '/channels/:channel_id/messages/:message_id', ({ params }) => ok(this.view(this.messageIn(params[0]!, params[1]!))));

    this.on('PUT', '/channels/:channel_id/messages/:message_id/reactions/:emoji/@me', ({ params }) => {
      const message = this.messageIn(params[0]!, params[1]!);
      if (!isUnicodeEmoji(params[2]!)) throw new HttpError(400, CODES.unknownEmoji, 'Unknown Emoji');
      const channel = this.channels.get(params[0]!)!;
      if (!this.dmRecipients.has(channel.id) && !(this.botPermissionsIn(channel) & PERMISSIONS.addReactions))
        throw new HttpError(403, CODES.missingPermissions, 'Missing Permissions');
      this.saveReaction(message, params[2]!, this.bot.id);
      return { status: 204 };
    });

    this.on('GET', '/channels/:channel_id/messages/:message_id/reactions/:emoji', ({ params, url }) => {
      const message = this.messageIn(params[0]!, params[1]!);
      const limit = Math.min(MAX_REACTIONS_PAGE, Number(url.searchParams.get('limit') ?? '25'));
      const after = BigInt(url.searchParams.get('after') ?? '0');
      const ids = this.reactions.get(message.id)?.get(params[2]!) ?? [];
      const users = ids
        .map((id) => this.users.get(id)!)
        .filter((u) => BigInt(u.id) > after)
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
        .slice(0, limit);
      return ok(users);
    });
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function errorReply(err: HttpError): Reply {
  return { status: err.status, body: { message: err.message, code: err.code, ...(err.errors ? { errors: err.errors } : {}) } };
}

/** A unicode emoji as a reaction route names it (custom ones are `name:id`). */
function isUnicodeEmoji(value: string): boolean {
  return /^\p{Extended_Pictographic}/u.test(value) && !value.includes(':');
}
