import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Channel, ChannelMembership, ChannelType } from '@mattermost/types/channels';
import type { Post } from '@mattermost/types/posts';
import type { Reaction } from '@mattermost/types/reactions';
import type { Team } from '@mattermost/types/teams';
import type { UserProfile, UserTimezone } from '@mattermost/types/users';
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
 * A stateful fake of the Mattermost API v4 on 127.0.0.1, enough for pairbot and shaped
 * like the real server: the same routes, JSON bodies typed with @mattermost/types,
 * `Content-Type: application/json` exactly, error bodies `{id, message, status_code,
 * request_id}`, pages of at most 200, and a 429 with `X-Ratelimit-*` headers, `Retry-After`
 * and a plain-text body. Faults (429, 5xx, connection resets, latency) are injected per
 * route; every request is counted and logged.
 */

export type Fault =
  /** An error status with Mattermost's JSON error body. */
  | { kind: 'status'; status: number }
  /** A proxy's HTML error page (text/html) instead of the server's answer. */
  | { kind: 'html'; status: number }
  /**
   * 200 with this body instead of the server's answer, as something that is not the server does
   * at a wrong URL (a web page or catch-all answering "OK" or any JSON to every request).
   */
  | { kind: 'answer'; body: string; contentType?: string }
  /** Changes the server's state (someone leaves, say) just before the request is handled, as a race would. */
  | { kind: 'mutate'; run: () => void }
  /**
   * A 429 as Mattermost's limiter sends it. `reset` says how `X-Ratelimit-Reset` is written:
   * epoch seconds (as Mattermost documents it), seconds from now, or left out.
   */
  | { kind: 'rate-limit'; waitSeconds?: number; reset?: 'epoch' | 'delta' | 'none'; retryAfter?: boolean }
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
  fault?: Fault['kind'];
  userId?: string;
}

export interface NewUser {
  username?: string;
  /** IANA zone; set as the user's manual zone (automatic zone off). */
  timezone?: string;
  automaticTimezone?: string;
  isBot?: boolean;
  deactivated?: boolean;
  /** Member of the program channel (default true). */
  inChannel?: boolean;
}

export interface FakeMattermostOptions {
  token?: string;
  botUsername?: string;
  teamName?: string;
  channelName?: string;
  /** The channel is private ('P') rather than open ('O'). */
  privateChannel?: boolean;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Context {
  req: IncomingMessage;
  url: URL;
  params: string[];
  body: unknown;
  userId: string;
}

type Handler = (ctx: Context) => Reply;

const MAX_PER_PAGE = 200;
/** How long the server remembers a `pending_post_id` (its cache keeps them about 30 s). */
const PENDING_POST_TTL_MS = 30_000;
const DEFAULT_PER_PAGE = 60;
const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

/** A 26-character id like the server's NewId. */
function newId(): string {
  const bytes = randomBytes(26);
  let out = '';
  for (const byte of bytes) out += ID_ALPHABET[byte & 31];
  return out;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (id: string, message: string) => new HttpError(404, id, message);
const forbidden = () => new HttpError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
const badRequest = (id: string, message: string) => new HttpError(400, id, message);

export class FakeMattermost {
  readonly users = new Map<string, UserProfile>();
  readonly teams = new Map<string, Team>();
  readonly teamMembers = new Map<string, Set<string>>();
  readonly channels = new Map<string, Channel>();
  /** Channel id → user id → membership. */
  readonly members = new Map<string, Map<string, ChannelMembership>>();
  readonly posts = new Map<string, Post>();
  /** Post id → reactions, oldest first. */
  readonly reactions = new Map<string, Reaction[]>();
  readonly requests: LoggedRequest[] = [];
  readonly bot: UserProfile;
  readonly team: Team;
  readonly channel: Channel;
  readonly token: string;
  /** The server's clock: `clock.advance(ms)` moves it on (the server forgets pending post ids). */
  readonly clock = new FakeClock();
  /** Clock for timestamps and epoch rate-limit headers; tests may pin it. */
  now: () => number = () => this.clock.now();
  /** Whether the bot may remove members from channels (`manage_*_channel_members`). */
  canRemoveMembers = true;
  /** Whether channel members may post in team channels (`create_post` of channel_user). */
  canPost = true;
  /** Whether channel members may react (`add_reaction` of channel_user). */
  canReact = true;

  private readonly tokens = new Map<string, string>();
  private readonly faults = new FaultQueue<Fault>();
  private readonly pendingPosts = new Map<string, { postId: string; at: number }>();
  private readonly refusingDMs = new Set<string>();
  /** Bot posts still allowed before the bot's token is revoked (revokeTokenAfter). */
  private postsBeforeRevoke?: number;
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  private server?: Server;
  private userCounter = 0;

  private constructor(options: FakeMattermostOptions) {
    this.token = options.token ?? `tok${newId()}`;
    this.team = this.addTeam(options.teamName ?? 'community');
    this.bot = this.createUser({ username: options.botUsername ?? 'pairbot', isBot: true, inChannel: false });
    this.tokens.set(this.token, this.bot.id);
    this.channel = this.addChannel(this.team, options.channelName ?? 'coffee-pairs', options.privateChannel ? 'P' : 'O');
    this.addToChannel(this.channel.id, this.bot.id);
    this.defineRoutes();
  }

  /** Starts a fake server on 127.0.0.1 with a bot, a team and a program channel the bot is in. */
  static async start(options: FakeMattermostOptions = {}): Promise<FakeMattermost> {
    const fake = new FakeMattermost(options);
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${portOf(this.server, 'fake Mattermost')}`;
  }

  /** The settings that point pairbot at this fake's team and channel. */
  settings(): Record<string, string> {
    return {
      PAIRBOT_PLATFORM: 'mattermost',
      MATTERMOST_URL: this.url,
      MATTERMOST_TOKEN: this.token,
      MATTERMOST_TEAM: this.team.name,
      MATTERMOST_CHANNEL: this.channel.name,
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await closeServer(server);
  }

  // ---- test helpers -------------------------------------------------------

  /** Adds a user, by default an active human in the program channel and the team. */
  addUser(spec: NewUser = {}): UserProfile {
    return this.createUser(spec);
  }

  /** Adds `count` users named `${prefix}001`…; returns them in order. */
  addUsers(count: number, prefix = 'member', spec: Omit<NewUser, 'username'> = {}): UserProfile[] {
    const width = Math.max(3, String(count).length);
    return Array.from({ length: count }, (_, i) =>
      this.createUser({ ...spec, username: `${prefix}${String(i + 1).padStart(width, '0')}` }),
    );
  }

  addBot(username: string, inChannel = true): UserProfile {
    return this.createUser({ username, isBot: true, inChannel });
  }

  deactivate(userId: string): void {
    const user = this.user(userId);
    user.delete_at = this.now();
    user.update_at = this.now();
  }

  /** Another token for another user (e.g. to test that a member's reaction is theirs). */
  tokenFor(userId: string): string {
    const token = `tok${newId()}`;
    this.tokens.set(token, userId);
    return token;
  }

  /** The user reacts to a post, as they would in the app. */
  react(userId: string, postId: string, emojiName: string): Reaction {
    return this.saveReaction(userId, postId, emojiName);
  }

  /** An admin revokes the bot's token once it has made `posts` more posts: every later request is a 401. */
  revokeTokenAfter(posts: number): void {
    this.postsBeforeRevoke = posts;
  }

  /** The bot gets a working token again (the same one, for the test's convenience). */
  restoreToken(): void {
    this.postsBeforeRevoke = undefined;
    this.tokens.set(this.token, this.bot.id);
  }

  /** Direct and group messages to this user are refused with 403 (e.g. DMs restricted to team-mates). */
  refuseDirectMessages(userId: string): void {
    this.refusingDMs.add(userId);
  }

  addToChannel(channelId: string, userId: string): void {
    const at = this.now();
    let members = this.members.get(channelId);
    if (!members) this.members.set(channelId, (members = new Map()));
    members.set(userId, {
      channel_id: channelId,
      user_id: userId,
      roles: 'channel_user',
      last_viewed_at: at,
      msg_count: 0,
      msg_count_root: 0,
      mention_count: 0,
      mention_count_root: 0,
      urgent_mention_count: 0,
      notify_props: { desktop: 'default', email: 'default', mark_unread: 'all', push: 'default' },
      last_update_at: at,
      scheme_user: true,
      scheme_admin: false,
    });
  }

  /** Archives a channel (the program channel by default). */
  archive(channelId = this.channel.id): void {
    const channel = this.channels.get(channelId)!;
    channel.delete_at = this.now();
  }

  /** The user leaves the channel. */
  removeFromChannel(userId: string, channelId = this.channel.id): void {
    this.members.get(channelId)?.delete(userId);
  }

  isInChannel(userId: string, channelId = this.channel.id): boolean {
    return this.members.get(channelId)?.has(userId) ?? false;
  }

  addTeam(name: string): Team {
    const at = this.now();
    const team: Team = {
      id: newId(),
      create_at: at,
      update_at: at,
      delete_at: 0,
      display_name: name,
      name,
      description: '',
      email: '',
      type: 'O',
      company_name: '',
      allowed_domains: '',
      invite_id: newId(),
      allow_open_invite: true,
      scheme_id: '',
      group_constrained: false,
    };
    this.teams.set(team.id, team);
    this.teamMembers.set(team.id, new Set());
    return team;
  }

  addChannel(team: Team, name: string, type: ChannelType = 'O'): Channel {
    const channel = this.newChannel(type, name, name, team.id);
    return channel;
  }

  /** Posts in a channel, oldest first. */
  postsIn(channelId: string): Post[] {
    return [...this.posts.values()].filter((p) => p.channel_id === channelId).sort((a, b) => a.create_at - b.create_at);
  }

  /** Every post the bot made outside the program channel (intros, asks, DMs). */
  botMessages(): Post[] {
    return [...this.posts.values()].filter((p) => p.user_id === this.bot.id && p.channel_id !== this.channel.id);
  }

  /** The user ids in a channel. */
  membersOf(channelId: string): string[] {
    return [...(this.members.get(channelId)?.keys() ?? [])];
  }

  /** The conversation (D or G channel) holding exactly these users plus the bot, if any. */
  conversationOf(userIds: readonly string[]): Channel | undefined {
    const wanted = new Set([this.bot.id, ...userIds]);
    for (const channel of this.channels.values()) {
      if (channel.type !== 'D' && channel.type !== 'G') continue;
      const members = this.members.get(channel.id);
      if (members && members.size === wanted.size && [...wanted].every((id) => members.has(id))) return channel;
    }
    return undefined;
  }

  /** Makes the next matching requests fail with `fault`. */
  inject(fault: Fault, match: FaultMatch = {}): void {
    this.faults.push(fault, match);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Requests answered so far (faults included), optionally only those matching. */
  requestCount(match: { method?: string; path?: RegExp } = {}): number {
    return countRequests(this.requests, match);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- state --------------------------------------------------------------

  private user(id: string): UserProfile {
    const user = this.users.get(id);
    if (!user) throw new Error(`fake Mattermost: no user ${id}`);
    return user;
  }

  private createUser(spec: NewUser): UserProfile {
    const at = this.now();
    const username = spec.username ?? `user${++this.userCounter}`;
    const timezone: UserTimezone = spec.automaticTimezone
      ? { useAutomaticTimezone: 'true', automaticTimezone: spec.automaticTimezone, manualTimezone: '' }
      : { useAutomaticTimezone: 'false', automaticTimezone: '', manualTimezone: spec.timezone ?? '' };
    const user: UserProfile = {
      id: newId(),
      create_at: at,
      update_at: at,
      delete_at: spec.deactivated ? at : 0,
      username: username.toLowerCase(),
      password: '',
      auth_service: '',
      email: `${username.toLowerCase()}@example.com`,
      nickname: '',
      first_name: '',
      last_name: '',
      position: '',
      roles: spec.isBot ? 'system_user' : 'system_user',
      props: {},
      notify_props: {
        desktop: 'default',
        desktop_sound: 'true',
        calls_desktop_sound: 'true',
        email: 'true',
        mark_unread: 'all',
        push: 'mention',
        push_status: 'online',
        comments: 'never',
        first_name: 'false',
        channel: 'true',
        mention_keys: '',
        highlight_keys: '',
      },
      last_password_update: at,
      last_picture_update: 0,
      locale: 'en',
      timezone,
      mfa_active: false,
      last_activity_at: at,
      is_bot: spec.isBot ?? false,
      bot_description: spec.isBot ? 'A bot' : '',
      terms_of_service_id: '',
      terms_of_service_create_at: 0,
    };
    this.users.set(user.id, user);
    this.teamMembers.get(this.team?.id ?? '')?.add(user.id);
    if (spec.inChannel ?? true) this.addToChannel(this.channel.id, user.id);
    return user;
  }

  private newChannel(type: ChannelType, name: string, displayName: string, teamId: string): Channel {
    const at = this.now();
    const channel: Channel = {
      id: newId(),
      create_at: at,
      update_at: at,
      delete_at: 0,
      team_id: teamId,
      type,
      display_name: displayName,
      name,
      header: '',
      purpose: '',
      last_post_at: 0,
      last_root_post_at: 0,
      creator_id: '',
      scheme_id: '',
      group_constrained: false,
    };
    this.channels.set(channel.id, channel);
    this.members.set(channel.id, new Map());
    return channel;
  }

  private saveReaction(userId: string, postId: string, emojiName: string): Reaction {
    const list = this.reactions.get(postId) ?? [];
    const existing = list.find((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (existing) return existing;
    const reaction: Reaction = { user_id: userId, post_id: postId, emoji_name: emojiName, create_at: this.now() };
    list.push(reaction);
    this.reactions.set(postId, list);
    return reaction;
  }

  /** What the server shows of a user to another user: no password, no auth data. */
  private sanitise(user: UserProfile): UserProfile {
    const { password: _password, auth_data: _authData, ...rest } = user;
    return { ...rest, password: '' } as UserProfile;
  }

  // ---- HTTP ---------------------------------------------------------------

  private async listen(): Promise<void> {
    this.server = await listenOnLoopback((req, res) => this.handle(req, res), 30_000);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: LoggedRequest = { method, path: url.pathname, query: url.search, status: 0 };
    this.requests.push(entry);
    const raw = await readBody(req);
    const requestId = newId();

    const fault = this.faults.take(method, url.pathname);
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === 'latency' && !fault.afterHandling) await delay(fault.ms);
    if (fault?.kind === 'mutate') fault.run();
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
      const wait = fault.waitSeconds ?? 1;
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'X-Ratelimit-Limit': '10',
        'X-Ratelimit-Remaining': '0',
        'X-Request-Id': requestId,
      };
      const reset = fault.reset ?? 'epoch';
      if (reset === 'epoch') headers['X-Ratelimit-Reset'] = String(Math.floor(this.now() / 1000) + wait);
      if (reset === 'delta') headers['X-Ratelimit-Reset'] = String(wait);
      if (fault.retryAfter ?? true) headers['Retry-After'] = String(wait);
      res.writeHead(429, headers);
      res.end('limit exceeded\n');
      return;
    }

    let reply: Reply;
    if (fault?.kind === 'status') {
      reply = errorReply(new HttpError(fault.status, 'api.fake.injected.app_error', `Injected fault ${fault.status}.`));
    } else {
      reply = this.route(req, url, method, raw, entry);
    }
    entry.status = reply.status;
    if (fault?.kind === 'latency' && fault.afterHandling) await delay(fault.ms);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const body = reply.body === undefined ? '' : JSON.stringify(addRequestId(reply.body, reply.status, requestId));
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'X-Request-Id': requestId,
      'X-Version-Id': '10.5.0.10.5.0.fake.false',
      ...reply.headers,
    });
    res.end(body);
  }

  private route(req: IncomingMessage, url: URL, method: string, raw: string, entry: LoggedRequest): Reply {
    try {
      const auth = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const userId = auth ? this.tokens.get(auth[1]!) : undefined;
      if (!userId || this.users.get(userId)?.delete_at) {
        throw new HttpError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
      }
      entry.userId = userId;
      let body: unknown;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing body in request body.');
        }
      }
      for (const r of this.routes) {
        if (r.method !== method) continue;
        const m = r.pattern.exec(url.pathname);
        if (m) return r.handler({ req, url, params: m.slice(1).map(decodeURIComponent), body, userId });
      }
      throw notFound('api.context.404.app_error', 'Sorry, we could not find the page.');
    } catch (err) {
      if (err instanceof HttpError) return errorReply(err);
      return errorReply(new HttpError(500, 'api.fake.internal.app_error', (err as Error).message));
    }
  }

  private on(method: string, pattern: string, handler: Handler): void {
    const regex = routePattern(pattern, '/api/v4');
    this.routes.push({ method, pattern: regex, handler });
  }

  private defineRoutes(): void {
    this.on('GET', '/users/me', ({ userId }) => ok(this.user(userId)));

    this.on('GET', '/users/username/:username', ({ params }) => {
      const user = [...this.users.values()].find((u) => u.username === params[0]!.toLowerCase());
      if (!user)
        throw notFound(
          'app.user.get_by_username.app_error',
          'Unable to find an existing account matching your username for this team. This team may require an invite from the team owner to join.',
        );
      return ok(this.sanitise(user));
    });

    this.on('POST', '/users/ids', ({ body }) => {
      if (!Array.isArray(body) || body.some((id) => typeof id !== 'string'))
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing user_ids in request body.');
      const found = (body as string[]).map((id) => this.users.get(id)).filter((u): u is UserProfile => !!u);
      return ok(found.map((u) => this.sanitise(u)));
    });

    this.on('GET', '/users/:user_id', ({ params }) => {
      const id = params[0]!;
      if (!/^[a-z0-9]{26}$/.test(id))
        throw badRequest('api.context.invalid_url_param.app_error', 'Invalid or missing user_id parameter in request URL.');
      const user = this.users.get(id);
      if (!user) throw notFound('app.user.missing_account.const', 'Unable to find the user.');
      return ok(this.sanitise(user));
    });

    this.on('GET', '/users', ({ url }) => {
      const { page, perPage } = paging(url);
      let list = [...this.users.values()];
      const inChannel = url.searchParams.get('in_channel');
      const inTeam = url.searchParams.get('in_team');
      if (inChannel) {
        const members = this.members.get(inChannel);
        if (!members) throw notFound('app.channel.get.existing.app_error', 'Unable to find the existing channel.');
        list = list.filter((u) => members.has(u.id));
      }
      if (inTeam) list = list.filter((u) => this.teamMembers.get(inTeam)?.has(u.id));
      if (url.searchParams.get('active') === 'true') list = list.filter((u) => u.delete_at === 0);
      if (url.searchParams.get('inactive') === 'true') list = list.filter((u) => u.delete_at > 0);
      list.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
      return ok(list.slice(page * perPage, (page + 1) * perPage).map((u) => this.sanitise(u)));
    });

    this.on('GET', '/teams/name/:team_name/channels/name/:channel_name', ({ params, userId, url }) => {
      const team = this.teamByName(params[0]!);
      return ok(this.channelByName(team, params[1]!, userId, url.searchParams.get('include_deleted') === 'true'));
    });

    this.on('GET', '/teams/name/:team_name', ({ params }) => ok(this.teamByName(params[0]!)));

    this.on('GET', '/teams/:team_id/channels/name/:channel_name', ({ params, userId }) => {
      const team = this.teams.get(params[0]!);
      if (!team) throw notFound('app.team.get.find.app_error', 'Unable to find the existing team.');
      return ok(this.channelByName(team, params[1]!, userId));
    });

    this.on('GET', '/channels/:channel_id/members', ({ params, url, userId }) => {
      const members = this.members.get(params[0]!);
      if (!members) throw notFound('app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (this.channels.get(params[0]!)!.type !== 'O' && !members.has(userId)) throw forbidden();
      const { page, perPage } = paging(url);
      return ok([...members.values()].slice(page * perPage, (page + 1) * perPage));
    });

    this.on('GET', '/channels/:channel_id/members/:user_id', ({ params, userId }) => {
      const members = this.members.get(params[0]!);
      if (!members) throw notFound('app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      const member = members.get(params[1] === 'me' ? userId : params[1]!);
      if (!member) throw notFound('app.channel.get_member.missing.app_error', 'No channel member found for that user ID and channel ID.');
      return ok(member);
    });

    this.on('GET', '/teams/:team_id/members/:user_id', ({ params, userId }) => {
      const team = this.teams.get(params[0]!);
      const memberId = params[1] === 'me' ? userId : params[1]!;
      if (!team || !this.teamMembers.get(team.id)?.has(memberId))
        throw notFound('app.team.get_member.missing.app_error', 'No team member found for that user ID and team ID.');
      return ok({
        team_id: team.id,
        user_id: memberId,
        roles: 'team_user',
        delete_at: 0,
        scheme_user: true,
        scheme_admin: false,
        scheme_guest: false,
        msg_count: 0,
        mention_count: 0,
      });
    });

    this.on('POST', '/roles/names', ({ body }) => {
      if (!Array.isArray(body) || body.some((n) => typeof n !== 'string'))
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing role names in request body.');
      return ok(
        (body as string[])
          .filter((name) => name in this.rolePermissions())
          .map((name) => ({
            id: `role-${name}`,
            name,
            display_name: name,
            description: '',
            permissions: this.rolePermissions()[name],
            scheme_managed: true,
            built_in: true,
          })),
      );
    });

    // The caller's channels in a team, direct and group channels included (what inbox lists).
    this.on('GET', '/users/:user_id/teams/:team_id/channels', ({ params, userId }) => {
      const who = params[0] === 'me' ? userId : params[0]!;
      if (who !== userId) throw forbidden();
      if (!this.teams.get(params[1]!)) throw notFound('app.team.get.find.app_error', 'Unable to find the existing team.');
      return ok(
        [...this.channels.values()].filter((c) => (c.team_id === params[1] || c.team_id === '') && this.members.get(c.id)?.has(who)),
      );
    });

    this.on('POST', '/channels/:channel_id/members', ({ params, body }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel) throw notFound('app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      const memberId = (body as { user_id?: unknown } | undefined)?.user_id;
      if (typeof memberId !== 'string' || !this.users.get(memberId))
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing user_id in request body.');
      const existing = this.members.get(channel.id)!.get(memberId);
      if (existing) return created(existing);
      if (!this.canRemoveMembers) throw forbidden();
      this.addToChannel(channel.id, memberId);
      return created(this.members.get(channel.id)!.get(memberId)!);
    });

    this.on('DELETE', '/channels/:channel_id/members/:user_id', ({ params }) => {
      const [channelId, memberId] = params as [string, string];
      const channel = this.channels.get(channelId);
      if (!channel) throw notFound('app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (channel.type === 'O' && channel.name === 'town-square')
        throw badRequest('api.channel.remove.default.app_error', 'Unable to remove user from the default channel town-square.');
      if (!this.canRemoveMembers) throw forbidden();
      const members = this.members.get(channelId)!;
      if (!members.has(memberId))
        throw notFound('app.channel.get_member.missing.app_error', 'No channel member found for that user ID and channel ID.');
      members.delete(memberId);
      return ok({ status: 'OK' });
    });

    this.on('POST', '/channels/direct', ({ body, userId }) => {
      const ids = userIdList(body);
      if (ids.length !== 2) throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing user_ids in request body.');
      if (!ids.includes(userId)) throw forbidden();
      const users = ids.map((id) => this.users.get(id));
      if (users.some((u) => !u))
        throw badRequest('api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user ID for direct channel creation.');
      this.checkCanMessage(ids, userId);
      const sorted = [...ids].sort();
      const name = `${sorted[0]}__${sorted[1]}`;
      const existing = [...this.channels.values()].find((c) => c.type === 'D' && c.name === name);
      if (existing) return created(existing);
      const channel = this.newChannel('D', name, '', '');
      for (const id of new Set(ids)) this.addToChannel(channel.id, id);
      return created(channel);
    });

    this.on('POST', '/channels/group', ({ body, userId }) => {
      const ids = [...new Set(userIdList(body))];
      if (!ids.includes(userId)) ids.push(userId);
      if (ids.length < 3 || ids.length > 8)
        throw badRequest(
          'api.channel.create_group.bad_size.app_error',
          'Group message channels must contain at least 3 and no more than 8 users.',
        );
      const users = ids.map((id) => this.users.get(id));
      if (users.some((u) => !u || u.delete_at > 0))
        throw badRequest('api.channel.create_group.bad_user.app_error', 'One of the provided users does not exist.');
      this.checkCanMessage(ids, userId);
      const name = createHash('sha1')
        .update([...ids].sort().join(''))
        .digest('hex');
      const existing = [...this.channels.values()].find((c) => c.type === 'G' && c.name === name);
      if (existing) return created(existing);
      const channel = this.newChannel(
        'G',
        name,
        users
          .map((u) => u!.username)
          .sort()
          .join(', '),
        '',
      );
      for (const id of ids) this.addToChannel(channel.id, id);
      return created(channel);
    });

    this.on('POST', '/posts', ({ body, userId }) => {
      const input = (body ?? {}) as Partial<Post>;
      if (typeof input.channel_id !== 'string')
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing post in request body.');
      const channel = this.channels.get(input.channel_id);
      if (!channel) throw forbidden();
      if (!this.members.get(channel.id)?.has(userId)) throw forbidden();
      if (!this.canPost && (channel.type === 'O' || channel.type === 'P')) throw forbidden();
      const message = typeof input.message === 'string' ? input.message : '';
      if (message.length === 0) throw badRequest('model.post.is_valid.msg.app_error', 'Invalid Message.');
      if ([...message].length > 16383) throw badRequest('model.post.is_valid.msg.app_error', 'Invalid Message.');
      // As the real server: a reply names its thread's root post, in the same channel, never a reply.
      const rootId = typeof input.root_id === 'string' ? input.root_id : '';
      if (rootId) {
        const root = this.posts.get(rootId);
        if (!root || root.delete_at > 0 || root.root_id !== '')
          throw badRequest('api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
        if (root.channel_id !== channel.id)
          throw badRequest('api.post.create_post.channel_root_id.app_error', 'Invalid ChannelId for RootId parameter.');
      }
      const pending = typeof input.pending_post_id === 'string' && input.pending_post_id ? input.pending_post_id : undefined;
      // The server answers a repeated create with the same pending_post_id with the post it made.
      const at = this.now();
      const seen = pending ? this.pendingPosts.get(pending) : undefined;
      if (seen && at - seen.at < PENDING_POST_TTL_MS) return created(this.posts.get(seen.postId)!);
      const post: Post = {
        id: newId(),
        create_at: at,
        update_at: at,
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: userId,
        channel_id: channel.id,
        root_id: rootId,
        original_id: '',
        message,
        type: '',
        props: {
          ...(input.props && typeof input.props === 'object' ? input.props : {}),
          ...(this.users.get(userId)?.is_bot ? { from_bot: 'true' } : {}),
        },
        hashtags: '',
        pending_post_id: pending ?? '',
        reply_count: 0,
        metadata: { embeds: [], emojis: [], files: [], images: {} },
      };
      this.posts.set(post.id, post);
      if (userId === this.bot.id && this.postsBeforeRevoke !== undefined && --this.postsBeforeRevoke <= 0) {
        this.postsBeforeRevoke = undefined;
        this.tokens.delete(this.token);
      }
      if (pending) this.pendingPosts.set(pending, { postId: post.id, at });
      channel.last_post_at = at;
      if (!rootId) channel.last_root_post_at = at;
      return created(post);
    });

    this.on('GET', '/channels/:channel_id/posts', ({ params, url, userId }) => {
      const channel = this.channels.get(params[0]!);
      if (!channel || (channel.type !== 'O' && !this.members.get(channel.id)?.has(userId))) throw forbidden();
      // Newest first; `since` lists every post changed since then, otherwise pages.
      let list = this.postsIn(channel.id).reverse();
      const since = Number(url.searchParams.get('since') ?? '0');
      if (since > 0) list = list.filter((p) => Math.max(p.create_at, p.update_at, p.delete_at) >= since);
      else {
        const { page, perPage } = paging(url);
        list = list.slice(page * perPage, (page + 1) * perPage);
      }
      return ok({
        order: list.map((p) => p.id),
        posts: Object.fromEntries(list.map((p) => [p.id, p])),
        next_post_id: '',
        prev_post_id: '',
      });
    });

    this.on('GET', '/posts/:post_id/reactions', ({ params }) => {
      if (!this.posts.has(params[0]!)) throw forbidden();
      return ok(this.reactions.get(params[0]!) ?? []);
    });

    this.on('GET', '/posts/:post_id', ({ params }) => {
      const post = this.posts.get(params[0]!);
      if (!post) throw notFound('app.post.get.app_error', 'Unable to get the post.');
      return ok(post);
    });

    this.on('POST', '/reactions', ({ body, userId }) => {
      const input = (body ?? {}) as Partial<Reaction>;
      if (typeof input.user_id !== 'string' || typeof input.post_id !== 'string' || typeof input.emoji_name !== 'string') {
        throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing reaction in request body.');
      }
      if (input.user_id !== userId) throw forbidden();
      if (!/^[a-z0-9_+-]{1,64}$/.test(input.emoji_name))
        throw badRequest('model.reaction.is_valid.emoji_name.app_error', 'Invalid emoji name.');
      const post = this.posts.get(input.post_id);
      if (!post || !this.members.get(post.channel_id)?.has(userId)) throw forbidden();
      if (!this.canReact) throw forbidden();
      return created(this.saveReaction(userId, post.id, input.emoji_name));
    });
  }

  /** The default roles' permissions, as the flags above leave them (a subset of the server's). */
  private rolePermissions(): Record<string, string[]> {
    return {
      system_user: ['create_direct_channel', 'create_group_channel', 'create_team', 'list_public_teams', 'view_members'],
      team_user: [
        'view_team',
        'list_team_channels',
        'join_public_channels',
        'read_public_channel',
        'create_public_channel',
        'create_private_channel',
      ],
      channel_user: [
        'read_channel',
        'use_channel_mentions',
        ...(this.canPost ? ['create_post', 'edit_post', 'delete_post'] : []),
        ...(this.canReact ? ['add_reaction', 'remove_reaction'] : []),
        ...(this.canRemoveMembers ? ['manage_public_channel_members', 'manage_private_channel_members'] : []),
      ],
    };
  }

  private teamByName(name: string): Team {
    const team = [...this.teams.values()].find((t) => t.name === name && t.delete_at === 0);
    if (!team) throw notFound('app.team.get_by_name.missing.app_error', 'Unable to find the existing team.');
    return team;
  }

  /** Archived channels are found only when asked for (`include_deleted=true`), as on the real server. */
  private channelByName(team: Team, name: string, userId: string, includeDeleted = false): Channel {
    const channel = [...this.channels.values()].find(
      (c) => c.team_id === team.id && c.name === name && (includeDeleted || c.delete_at === 0),
    );
    if (!channel) throw notFound('app.channel.get_by_name.missing.app_error', 'Unable to find the existing channel.');
    if (channel.type === 'P' && !this.members.get(channel.id)?.has(userId)) throw forbidden();
    return channel;
  }

  private checkCanMessage(ids: string[], requester: string): void {
    if (ids.some((id) => id !== requester && this.refusingDMs.has(id))) {
      throw new HttpError(
        403,
        'api.channel.create_channel.direct_channel.team_restricted_error',
        'A direct channel cannot be created between users who do not share a team.',
      );
    }
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function created(body: unknown): Reply {
  return { status: 201, body };
}

function errorReply(err: HttpError): Reply {
  return { status: err.status, body: { id: err.id, message: err.message, detailed_error: '', status_code: err.status } };
}

/** Error bodies carry the request id, as the server's AppError does. */
function addRequestId(body: unknown, status: number, requestId: string): unknown {
  if (status >= 400 && body && typeof body === 'object' && !Array.isArray(body)) return { ...body, request_id: requestId };
  return body;
}

function paging(url: URL): { page: number; perPage: number } {
  const page = Math.max(0, Number.parseInt(url.searchParams.get('page') ?? '0', 10) || 0);
  const asked = Number.parseInt(url.searchParams.get('per_page') ?? String(DEFAULT_PER_PAGE), 10);
  const perPage = Number.isNaN(asked) || asked < 0 ? DEFAULT_PER_PAGE : Math.min(asked, MAX_PER_PAGE);
  return { page, perPage };
}

function userIdList(body: unknown): string[] {
  if (!Array.isArray(body) || body.some((id) => typeof id !== 'string')) {
    throw badRequest('api.context.invalid_body_param.app_error', 'Invalid or missing user_ids in request body.');
  }
  return body as string[];
}
